#include "seccomp.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>


namespace gocker_monitor {

int LoadSeccomp(const std::string& program, unsigned flags) {
  // Whole instructions, and no more than the kernel takes (BPF_MAXINSNS): anything else is
  // a program we did not write, and is refused rather than run unfiltered.
  if (program.empty() || program.size() % sizeof(struct sock_filter) != 0) return EINVAL;
  struct sock_fprog prog;
  prog.len = static_cast<unsigned short>(program.size() / sizeof(struct sock_filter));
  if (program.size() / sizeof(struct sock_filter) > BPF_MAXINSNS) return EINVAL;
  // seccomp(2) only reads it.
  prog.filter = reinterpret_cast<struct sock_filter*>(const_cast<char*>(program.data()));
  // seccomp(2), not prctl(PR_SET_SECCOMP): it takes flags (TSYNC, LOG, SPEC_ALLOW).
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) != 0) return errno;
  return 0;
}

}  // namespace gocker_monitor
