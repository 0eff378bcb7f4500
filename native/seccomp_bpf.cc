// libseccomp knows every architecture's syscall numbers and how to lay out argument
// comparisons; assembling that by hand is how filters get holes. The program goes to the
// monitor through the spec, which loads it with seccomp(2) and so needs no libseccomp.
#include "seccomp_bpf.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace gocker {
namespace {

struct Ctx {
  scmp_filter_ctx ctx;
  explicit Ctx(uint32_t def) : ctx(seccomp_init(def)) {}
  ~Ctx() {
    if (ctx) seccomp_release(ctx);
  }
};

bool Fail(std::string* error, int* err_no, int e, const std::string& what) {
  *err_no = e;
  *error = what + (e ? std::string(": ") + strerror(e) : "");
  return false;
}

}  // namespace

bool CompileSeccomp(uint32_t def, const std::vector<std::string>& arches, const std::vector<SeccompRule>& rules, std::string* out,
                    std::string* error, int* err_no) {
  Ctx c(def);
  if (!c.ctx) return Fail(error, err_no, 0, "seccomp_init: invalid default action");
  // The filter is exported, not loaded here: these attributes only matter to seccomp_load,
  // but leave no_new_privs to the container's own --security-opt in any case.
  seccomp_attr_set(c.ctx, SCMP_FLTATR_CTL_NNP, 0);
  for (const std::string& name : arches) {
    // libseccomp's names are docker's without SCMP_ARCH_, in lower case.
    std::string lower = name.rfind("SCMP_ARCH_", 0) == 0 ? name.substr(10) : name;
    for (char& ch : lower) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
    uint32_t token = seccomp_arch_resolve_name(lower.c_str());
    if (token == 0) return Fail(error, err_no, 0, "seccomp: unknown architecture " + name);
    int rc = seccomp_arch_add(c.ctx, token);
    // The native arch is in the filter from seccomp_init on.
    if (rc != 0 && rc != -EEXIST) return Fail(error, err_no, -rc, "seccomp_arch_add " + name);
  }
  for (const SeccompRule& r : rules) {
    // A name this libseccomp does not know on any of the filter's arches: skipped, as runc
    // does (profiles name syscalls of newer kernels and other architectures).
    int nr = seccomp_syscall_resolve_name(r.name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;
    // Not _exact: libseccomp may rewrite a rule for an arch where the call is multiplexed
    // (socketcall, ipc on x86), as runc lets it.
    // A rule comparing one argument more than once (personality == 0, 8 or 0xffffffff in
    // runtime-tools' default profile) matches when any of them holds, each its own rule, as
    // runc reads it: libseccomp refuses such comparisons in one rule (EINVAL).
    bool repeated = false;
    for (size_t i = 0; i < r.args.size() && !repeated; i++) {
      for (size_t j = i + 1; j < r.args.size(); j++) repeated = repeated || r.args[i].arg == r.args[j].arg;
    }
    int rc = 0;
    if (!repeated) {
      rc = seccomp_rule_add_array(c.ctx, r.action, nr, static_cast<unsigned>(r.args.size()), r.args.empty() ? nullptr : r.args.data());
    } else {
      for (size_t i = 0; i < r.args.size() && rc == 0; i++) rc = seccomp_rule_add_array(c.ctx, r.action, nr, 1, &r.args[i]);
    }
    if (rc != 0) return Fail(error, err_no, -rc, "seccomp_rule_add " + r.name);
  }
  int fd = memfd_create("gocker-seccomp", MFD_CLOEXEC);
  if (fd < 0) return Fail(error, err_no, errno, "memfd_create");
  int rc = seccomp_export_bpf(c.ctx, fd);
  off_t size = rc == 0 ? lseek(fd, 0, SEEK_END) : -1;
  if (rc != 0 || size < 0) {
    int e = rc != 0 ? -rc : errno;
    close(fd);
    return Fail(error, err_no, e, rc != 0 ? "seccomp_export_bpf" : "lseek");
  }
  out->assign(static_cast<size_t>(size), '\0');
  size_t got = 0;
  while (got < out->size()) {
    ssize_t n = pread(fd, &(*out)[got], out->size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;
      close(fd);
      return Fail(error, err_no, e, "read seccomp program");
    }
    got += static_cast<size_t>(n);
  }
  close(fd);
  return true;
}

}  // namespace gocker
