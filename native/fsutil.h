// Small file-descriptor helpers shared by the layer extractor and the tree copy.
#pragma once
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace gocker {

// openat2(2), retried on EINTR/EAGAIN (EAGAIN: a rename raced a RESOLVE_IN_ROOT walk).
inline long Openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = flags;
  how.resolve = resolve;
  long r;
  do {
    r = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  } while (r < 0 && (errno == EINTR || errno == EAGAIN));
  return r;
}

// The path through which the kernel reaches exactly fd's inode: how an O_PATH descriptor
// (which fchmod and fsetxattr refuse) gets a chmod or an xattr without a name lookup that a
// symlink could redirect.
inline std::string ProcFd(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

// Closes on scope exit.
struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

}  // namespace gocker
