// Small file-descriptor helpers shared by the layer extractor and the tree copy.
#pragma once
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

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

// fn(name, value, length) for each xattr of the file open as fd (an O_PATH one read through
// ProcFd, so never a symlink's target), but overlayfs's own bookkeeping (trusted.overlay.*,
// user.overlay.*), which belongs to a tree's layering, not to the file. One removed meanwhile
// is skipped; so is a filesystem without xattrs.
template <typename F>
void ForEachXattr(int fd, bool opath, F fn) {
  std::string via = ProcFd(fd);
  auto list = [&](char* buf, size_t n) { return opath ? listxattr(via.c_str(), buf, n) : flistxattr(fd, buf, n); };
  auto get = [&](const char* name, void* buf, size_t n) { return opath ? getxattr(via.c_str(), name, buf, n) : fgetxattr(fd, name, buf, n); };
  ssize_t len = list(nullptr, 0);
  if (len <= 0) return;
  std::vector<char> names(static_cast<size_t>(len));
  len = list(names.data(), names.size());
  if (len <= 0) return;
  std::vector<char> val;
  for (size_t i = 0; i < static_cast<size_t>(len); i += strlen(names.data() + i) + 1) {
    const char* name = names.data() + i;
    if (!strncmp(name, "trusted.overlay.", 16) || !strncmp(name, "user.overlay.", 13)) continue;
    ssize_t vl = get(name, nullptr, 0);
    if (vl < 0) continue;
    val.resize(static_cast<size_t>(vl) + 1);
    vl = get(name, val.data(), val.size());
    if (vl < 0) continue;
    fn(name, val.data(), static_cast<size_t>(vl));
  }
}

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
