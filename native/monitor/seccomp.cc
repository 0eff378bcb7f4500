#include "seccomp.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "../hex.h"

namespace gocker_monitor {

int LoadSeccomp(const std::string& hex, unsigned flags) {
  // Whole instructions, and no more than the kernel takes (BPF_MAXINSNS): anything else is
  // a spec we did not write, and is refused rather than run unfiltered.
  if (hex.empty() || hex.size() % (2 * sizeof(struct sock_filter)) != 0) return EINVAL;
  std::string bytes;
  if (!gocker::FromHex(hex, &bytes)) return EINVAL;
  struct sock_fprog prog;
  prog.len = static_cast<unsigned short>(bytes.size() / sizeof(struct sock_filter));
  if (bytes.size() / sizeof(struct sock_filter) > BPF_MAXINSNS) return EINVAL;
  prog.filter = reinterpret_cast<struct sock_filter*>(bytes.data());
  // seccomp(2), not prctl(PR_SET_SECCOMP): it takes flags (TSYNC, LOG, SPEC_ALLOW).
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) != 0) return errno;
  return 0;
}

}  // namespace gocker_monitor
