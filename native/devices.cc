// deviceProgram: cgroup v2 device rules (lib/cgroups/devices.ts) -> the BPF program the monitor
// attaches, by devices_bpf.cc's assembler (shared with gocker-runtime).
#include <string>
#include <vector>

#include "devices_bpf.h"
#include "module.h"

namespace gocker {
namespace {

// ([{ type: 'a'|'c'|'b', major, minor (-1: any), access: 'rwm' }]) -> Buffer of struct bpf_insn
Napi::Value DeviceProgramJs(const Napi::CallbackInfo& info) {
  Napi::Array in = info[0].As<Napi::Array>();
  std::vector<DeviceRule> rules;
  for (uint32_t i = 0; i < in.Length(); i++) {
    Napi::Object r = in.Get(i).As<Napi::Object>();
    std::string type = r.Get("type").As<Napi::String>();
    rules.push_back({type.empty() ? 'a' : type[0], r.Get("major").As<Napi::Number>().Int64Value(), r.Get("minor").As<Napi::Number>().Int64Value(),
                     r.Get("access").As<Napi::String>()});
  }
  std::string program = DeviceProgram(rules);
  return Napi::Buffer<char>::Copy(info.Env(), program.data(), program.size());
}

void Init(Napi::Env env, Napi::Object exports) { exports.Set("deviceProgram", Napi::Function::New(env, DeviceProgramJs)); }

}  // namespace
GOCKER_MODULE(Init);
}  // namespace gocker
