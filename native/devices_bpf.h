// cgroup v2's device control: a BPF_PROG_TYPE_CGROUP_DEVICE program made of allow rules, the
// one assembler of both the addon (lib/cgroups/devices.ts, for gocker's own containers) and
// gocker-runtime (a bundle's linux.resources.devices). No N-API here.
#pragma once
#include <string>
#include <vector>

namespace gocker {

struct DeviceRule {
  char type;           // 'a' (all), 'c' or 'b'
  long major, minor;   // -1: any
  std::string access;  // a subset of "rwm"
};

// The rules as a program (struct bpf_insn[]): the first rule that matches a request allows
// it; none matching denies.
std::string DeviceProgram(const std::vector<DeviceRule>& rules);

}  // namespace gocker
