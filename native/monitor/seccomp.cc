#include "seccomp.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace gocker_monitor {

namespace {
int Nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

int LoadSeccomp(const std::string& hex, unsigned flags) {
  // Whole instructions, and no more than the kernel takes (BPF_MAXINSNS): anything else is
  // a spec we did not write, and is refused rather than run unfiltered.
  if (hex.empty() || hex.size() % (2 * sizeof(struct sock_filter)) != 0) return EINVAL;
  std::vector<unsigned char> bytes(hex.size() / 2);
  for (size_t i = 0; i < bytes.size(); i++) {
    int hi = Nibble(hex[2 * i]), lo = Nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return EINVAL;
    bytes[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  struct sock_fprog prog;
  prog.len = static_cast<unsigned short>(bytes.size() / sizeof(struct sock_filter));
  if (bytes.size() / sizeof(struct sock_filter) > BPF_MAXINSNS) return EINVAL;
  prog.filter = reinterpret_cast<struct sock_filter*>(bytes.data());
  // seccomp(2), not prctl(PR_SET_SECCOMP): it takes flags (TSYNC, LOG, SPEC_ALLOW).
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) != 0) return errno;
  return 0;
}

}  // namespace gocker_monitor
