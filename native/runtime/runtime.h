// gocker-runtime: runc's command line over gocker-monitor, for containerd's shim
// (io.containerd.runc.v2, through go-runc) and dockerd. The monitor makes and confines the
// container exactly as for `gocker run`; this program keeps runc's state directory, makes the
// bundle's cgroups, turns the bundle's config.json into the monitor's spec and speaks runc's
// exit codes, stderr and --log lines.
#pragma once
#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "../monitor/util.h"

namespace gocker_runtime {

using nlohmann::json;
using Strings = std::vector<std::string>;

// What the command fails with: said on stderr and in --log as runc says it, exit status 1.
struct Failure : std::runtime_error {
  explicit Failure(const std::string& what) : std::runtime_error(what) {}
};
[[noreturn]] inline void Fail(const std::string& what) { throw Failure(what); }

// The monitor's own helpers (monitor/util.h): Split, ReadFile, ErrText, Now.
using gocker_monitor::ErrText;
using gocker_monitor::Now;
using gocker_monitor::ReadFile;
using gocker_monitor::Split;

// files (runtime.cc)
bool WriteFile(const std::string& path, const std::string& data, int flags = 0);  // O_TRUNC unless flags
void WriteFileAtomic(const std::string& path, const std::string& data);

// cgroups.cc: the cgroupfs manager (cgroupsPath "/a/b" under each hierarchy).
struct Cgroups {
  Strings dirs;  // one per hierarchy (v1), or the one v2 directory
  bool v2 = false;
  json ToJson() const;
  static Cgroups FromJson(const json& j);
};
// The hierarchies mounted under /sys/fs/cgroup: mount point, type and the options to mount
// each again inside a container (controllers, name=).
struct Hierarchy {
  std::string mountpoint, type;
  Strings options;
};
std::vector<Hierarchy> Hierarchies();
// Makes the cgroup (every level, each hierarchy) and sets resources in it; on failure removes
// what it made and throws. device_program: on cgroup v2, the device rules as the program the
// monitor attaches (hex), "" when there are none; without it (update) v2 rules are refused.
Cgroups MakeCgroups(const std::string& cgroups_path, const json* resources, std::string* device_program);
void ApplyResources(const Cgroups& cg, const json& resources, const std::string& where, std::string* device_program);
bool BlockIOSet(const json& block_io);  // anything asked for, not dockerd's all-zero blockIO
std::vector<pid_t> Procs(const Cgroups& cg);
bool Frozen(const Cgroups& cg);
void Freeze(const Cgroups& cg, bool frozen);
void RemoveCgroups(const Cgroups& cg);
Strings ProcsFiles(const Cgroups& cg);

// bundle.cc: config.json -> the monitor's spec.
// The bundle's config.json made into the monitor's spec: gocker's
// io.gocker.* annotations added, root.path absolute, namespace paths opened (fds kept open in
// *fds for the monitor), the /sys/fs/cgroup mount spelled as this host's hierarchies, and
// linux.seccomp compiled into state_dir/seccomp.bpf.
json BundleSpec(const json& config, const std::string& bundle, const std::string& state_dir, std::vector<int>* fds);
void CompileSeccomp(const json& seccomp, const std::string& file);

}  // namespace gocker_runtime
