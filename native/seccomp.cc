// seccompCompile: flat rules (lib/container/seccomp.ts resolved the profile) -> a classic BPF
// program, by libseccomp. libseccomp knows every architecture's syscall numbers and how to
// lay out argument comparisons; assembling that by hand is how filters get holes. The
// program goes to the monitor through the spec, which loads it with seccomp(2) and so
// needs no libseccomp of its own.
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <string>
#include <vector>

#include "errors.h"
#include "fsutil.h"
#include "module.h"

namespace gocker {
namespace {

struct Ctx {
  scmp_filter_ctx ctx;
  explicit Ctx(uint32_t def) : ctx(seccomp_init(def)) {}
  ~Ctx() {
    if (ctx) seccomp_release(ctx);
  }
};

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
  Ctx c(def);
  if (!c.ctx) throw CodedError(env, "EINVAL", "seccomp_init: invalid default action");
  // The filter is exported, not loaded here: these attributes only matter to seccomp_load,
  // but leave no_new_privs to the container's own --security-opt in any case.
  seccomp_attr_set(c.ctx, SCMP_FLTATR_CTL_NNP, 0);

  Napi::Array arches = in.Get("architectures").As<Napi::Array>();
  for (uint32_t i = 0; i < arches.Length(); i++) {
    std::string name = arches.Get(i).As<Napi::String>();
    // libseccomp's names are docker's without SCMP_ARCH_, in lower case.
    std::string lower = name.rfind("SCMP_ARCH_", 0) == 0 ? name.substr(10) : name;
    for (char& ch : lower) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
    uint32_t token = seccomp_arch_resolve_name(lower.c_str());
    if (token == 0) throw CodedError(env, "EINVAL", "seccomp: unknown architecture " + name);
    int rc = seccomp_arch_add(c.ctx, token);
    // The native arch is in the filter from seccomp_init on.
    if (rc != 0 && rc != -EEXIST) ThrowSys(env, -rc, "seccomp_arch_add", name);
  }

  Napi::Array rules = in.Get("rules").As<Napi::Array>();
  std::vector<scmp_arg_cmp> conds;
  for (uint32_t i = 0; i < rules.Length(); i++) {
    Napi::Object r = rules.Get(i).As<Napi::Object>();
    std::string name = r.Get("name").As<Napi::String>();
    uint32_t action = r.Get("action").As<Napi::Number>().Uint32Value();
    // A name this libseccomp does not know on any of the filter's arches: skipped, as runc
    // does (profiles name syscalls of newer kernels and other architectures).
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;
    Napi::Array args = r.Get("args").As<Napi::Array>();
    conds.clear();
    for (uint32_t j = 0; j < args.Length(); j++) {
      Napi::Array a = args.Get(j).As<Napi::Array>();
      scmp_arg_cmp cmp{};
      cmp.arg = a.Get(0u).As<Napi::Number>().Uint32Value();
      cmp.op = static_cast<scmp_compare>(a.Get(1u).As<Napi::Number>().Uint32Value());
      cmp.datum_a = U64(a.Get(2u));
      cmp.datum_b = U64(a.Get(3u));
      conds.push_back(cmp);
    }
    // Not _exact: libseccomp may rewrite a rule for an arch where the call is multiplexed
    // (socketcall, ipc on x86), as runc lets it.
    int rc = seccomp_rule_add_array(c.ctx, action, nr, static_cast<unsigned>(conds.size()), conds.empty() ? nullptr : conds.data());
    if (rc != 0) ThrowSys(env, -rc, "seccomp_rule_add", name);
  }

  Fd out{memfd_create("gocker-seccomp", MFD_CLOEXEC)};
  if (out.fd < 0) ThrowSys(env, errno, "memfd_create");
  int rc = seccomp_export_bpf(c.ctx, out.fd);
  if (rc != 0) ThrowSys(env, -rc, "seccomp_export_bpf");
  off_t size = lseek(out.fd, 0, SEEK_END);
  if (size < 0) ThrowSys(env, errno, "lseek");
  std::vector<char> buf(static_cast<size_t>(size));
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = pread(out.fd, buf.data() + got, buf.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ThrowSys(env, n < 0 ? errno : EIO, "read", "seccomp program");
    got += static_cast<size_t>(n);
  }
  return Napi::Buffer<char>::Copy(env, buf.data(), buf.size());
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
