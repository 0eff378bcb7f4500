// The container's device nodes: made inside its root (never through a symlink onto the
// host), or in a user namespace, where mknod is refused, the host's node bound over a file.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "monitor.h"
#include "spec.h"
#include "sys.h"
#include "util.h"

namespace gocker_monitor {

// Makes one device node in the container. Under /dev, the container's own tmpfs, no symlink
// is followed. Elsewhere (docker's --device /dev/zero:/opt/z) the node goes into the root
// filesystem as runc puts it there: every symlink on the way, the last name's too, resolved
// as if root were "/" (OpenDest's walk), so that an image's link never points the node, or
// the directories made for it, onto the host; a file already there is left as it is (runc's
// EEXIST), as a second start finds the node its first made. In a user namespace, where
// mknod is refused, the host's node is bound over a file made for it instead (as runc does).
void MakeDevice(int root, const Device& d, bool in_user) {
  bool in_dev = d.path.compare(0, 5, "/dev/") == 0;
  std::string dest = d.path;
  for (int depth = 0;; depth++) {
    if (depth > 40) Die(kDevice, ELOOP, d.path);
    // Lexically clean: a link's target may hold . and ..
    Strings parts = CleanParts(dest);
    if (parts.empty()) Die(kDevice, EEXIST, d.path + ": mknod over the root");
    std::string name = parts.back();
    std::string parent;
    for (size_t i = 0; i + 1 < parts.size(); i++) parent += "/" + parts[i];
    int dir = OpenDest(root, parent.empty() ? "/" : parent, false, in_dev);
    if (dir < 0) Die(kDevice, errno, d.path);
    struct stat st;
    if (!in_dev && fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (!S_ISLNK(st.st_mode)) {
        // A file there: the node's place in a user namespace (the host's node bound over it).
        if (in_user && !d.fifo) BindHostDevice(d, dir, name);
        close(dir);
        return;
      }
      char target[4096];
      ssize_t n = readlinkat(dir, name.c_str(), target, sizeof target - 1);
      close(dir);
      if (n < 0) Die(kDevice, errno, d.path);
      target[n] = 0;
      dest = target[0] == '/' ? std::string(target) : parent + "/" + target;
      continue;
    }
    // A FIFO (the runtime spec's type p) needs no privilege to make, in a user namespace too.
    if (in_user && !d.fifo) {
      BindHostDevice(d, dir, name);
      close(dir);
      return;
    }
    mode_t mode = d.mode | (d.fifo ? S_IFIFO : d.block ? S_IFBLK : S_IFCHR);
    // Made with its mode, the umask out of the way: nothing after mknod acts on the name by a
    // call that follows a symlink (fchmodat does), as in a shared directory another container
    // may swap the new node for a symlink to a host file at any moment.
    mode_t old_umask = umask(0);
    int made = g_sys->Mknodat(dir, name.c_str(), mode, d.fifo ? 0 : makedev(d.major, d.minor));
    int made_errno = errno;
    umask(old_umask);
    if (made != 0) Die(kDevice, made_errno, d.path);
    if (d.owned && g_sys->Fchownat(dir, name.c_str(), d.uid, d.gid, AT_SYMLINK_NOFOLLOW) != 0) Die(kDevice, errno, d.path);
    close(dir);
    return;
  }
}

// A device node for a container in its own user namespace: the host's at the same path,
// which must be that device (never a symlink), bound over an empty file made in dir. Our mount
// namespace still shows the host's tree here (before pivot_root).
void BindHostDevice(const Device& d, int dir, const std::string& name) {
  int src = open(d.path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (src < 0 || fstat(src, &st) != 0) Die(kDevice, errno, "host " + d.path);
  if ((d.block ? !S_ISBLK(st.st_mode) : !S_ISCHR(st.st_mode)) || st.st_rdev != makedev(d.major, d.minor)) Die(kDevice, ENODEV, "host " + d.path + " is not that device");
  // The mount point: a file made for it, or what the rootfs (the image's) has there, held by
  // an O_PATH fd: never opened for I/O (a FIFO would block, a device act) and never a symlink.
  if (g_sys->Mknodat(dir, name.c_str(), S_IFREG | 0600, 0) != 0 && errno != EEXIST) Die(kDevice, errno, d.path);
  int dst = openat(dir, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (dst < 0 || fstat(dst, &st) != 0) Die(kDevice, errno, d.path);
  if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode)) Die(kDevice, EEXIST, d.path);
  std::string from = "/proc/self/fd/" + std::to_string(src), to = "/proc/self/fd/" + std::to_string(dst);
  if (g_sys->Mount(from.c_str(), to.c_str(), nullptr, MS_BIND, nullptr) != 0) Die(kDevice, errno, "bind " + d.path);
  close(src);
  close(dst);
}

// The links a runtime makes in /dev (the runtime spec's, and runc's /dev/core): not in
// the spec, as they are the same for every container.
void MakeDevLinks(int root) {
  static const char* const kLinks[][2] = {{"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"}, {"/proc/self/fd/1", "/dev/stdout"},
                                          {"/proc/self/fd/2", "/dev/stderr"}, {"pts/ptmx", "/dev/ptmx"}, {"/proc/kcore", "/dev/core"}};
  int dev = OpenDest(root, "/dev", false, true);
  if (dev < 0) Die(kDevice, errno, "/dev");
  for (const auto& l : kLinks) {
    if (symlinkat(l[0], dev, l[1] + 5) != 0 && errno != EEXIST) Die(kDevice, errno, l[1]);
  }
  close(dev);
}

}  // namespace gocker_monitor
