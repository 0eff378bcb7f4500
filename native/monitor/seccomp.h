// Loading the container's seccomp filter. TypeScript resolved docker's profile and the addon
// compiled it with libseccomp; the spec names the file the program is in, and this only
// loads it, so the static monitor needs no libseccomp.
#pragma once
#include <string>

namespace gocker_monitor {

// program: struct sock_filter[]; flags: SECCOMP_FILTER_FLAG_*.
// Returns 0, or the errno of seccomp(2) (EINVAL for a malformed program: fail closed).
int LoadSeccomp(const std::string& program, unsigned flags);

}  // namespace gocker_monitor
