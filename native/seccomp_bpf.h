// A seccomp filter compiled to classic BPF by libseccomp, from flat rules: the one compiler of
// both the addon (docker's profile, resolved by lib/container/seccomp.ts) and gocker-runtime
// (a bundle's linux.seccomp). No N-API here, so the runtime links it without Node.
#pragma once
#include <seccomp.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gocker {

struct SeccompRule {
  std::string name;  // the syscall's
  uint32_t action;   // SCMP_ACT_*
  std::vector<scmp_arg_cmp> args;
};

// architectures: docker's and the runtime spec's names (SCMP_ARCH_X86_64). Returns the program
// (struct sock_filter[]) in *out, or false with *error one line ("seccomp_rule_add read: ...").
// *err_no: the errno of the failed call, 0 when the input itself was wrong.
bool CompileSeccomp(uint32_t default_action, const std::vector<std::string>& architectures, const std::vector<SeccompRule>& rules,
                    std::string* out, std::string* error, int* err_no);

}  // namespace gocker
