// seccompCompile: flat rules (lib/container/seccomp.ts resolved the profile) -> a classic BPF
// program, by seccomp_bpf.cc's libseccomp compiler.
#include <string>
#include <vector>

#include "errors.h"
#include "module.h"
#include "seccomp_bpf.h"

namespace gocker {
namespace {

uint64_t U64(const Napi::Value& v) {
  bool lossless = true;
  return v.As<Napi::BigInt>().Uint64Value(&lossless);
}

// ({ defaultAction, architectures: ['SCMP_ARCH_X86_64', ...], rules: [{ name, action, args: [[index, op, a, b]] }] })
//   -> Buffer of struct sock_filter
Napi::Value SeccompCompile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object in = info[0].As<Napi::Object>();
  uint32_t def = in.Get("defaultAction").As<Napi::Number>().Uint32Value();
  std::vector<std::string> arches;
  Napi::Array a = in.Get("architectures").As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) arches.push_back(a.Get(i).As<Napi::String>());
  std::vector<SeccompRule> rules;
  Napi::Array rs = in.Get("rules").As<Napi::Array>();
  for (uint32_t i = 0; i < rs.Length(); i++) {
    Napi::Object r = rs.Get(i).As<Napi::Object>();
    SeccompRule rule;
    rule.name = r.Get("name").As<Napi::String>();
    rule.action = r.Get("action").As<Napi::Number>().Uint32Value();
    Napi::Array args = r.Get("args").As<Napi::Array>();
    for (uint32_t j = 0; j < args.Length(); j++) {
      Napi::Array x = args.Get(j).As<Napi::Array>();
      scmp_arg_cmp cmp{};
      cmp.arg = x.Get(0u).As<Napi::Number>().Uint32Value();
      cmp.op = static_cast<scmp_compare>(x.Get(1u).As<Napi::Number>().Uint32Value());
      cmp.datum_a = U64(x.Get(2u));
      cmp.datum_b = U64(x.Get(3u));
      rule.args.push_back(cmp);
    }
    rules.push_back(std::move(rule));
  }
  std::string program, error;
  int err_no = 0;
  if (!CompileSeccomp(def, arches, rules, &program, &error, &err_no)) {
    if (err_no) throw CodedError(env, ErrnoCode(err_no).c_str(), error);
    throw CodedError(env, "EINVAL", error);
  }
  return Napi::Buffer<char>::Copy(env, program.data(), program.size());
}

Napi::Value SeccompVersion(const Napi::CallbackInfo& info) {
  const scmp_version* v = seccomp_version();
  return Napi::String::New(info.Env(), std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro));
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("seccompCompile", Napi::Function::New(env, SeccompCompile));
  exports.Set("seccompVersion", Napi::Function::New(env, SeccompVersion));
}

GOCKER_MODULE(Init);

}  // namespace
}  // namespace gocker
