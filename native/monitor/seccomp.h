// Loading the container's seccomp filter. TypeScript resolved docker's profile and the addon
// compiled it with libseccomp; the spec carries the program, and this only decodes and
// loads it, so the static monitor needs neither libseccomp nor a JSON parser.
#pragma once
#include <string>

namespace gocker_monitor {

// hex: the spec's seccomp_bpf (struct sock_filter[] as hex); flags: SECCOMP_FILTER_FLAG_*.
// Returns 0, or the errno of seccomp(2) (EINVAL for a malformed program: fail closed).
int LoadSeccomp(const std::string& hex, unsigned flags);

}  // namespace gocker_monitor
