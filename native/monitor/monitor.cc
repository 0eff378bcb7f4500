// gocker-monitor: one per container, single-threaded, no Node. It reads the spec that
// TypeScript computed (all policy lives there), creates the container process, places it in
// its cgroups before letting it run, holds its stdio, waits for it, and records how it
// ended in exit.json. Being single-threaded, the child may run ordinary code between fork
// and execve, which Node's threads would not allow inside the addon.
//
// Spec: an OCI runtime-spec config.json with gocker's io.gocker.* annotations, read and
// checked whole by spec.cc before anything is made.
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "../hex.h"
#include "attach.h"
#include "seccomp.h"
#include "spec.h"
#include "util.h"

namespace {

using gocker_monitor::Device;
using gocker_monitor::Mount;
using gocker_monitor::Spec;
using gocker_monitor::Strings;
using gocker_monitor::ErrText;
using gocker_monitor::Now;
using gocker_monitor::ReadFile;
using gocker_monitor::Split;
using gocker_monitor::WriteAll;

// The directory of the state files, opened before an exec joins the container's mount
// namespace (where host paths no longer resolve). -1: use the paths as they are.
int g_state_dir = -1;
// The event log, opened then for the same reason (exec -d records its exec_die there).
int g_events_fd = -1;

// Every file the monitor writes is in the runroot, which is meant to die with the machine
// (a tmpfs by default): atomic for readers through the rename, with no fsync, which on a
// disk would hold up the container's start (the pid file is written before it is released).
bool WriteFileAtomic(const std::string& path, const std::string& data) {
  int dir = AT_FDCWD;
  std::string name = path;
  if (g_state_dir >= 0) {
    dir = g_state_dir;
    name = path.substr(path.rfind('/') + 1);
  }
  std::string tmp = name + ".tmp";
  int fd = openat(dir, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  bool ok = WriteAll(fd, data.data(), data.size());
  close(fd);
  return ok && renameat(dir, tmp.c_str(), dir, name.c_str()) == 0;
}

std::string JsonEscape(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) {
          char b[8];
          snprintf(b, sizeof b, "\\u%04x", c);
          o += b;
        } else {
          o += static_cast<char>(c);
        }
    }
  }
  return o;
}

// ---- the child: everything from here to execve runs in the container's namespaces ----

enum Stage {
  kSync = 1, kUnshare, kMountPrivate, kRootfs, kMount, kDevice, kHostname, kPivot, kMask,
  kReadonly, kRlimit, kUser, kCaps, kNoNewPrivs, kCwd, kExec, kNetwork, kStdio, kCgroup, kKeyring, kFds, kSeccomp, kJoinNetwork, kSysctl, kOomScoreAdj, kHook,
};

const char* StageName(int s) {
  switch (s) {
    case kSync: return "sync";
    case kUnshare: return "unshare";
    case kMountPrivate: return "make mounts private";
    case kRootfs: return "mount rootfs";
    case kMount: return "mount";
    case kDevice: return "create device";
    case kHostname: return "sethostname";
    case kPivot: return "pivot_root";
    case kMask: return "mask path";
    case kReadonly: return "readonly path";
    case kRlimit: return "setrlimit";
    case kUser: return "set user";
    case kCaps: return "set capabilities";
    case kNoNewPrivs: return "no_new_privs";
    case kCwd: return "chdir to working directory";
    case kExec: return "exec";
    case kNetwork: return "set up loopback";
    case kJoinNetwork: return "join network namespace";
    case kStdio: return "stdio";
    case kCgroup: return "join cgroup";
    case kKeyring: return "join session keyring";
    case kFds: return "close inherited fds";
    case kSeccomp: return "seccomp";
    case kSysctl: return "write sysctl";
    case kOomScoreAdj: return "oom_score_adj";
    case kHook: return "hook";
  }
  return "setup";
}

struct ChildError {
  int stage;
  int err;
  char detail[256];
};

int g_err_fd = -1;

// The kernel feature the last call that failed with ENOSYS needed: on an old kernel the
// error then names it ("openat2 (Linux 5.6)") rather than a bare "function not implemented".
const char* g_missing = nullptr;

[[noreturn]] void Die(int stage, int err, const std::string& detail = "") {
  ChildError e{};
  e.stage = stage;
  e.err = err;
  if (err == ENOSYS && g_missing) {
    snprintf(e.detail, sizeof e.detail, "%s%sthis kernel lacks %s", detail.c_str(), detail.empty() ? "" : ": ", g_missing);
  } else {
    snprintf(e.detail, sizeof e.detail, "%s", detail.c_str());
  }
  WriteAll(g_err_fd, &e, sizeof e);
  _exit(1);
}

long Openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve, mode_t mode = 0) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = flags;
  how.resolve = resolve;
  how.mode = (flags & O_CREAT) ? mode : 0;
  long r = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  if (r < 0 && errno == ENOSYS) g_missing = "openat2 (Linux 5.6)";
  return r;
}

// Closes every fd from 3 on but those in keep. The monitor holds host fds (the state dir,
// cgroup files, the CLI's pipe); a process the container can see must hold none of them,
// not even close-on-exec ones: until execve they are reachable through /proc/PID/fd and
// chdir("/proc/self/fd/N") (runc CVE-2024-21626).
bool CloseFdsExcept(std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned lo = 3;
  auto close_upto = [&](unsigned hi) -> bool {
    if (hi < lo) return true;
    if (syscall(SYS_close_range, lo, hi, 0) == 0) return true;
    if (errno != ENOSYS) return false;
    // Before Linux 5.9: one by one, up to the limit nothing above can be open.
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = lo; fd <= static_cast<long>(hi) && fd < (max > 0 ? max : 1048576); fd++) close(static_cast<int>(fd));
    return true;
  };
  for (int k : keep) {
    if (k < static_cast<int>(lo)) continue;
    if (!close_upto(static_cast<unsigned>(k) - 1)) return false;
    lo = static_cast<unsigned>(k) + 1;
  }
  return close_upto(~0U);
}

std::string FdPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

// Is any mount below the one whose root fd is (by /proc/self/mountinfo)? Unknown counts as yes.
bool HasSubmounts(int fd) {
  std::string info;
  char target[4096];
  ssize_t n = readlink(FdPath(fd).c_str(), target, sizeof target - 1);
  if (n <= 0 || !ReadFile("/proc/self/mountinfo", &info)) return true;
  target[n] = 0;
  std::string prefix = std::string(target) + (target[n - 1] == '/' ? "" : "/");
  for (const std::string& line : Split(info, '\n')) {
    Strings f = Split(line, ' ');
    if (f.size() > 4 && f[4].compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

// Is the mount whose root top is (O_PATH) mounted right on the directory under is, by their
// mount ids and /proc/self/mountinfo? How a destination resolved a second time is made sure
// to be the mount just made on it, not one a symlink swapped in since led to.
bool MountedOn(int top, int under) {
  struct statx a, b;
  if (statx(top, "", AT_EMPTY_PATH, STATX_MNT_ID, &a) != 0 || statx(under, "", AT_EMPTY_PATH, STATX_MNT_ID, &b) != 0) return false;
  if (!(a.stx_mask & STATX_MNT_ID) || !(b.stx_mask & STATX_MNT_ID)) return false;
  char target[4096];
  ssize_t n = readlink(FdPath(under).c_str(), target, sizeof target - 1);
  std::string info;
  if (n <= 0 || !ReadFile("/proc/self/mountinfo", &info)) return false;
  target[n] = 0;
  for (const std::string& line : Split(info, '\n')) {
    Strings f = Split(line, ' ');
    if (f.size() < 5 || f[0] != std::to_string(a.stx_mnt_id)) continue;
    // The mount point as mountinfo escapes it: space, tab, newline and backslash as \ooo.
    std::string point;
    for (size_t i = 0; i < f[4].size(); i++) {
      if (f[4][i] == '\\' && i + 3 < f[4].size() && isdigit(static_cast<unsigned char>(f[4][i + 1]))) {
        point += static_cast<char>(strtol(f[4].substr(i + 1, 3).c_str(), nullptr, 8));
        i += 3;
      } else {
        point += f[4][i];
      }
    }
    return f[1] == std::to_string(b.stx_mnt_id) && f[3] == "/" && point == target;
  }
  return false;
}

// Sets a bind mount's flags (ro, nosuid, nodev, noexec, atime), with recursive on every mount
// below it too: MS_REMOUNT reaches only the top mount, so the submounts of a read-only
// volume, or of /proc/sys, stayed writable. fd: the mount's root (O_PATH).
bool SetBindFlags(int fd, unsigned long flags, bool recursive) {
  struct mount_attr attr;
  memset(&attr, 0, sizeof attr);
  if (flags & MS_RDONLY) attr.attr_set |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID) attr.attr_set |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV) attr.attr_set |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC) attr.attr_set |= MOUNT_ATTR_NOEXEC;
  if (flags & MS_NODIRATIME) attr.attr_set |= MOUNT_ATTR_NODIRATIME;
  if (flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)) {
    attr.attr_clr |= MOUNT_ATTR__ATIME;
    attr.attr_set |= (flags & MS_NOATIME) ? MOUNT_ATTR_NOATIME : (flags & MS_STRICTATIME) ? MOUNT_ATTR_STRICTATIME : MOUNT_ATTR_RELATIME;
  }
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) == 0) return true;
  if (errno != ENOSYS) return false;
  g_missing = "mount_setattr (Linux 5.12)";
  // Without it, a mount with nothing below it can still be remounted alone; one with
  // submounts cannot be made read-only as a whole, and we say so rather than half do it.
  if (recursive && HasSubmounts(fd)) {
    errno = ENOSYS;
    return false;
  }
  return mount(nullptr, FdPath(fd).c_str(), nullptr, MS_REMOUNT | MS_BIND | flags, nullptr) == 0;
}

// Opens (creating as needed: directories, or an empty file for a file bind) a mount
// destination inside root. Symlinks resolve as if root were "/" — including dangling ones,
// whose targets are created inside root — so an image cannot redirect a mount onto the
// host. no_symlinks refuses any symlink on the way (for /proc, /dev, /sys).
int OpenDest(int root, const std::string& dest, bool as_file, bool no_symlinks, int depth = 0) {
  if (depth > 40) {
    errno = ELOOP;
    return -1;
  }
  uint64_t res = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | (no_symlinks ? RESOLVE_NO_SYMLINKS : 0);
  Strings parts;
  for (const std::string& p : Split(dest, '/')) {
    if (!p.empty() && p != ".") parts.push_back(p);
  }
  std::string rel;
  for (size_t i = 0; i < parts.size(); i++) rel += (i ? "/" : "") + parts[i];
  if (rel.empty()) return static_cast<int>(Openat2(root, ".", O_PATH | O_CLOEXEC, res));
  long fd = Openat2(root, rel.c_str(), O_PATH | O_CLOEXEC, res);
  if (fd >= 0 || errno != ENOENT) return static_cast<int>(fd);
  std::string cur;
  for (size_t i = 0; i < parts.size(); i++) {
    int pfd = static_cast<int>(Openat2(root, cur.empty() ? "." : cur.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, res));
    if (pfd < 0) return -1;
    const std::string& part = parts[i];
    std::string next = cur.empty() ? part : cur + "/" + part;
    struct stat st;
    if (fstatat(pfd, part.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) {
        close(pfd);
        return -1;
      }
      bool last = i + 1 == parts.size();
      if (last && as_file) {
        int f = openat(pfd, part.c_str(), O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (f >= 0) close(f);
      } else if (mkdirat(pfd, part.c_str(), 0755) != 0 && errno != EEXIST) {
        close(pfd);
        return -1;
      }
    } else if (S_ISLNK(st.st_mode)) {
      // A symlink in procfs is a magic link (/proc/self/fd/N, /proc/PID/cwd): its text names
      // no path in this root, and is not to be followed as one.
      struct statfs sfs;
      if (no_symlinks || (fstatfs(pfd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC)) {
        close(pfd);
        errno = ELOOP;
        return -1;
      }
      char target[4096];
      ssize_t n = readlinkat(pfd, part.c_str(), target, sizeof target - 1);
      close(pfd);
      if (n < 0) return -1;
      target[n] = 0;
      std::string redirected = target[0] == '/' ? std::string(target) : cur + "/" + target;
      for (size_t k = i + 1; k < parts.size(); k++) redirected += "/" + parts[k];
      return OpenDest(root, redirected, as_file, no_symlinks, depth + 1);
    }
    close(pfd);
    cur = next;
  }
  return static_cast<int>(Openat2(root, rel.c_str(), O_PATH | O_CLOEXEC, res));
}

// Makes one device node in the container. Under /dev, the container's own tmpfs, no symlink
// is followed. Elsewhere (docker's --device /dev/zero:/opt/z) the node goes into the root
// filesystem as runc puts it there: every symlink on the way, the last name's too, resolved
// as if root were "/" (OpenDest's walk), so that an image's link never points the node, or
// the directories made for it, onto the host; a file already there is left as it is (runc's
// EEXIST), as a second start finds the node its first made. In a user namespace, where
// mknod is refused, the host's node is bound over a file made for it instead (as runc does).
void BindHostDevice(const Device& d, int dir, const std::string& name);
void MakeDevice(int root, const Device& d, bool in_user) {
  bool in_dev = d.path.compare(0, 5, "/dev/") == 0;
  std::string dest = d.path;
  for (int depth = 0;; depth++) {
    if (depth > 40) Die(kDevice, ELOOP, d.path);
    // Lexically clean (a link's target may hold . and ..), ".." at the top staying there.
    Strings parts;
    for (const std::string& p : Split(dest, '/')) {
      if (p.empty() || p == ".") continue;
      if (p == "..") {
        if (!parts.empty()) parts.pop_back();
        continue;
      }
      parts.push_back(p);
    }
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
    int made = mknodat(dir, name.c_str(), mode, d.fifo ? 0 : makedev(d.major, d.minor));
    int made_errno = errno;
    umask(old_umask);
    if (made != 0) Die(kDevice, made_errno, d.path);
    if (d.owned && fchownat(dir, name.c_str(), d.uid, d.gid, AT_SYMLINK_NOFOLLOW) != 0) Die(kDevice, errno, d.path);
    close(dir);
    return;
  }
}

// Binds that propagate are cloned before this namespace is made private: its mounts are then
// still copies in the host's peer groups, and a clone (open_tree keeps a mount's propagation,
// as a bind does) of a shared one is a peer of the host's mount. shared keeps that (mounts
// made on either side appear on the other); slave makes the clone, and every mount below it,
// the host mount's slave (the host's new mounts appear in the container, never the other
// way). The clone gets its other flags here too, detached, and is attached in DoMount. Only
// with open_tree and mount_setattr (Linux 5.12): without them this is refused, not half done.
std::map<size_t, int> ClonePropagating(const std::vector<Mount>& mounts) {
  std::map<size_t, int> out;
  for (size_t i = 0; i < mounts.size(); i++) {
    const Mount& m = mounts[i];
    if (!(m.flags & MS_BIND) || !m.propagation) continue;
    int tree = open_tree(AT_FDCWD, m.source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((m.flags & MS_REC) ? AT_RECURSIVE : 0));
    if (tree < 0) {
      if (errno == ENOSYS) g_missing = "open_tree (Linux 5.2), for mount propagation";
      Die(kMount, errno, m.dest);
    }
    struct mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.propagation = m.propagation;
    unsigned int at = AT_EMPTY_PATH | (m.propagation == MS_SLAVE || m.propagation_recursive ? AT_RECURSIVE : 0);
    if (syscall(SYS_mount_setattr, tree, "", at, &attr, sizeof attr) != 0) {
      if (errno == ENOSYS) g_missing = "mount_setattr (Linux 5.12), for mount propagation";
      Die(kMount, errno, m.dest);
    }
    unsigned long rest = m.flags & ~(MS_BIND | MS_REC);
    if (rest && !SetBindFlags(tree, rest, m.flags & MS_REC)) Die(kMount, errno, m.dest);
    out[i] = tree;
  }
  return out;
}

// clone: the bind's source tree, made ready by ClonePropagating, or -1.
void DoMount(int root, const Mount& m, int clone = -1) {
  const std::string &type = m.type, &source = m.source, &dest = m.dest, &data = m.data;
  unsigned long flags = m.flags;
  bool bind = flags & MS_BIND;
  bool as_file = false;
  if (bind) {
    struct stat st;
    if (stat(source.c_str(), &st) != 0) Die(kMount, errno, "bind source " + source);
    as_file = !S_ISDIR(st.st_mode);
  }
  bool special = type == "proc" || type == "sysfs" || dest == "/dev";
  int fd = OpenDest(root, dest, as_file, special);
  if (fd < 0) Die(kMount, errno, special && errno == ELOOP ? dest + " is a symlink in the image" : dest);
  std::string target = FdPath(fd);
  if (clone >= 0) {
    if (move_mount(clone, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) Die(kMount, errno, dest);
    close(clone);
  } else if (bind) {
    unsigned long rest = flags & ~(MS_BIND | MS_REC);
    // A detached copy of the source, given its flags before it is attached, then moved onto
    // the destination as resolved once. Resolving the destination again to remount it could
    // be raced onto another directory (a symlink swapped in by another container sharing the
    // volume), which got the read-only flag while ours stayed writable (runc CVE-2021-30465).
    int tree = open_tree(AT_FDCWD, source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((flags & MS_REC) ? AT_RECURSIVE : 0));
    if (tree < 0 && errno != ENOSYS) Die(kMount, errno, dest);
    if (tree >= 0 && rest && !SetBindFlags(tree, rest, flags & MS_REC)) {
      if (errno != ENOSYS) Die(kMount, errno, dest);
      close(tree);  // mount_setattr is newer (5.12) than open_tree (5.2): the old way below
      tree = -1;
    }
    if (tree >= 0) {
      if (move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) Die(kMount, errno, dest);
      close(tree);
    } else {
      if (mount(source.c_str(), target.c_str(), nullptr, flags & (MS_BIND | MS_REC), nullptr) != 0) Die(kMount, errno, dest);
      if (rest) {
        // Bind mounts ignore other flags until remounted, and the remount must name the new
        // mount: our fd still points beneath it, so open the destination again, and make
        // sure what we reached is the bind (the source's own inode), not a raced-in other.
        int mfd = OpenDest(root, dest, as_file, false);
        struct stat want, got;
        if (mfd < 0) Die(kMount, errno, dest);
        if (stat(source.c_str(), &want) != 0 || fstat(mfd, &got) != 0) Die(kMount, errno, dest);
        if (want.st_dev != got.st_dev || want.st_ino != got.st_ino) Die(kMount, EBUSY, dest + " changed while it was mounted");
        if (!SetBindFlags(mfd, rest, flags & MS_REC)) Die(kMount, errno, dest);
        close(mfd);
      }
    }
  } else {
    if (mount(source.c_str(), target.c_str(), type.c_str(), flags, data.empty() ? nullptr : data.c_str()) != 0) {
      // sysfs is its network namespace's: in a user namespace that does not own the network
      // namespace (one joined, or the host's), the kernel refuses it. The /sys this mount
      // namespace has (the host's) is bound instead, recursively, with the flags asked for,
      // as runc falls back to.
      if (type != "sysfs" || errno != EPERM) Die(kMount, errno, dest);
      close(fd);
      Mount b = m;
      b.type = "bind";
      b.source = "/sys";
      b.data.clear();
      b.flags = MS_BIND | MS_REC | (flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
      return DoMount(root, b);
    }
    if (m.propagation) {
      // Set on the new mount itself: our fd is beneath it, so reach the destination again,
      // and make sure that is the mount just made on our fd's directory.
      int mfd = OpenDest(root, dest, as_file, special);
      if (mfd < 0) Die(kMount, errno, dest);
      if (!MountedOn(mfd, fd)) Die(kMount, EBUSY, dest + " changed while it was mounted");
      if (mount(nullptr, FdPath(mfd).c_str(), nullptr, m.propagation | (m.propagation_recursive ? MS_REC : 0), nullptr) != 0) Die(kMount, errno, dest);
      close(mfd);
    }
  }
  close(fd);
}

void LoopbackUp() {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) Die(kNetwork, errno);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) Die(kNetwork, errno);
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) Die(kNetwork, errno);
  close(s);
}

// Unlocks a new pty's master and sends it over sock (SCM_RIGHTS, with the slave's path as the
// message, as runc's console socket has it); returns the slave's path.
std::string SendPty(int master, int sock) {
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) != 0) Die(kStdio, errno, "unlock pty");
  int pty_num = -1;
  if (ioctl(master, TIOCGPTN, &pty_num) != 0) Die(kStdio, errno, "pty number");
  std::string slave = "/dev/pts/" + std::to_string(pty_num);
  struct iovec iov = {const_cast<char*>(slave.data()), slave.size()};
  char ctrl[CMSG_SPACE(sizeof(int))];
  memset(ctrl, 0, sizeof ctrl);
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &master, sizeof(int));
  if (sendmsg(sock, &msg, 0) != static_cast<ssize_t>(slave.size())) Die(kStdio, errno, "send pty");
  close(master);
  return slave;
}

// -t: the pty comes from the container's own devpts instance (so `tty` names /dev/pts/0
// inside it); its master goes to the monitor over the socket, as runc's console socket.
// Returns the slave, opened. console: the socket is a runtime caller's console socket, which
// sends no acknowledgement (the shim takes the master only once `exec` has returned).
int OpenPty(int sock, bool console) {
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) Die(kStdio, errno, "/dev/ptmx");
  std::string slave = SendPty(master, sock);
  // Wait until the monitor has given the pty its size, so the command starts with it.
  char ack;
  while (!console && read(sock, &ack, 1) < 0 && errno == EINTR) {
  }
  close(sock);
  int t = open(slave.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (t < 0) Die(kStdio, errno, slave);
  return t;
}

// gocker-runtime's create with a terminal: the shim takes the pty master from the console
// socket before it starts the container, so it is made before the container is reported
// created, from the container's devpts (mounted by then; the pivot is still to come).
// Returns the slave's path, opened in Become once the root is the container's.
std::string g_console_slave;

void SendConsole(int root, int sock) {
  int master = static_cast<int>(Openat2(root, "dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS));
  if (master < 0) Die(kStdio, errno, "/dev/pts/ptmx");
  g_console_slave = SendPty(master, sock);
  close(sock);
}

// The pty's slave as the controlling terminal and stdio of a new session: done by the
// process that will exec the command, which is then its session leader.
void TakePty(int t) {
  if (setsid() < 0) Die(kStdio, errno, "setsid");
  if (ioctl(t, TIOCSCTTY, 0) != 0) Die(kStdio, errno, "controlling terminal");
  if (dup2(t, 0) < 0 || dup2(t, 1) < 0 || dup2(t, 2) < 0) Die(kStdio, errno);
  if (t > 2) close(t);
}

int RecvFd(int sock) {
  char data;
  struct iovec iov = {&data, 1};
  char ctrl[CMSG_SPACE(sizeof(int))];
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n != 1) return -1;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == nullptr || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return fd;
}

// The container's seccomp filter (docker's default profile unless unconfined), compiled by
// TypeScript with libseccomp and carried in the spec; none for unconfined and --privileged.
void ApplySeccomp(const Spec& spec) {
  if (spec.seccomp_bpf.empty()) return;
  int e = gocker_monitor::LoadSeccomp(spec.seccomp_bpf, spec.seccomp_flags);
  if (e != 0) Die(kSeccomp, e);
}

// hooks.startContainer, each in turn, as runc runs them: in the container, after pivot_root
// and the switch to its user and capabilities, right before its command; the state on stdin
// (status created, pid as the container sees its init). The first that fails, or outlives its
// timeout, fails the start with what it printed.
void RunStartContainerHooks(const Spec& spec) {
  const std::string rest = spec.hook_state.size() > 2 ? "," + spec.hook_state.substr(1) : "}";
  const std::string state = "{\"pid\":" + std::to_string(getpid()) + ",\"status\":\"created\"" + rest;
  for (size_t i = 0; i < spec.start_container_hooks.size(); i++) {
    const gocker_monitor::Hook& h = spec.start_container_hooks[i];
    const std::string w = "startContainer hook #" + std::to_string(i);
    std::vector<char*> argv, envp;
    for (const auto& a : h.args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : h.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) Die(kHook, errno, w + ": pipe");
    pid_t pid = fork();
    if (pid < 0) Die(kHook, errno, w + ": fork");
    if (pid == 0) {
      if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0) _exit(127);
      execve(h.path.c_str(), argv.data(), envp.data());
      dprintf(2, "exec %s: %s", h.path.c_str(), strerror(errno));
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    WriteAll(in[1], state.data(), state.size());  // a hook that reads none of it is no error
    close(in[1]);
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    bool done = true;
    if (pidfd >= 0 && h.timeout > 0) {
      struct pollfd pf = {pidfd, POLLIN, 0};
      int r;
      do {
        r = poll(&pf, 1, h.timeout * 1000);
      } while (r < 0 && errno == EINTR);
      done = r == 1;
    }
    if (!done) kill(pid, SIGKILL);
    if (pidfd >= 0) close(pidfd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    std::string output;
    char buf[512];
    ssize_t n;
    while (output.size() < 200 && (n = read(out[0], buf, sizeof buf)) > 0) output.append(buf, static_cast<size_t>(n));
    close(out[0]);
    while (!output.empty() && output.back() == '\n') output.pop_back();
    if (!done) Die(kHook, 0, w + ": timeout after " + std::to_string(h.timeout) + "s");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::string how = WIFSIGNALED(status) ? std::string("killed by ") + strsignal(WTERMSIG(status)) : "exit status " + std::to_string(WEXITSTATUS(status));
      Die(kHook, 0, w + ": " + how + (output.empty() ? "" : ", output: " + output));
    }
  }
}

// The last steps, shared by run and exec: terminal, limits, user, capabilities, cwd, execve.
// report_fd (exec): the process that does all this is not in the container's pid namespace,
// and forks the one that execs the command into it only once it has no more privileges than
// the command will have; that one's pid goes to the monitor on report_fd. A process the
// container can see never holds more: non-dumpable does not keep out a container root with
// CAP_SYS_PTRACE, which has it in the host's user namespace.
[[noreturn]] void Become(const Spec& spec, int pty_sock, int report_fd = -1) {
  int pty = pty_sock >= 0 ? OpenPty(pty_sock, spec.console_fd >= 0) : -1;
  if (!g_console_slave.empty() && (pty = open(g_console_slave.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) Die(kStdio, errno, g_console_slave);
  if (pty >= 0 && report_fd < 0) TakePty(pty);

  // (TS has already checked them against the hard limits)
  for (const gocker_monitor::Rlimit& r : spec.rlimits) {
    struct rlimit rl = {r.soft, r.hard};
    if (setrlimit(r.resource, &rl) != 0) Die(kRlimit, errno, r.name);
  }

  // The bounding set first (needs CAP_SETPCAP, which we still have as root).
  const uint64_t keep = spec.bounding;
  int last_cap = 40;
  {
    std::string s;
    if (ReadFile("/proc/sys/kernel/cap_last_cap", &s)) last_cap = atoi(s.c_str());
  }
  for (int cap = 0; cap <= last_cap; cap++) {
    if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) Die(kCaps, errno);
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);

  // The working directory is created if the image lacks it (as root, before the user
  // switch), as docker does. It is resolved inside the container's root, symlinks included,
  // and never through a magic link (/proc/self/fd/N, /proc/PID/cwd): those could name a
  // directory outside the root, which chdir would happily enter (runc CVE-2024-21626).
  const std::string& cwd = spec.cwd;
  int cwd_fd;
  {
    int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) Die(kCwd, errno, "/");
    cwd_fd = OpenDest(root, cwd, false, false);
    if (cwd_fd < 0) Die(kCwd, errno, cwd);
    close(root);
  }

  const uid_t uid = spec.uid;
  const gid_t gid = spec.gid;
  const std::vector<gid_t>& groups = spec.groups;
  // Loading a filter takes CAP_SYS_ADMIN or no_new_privs. Without no_new_privs it goes in
  // here, before the user switch and capset drop our capabilities (as runc); the profile
  // allows the few calls left. With it, right before execve (exec: before the fork), the
  // latest point.
  const bool nnp = spec.no_new_privs;
  if (!nnp) ApplySeccomp(spec);
  if (setgroups(groups.size(), groups.data()) != 0) Die(kUser, errno, "setgroups");
  if (setresgid(gid, gid, gid) != 0) Die(kUser, errno, "setgid");
  // A user but root keeps the permitted set the spec gives it only with keepcaps across the
  // switch (which then empties effective; capset below sets it again).
  if (uid != 0 && spec.permitted && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) Die(kUser, errno, "keepcaps");
  if (setresuid(uid, uid, uid) != 0) Die(kUser, errno, "setuid");
  if (uid != 0 && spec.permitted && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) Die(kUser, errno, "keepcaps");
  // A change of credentials clears the parent-death signal: set it again, then make sure
  // the monitor did not die before it was set (getppid() is 0 in a new pid namespace, so
  // ask the error pipe: its write end reports POLLERR once the monitor's read end is gone).
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) Die(kUser, errno, "pdeathsig");
  {
    struct pollfd pf = {g_err_fd, POLLOUT, 0};
    if (poll(&pf, 1, 0) == 1 && (pf.revents & POLLERR)) _exit(1);
  }

  // The sets as the spec has them (docker's: root keeps the chosen set in effective and
  // permitted, others get none), then the ambient ones, which must be in both of those.
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  data[0].effective = static_cast<uint32_t>(spec.effective);
  data[1].effective = static_cast<uint32_t>(spec.effective >> 32);
  data[0].permitted = static_cast<uint32_t>(spec.permitted);
  data[1].permitted = static_cast<uint32_t>(spec.permitted >> 32);
  data[0].inheritable = static_cast<uint32_t>(spec.inheritable);
  data[1].inheritable = static_cast<uint32_t>(spec.inheritable >> 32);
  if (syscall(SYS_capset, &hdr, data) != 0) Die(kCaps, errno);
  for (int cap = 0; cap < 64; cap++) {
    if ((spec.ambient & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) Die(kCaps, errno, "ambient");
  }
  if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) Die(kNoNewPrivs, errno);

  // As the user, so that its permissions apply; then checked: a cwd the root cannot reach
  // reads "(unreachable)/..." (the kernel's getcwd), never a path starting with '/'.
  if (fchdir(cwd_fd) != 0) Die(kCwd, errno, cwd);
  close(cwd_fd);
  {
    char buf[4096];
    long n = syscall(SYS_getcwd, buf, sizeof buf);
    if (n <= 0 || buf[0] != '/') Die(kCwd, EPERM, cwd + " is outside the container");
  }

  if (spec.umask >= 0) umask(static_cast<mode_t>(spec.umask));

  if (report_fd < 0) RunStartContainerHooks(spec);

  const Strings& args = spec.args;
  const Strings& envs = spec.env;
  std::vector<char*> argv, envp;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : envs) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  if (args.empty()) Die(kExec, ENOENT, "no command specified");

  if (report_fd >= 0) {
    // exec: everything is dropped but the filter (when it waits for no_new_privs): then the
    // command's process, in the container's pid namespace; we go, and the monitor (a
    // subreaper) becomes its parent.
    if (nnp) ApplySeccomp(spec);
    pid_t command = fork();
    if (command < 0) Die(kExec, errno, "fork");
    if (command > 0) {
      WriteAll(report_fd, &command, sizeof command);
      _exit(0);
    }
    close(report_fd);
    if (pty >= 0) TakePty(pty);
  }

  // Every fd but stdio closes on exec (the error pipe too, which is how the parent learns
  // that execve succeeded).
  syscall(SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
  // Handed over (gocker-runtime): the monitor goes once we run, and the command must outlive it.
  if (spec.hand_over && report_fd < 0 && prctl(PR_SET_PDEATHSIG, 0) != 0) Die(kUser, errno, "pdeathsig");
  if (nnp && report_fd < 0) ApplySeccomp(spec);

  const std::string& file = args[0];
  if (file.find('/') != std::string::npos) {
    execve(file.c_str(), argv.data(), envp.data());
    Die(kExec, errno, file);
  }
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (auto& e : envs) {
    if (e.compare(0, 5, "PATH=") == 0) path = e.substr(5);
  }
  int saw_eacces = 0;
  for (const std::string& dir : Split(path, ':')) {
    std::string cand = (dir.empty() ? "." : dir) + "/" + file;
    execve(cand.c_str(), argv.data(), envp.data());
    if (errno == EACCES) saw_eacces = EACCES;
    else if (errno != ENOENT && errno != ENOTDIR) Die(kExec, errno, file);
  }
  Die(kExec, saw_eacces ? EACCES : ENOENT, file);
}

// A session keyring of our own: the one inherited is the host's (the CLI's), and keys are
// not namespaced, so a container would otherwise read or link keys there (as runc does).
// Anonymous: nothing else is to join it. Before the seccomp filter, which refuses keyctl.
void JoinNewKeyring() {
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr) < 0 && errno != ENOSYS) Die(kKeyring, errno);
}

// process.oomScoreAdj, before anything of the container's runs (exec: for its command too).
void ApplyOomScoreAdj(const Spec& spec) {
  if (!spec.oom_score_adj_set) return;
  std::string v = std::to_string(spec.oom_score_adj);
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0 || !WriteAll(fd, v.data(), v.size())) Die(kOomScoreAdj, errno, "oom_score_adj");
  close(fd);
}

// Blocks until the monitor has placed us in our cgroups.
void WaitForParent(int sync_fd) {
  char c;
  ssize_t n;
  do {
    n = read(sync_fd, &c, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) Die(kSync, n < 0 ? errno : EPIPE);
  close(sync_fd);
}

// True for the mounts that show cgroups (v1's tmpfs and hierarchies, or v2): they need the
// cgroup namespace, which is made only once the container is in its cgroups.
bool CgroupMount(const Mount& m) {
  return m.type == "cgroup" || m.type == "cgroup2" || m.dest == "/sys/fs/cgroup" || m.dest.compare(0, 15, "/sys/fs/cgroup/") == 0;
}

// Joins the v1 hierarchies by writing "0" to their tasks files: a single-threaded task
// moving itself spares the kernel's global threadgroup lock (see lib/cgroups).
void JoinCgroupsSelf(const Spec& spec) {
  for (const std::string& f : spec.cgroup_self) {
    int fd = open(f.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) Die(kCgroup, errno, f);
    close(fd);
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
  if (mknodat(dir, name.c_str(), S_IFREG | 0600, 0) != 0 && errno != EEXIST) Die(kDevice, errno, d.path);
  int dst = openat(dir, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (dst < 0 || fstat(dst, &st) != 0) Die(kDevice, errno, d.path);
  if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode)) Die(kDevice, EEXIST, d.path);
  std::string from = "/proc/self/fd/" + std::to_string(src), to = "/proc/self/fd/" + std::to_string(dst);
  if (mount(from.c_str(), to.c_str(), nullptr, MS_BIND, nullptr) != 0) Die(kDevice, errno, "bind " + d.path);
  close(src);
  close(dst);
}

// The child's uid_map and gid_map, written from the host's user namespace (we have
// CAP_SETUID and CAP_SETGID there, so any host IDs may be mapped, and setgroups stays allowed).
bool WriteIdMaps(pid_t pid, const Spec& spec, std::string* why) {
  for (bool uid : {true, false}) {
    std::string text;
    for (const gocker_monitor::IdMapping& m : uid ? spec.uid_mappings : spec.gid_mappings) {
      text += std::to_string(m.container) + " " + std::to_string(m.host) + " " + std::to_string(m.size) + "\n";
    }
    std::string file = "/proc/" + std::to_string(pid) + (uid ? "/uid_map" : "/gid_map");
    int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
    // One write: the kernel takes a map whole, once.
    if (fd < 0 || write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      *why = std::string(uid ? "linux.uidMappings" : "linux.gidMappings") + ": " + strerror(errno);
      if (fd >= 0) close(fd);
      return false;
    }
    close(fd);
  }
  return true;
}

// A user namespace joined (a pod's sandbox's): this process, the monitor's child, enters it
// and becomes its root, makes the container's pid namespace there (a pid namespace belongs to
// the user namespace of whoever makes it, and the container's root may mount proc only for
// its own), forks the container's init into it, says the init's pid and goes: the init, handed
// over, is reparented to the shim above the monitor, which reaps it.
void EnterUserNamespace(const Spec& spec, int relay_fd) {
  if (setns(spec.userns_fd, CLONE_NEWUSER) != 0) Die(kUnshare, errno, "setns user");
  close(spec.userns_fd);
  if (setresgid(0, 0, 0) != 0) Die(kUser, errno, "setgid 0 in the user namespace");
  if (setresuid(0, 0, 0) != 0) Die(kUser, errno, "setuid 0 in the user namespace");
  if (spec.own_pid && unshare(CLONE_NEWPID) != 0) Die(kUnshare, errno, "pid namespace");
  pid_t init = fork();
  if (init < 0) Die(kUnshare, errno, "fork");
  if (init == 0) {
    close(relay_fd);
    return;
  }
  WriteAll(relay_fd, &init, sizeof init);
  _exit(0);
}

// The network, IPC and UTS namespaces the spec joins, once: by Child, or before a new user
// namespace is made (JoinThenMakeUser). netns_fd: another container's network namespace
// (--network container:NAME), opened by the CLI from that container's verified process;
// ipcns_fd the same for --ipc container:; utsns_fd a pod's sandbox's (gocker-runtime opened
// each from the spec's path).
void JoinGivenNamespaces(const Spec& spec) {
  static bool joined = false;
  if (joined) return;
  joined = true;
  if (spec.netns_fd >= 0) {
    if (setns(spec.netns_fd, CLONE_NEWNET) != 0) Die(kJoinNetwork, errno);
    close(spec.netns_fd);
  }
  if (spec.ipcns_fd >= 0) {
    if (setns(spec.ipcns_fd, CLONE_NEWIPC) != 0) Die(kUnshare, errno, "setns ipc");
    close(spec.ipcns_fd);
  }
  if (spec.utsns_fd >= 0) {
    if (setns(spec.utsns_fd, CLONE_NEWUTS) != 0) Die(kUnshare, errno, "setns uts");
    close(spec.utsns_fd);
  }
}

// In a new user namespace, once the monitor has written its maps: root of it (its 0, which
// the maps make a host ID), with every capability in it, before anything else is made.
void BecomeNamespaceRoot(int maps_fd) {
  char c;
  ssize_t n;
  do {
    n = read(maps_fd, &c, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) Die(kUser, n < 0 ? errno : EPIPE, "user namespace maps");
  close(maps_fd);
  if (setresgid(0, 0, 0) != 0) Die(kUser, errno, "setgid 0 in the user namespace");
  if (setresuid(0, 0, 0) != 0) Die(kUser, errno, "setuid 0 in the user namespace");
}

// A new user namespace with network, IPC or UTS namespaces joined (runc's order, in its
// nsexec): each of those belongs to the user namespace that made it (the host's, a pod
// sandbox's), where the new namespace's root has no privilege, so they are joined first, by
// this process, the monitor's child, while it is still the host's root. Then the user
// namespace is made, the monitor told ('u' on relay_fd) to write its maps, and, root of it,
// the pid namespace is made in it and the container's init forked there, handed over as in
// EnterUserNamespace: the init's pid goes on relay_fd, and this intermediate goes.
void JoinThenMakeUser(const Spec& spec, int maps_fd, int relay_fd) {
  JoinGivenNamespaces(spec);
  if (unshare(CLONE_NEWUSER) != 0) Die(kUnshare, errno, "user namespace");
  char u = 'u';
  if (!WriteAll(relay_fd, &u, 1)) Die(kUser, errno, "user namespace maps");
  BecomeNamespaceRoot(maps_fd);
  if (unshare(CLONE_NEWPID) != 0) Die(kUnshare, errno, "pid namespace");
  pid_t init = fork();
  if (init < 0) Die(kUnshare, errno, "fork");
  if (init == 0) {
    close(relay_fd);
    return;
  }
  WriteAll(relay_fd, &init, sizeof init);
  _exit(0);
}

[[noreturn]] void Child(const Spec& spec, int sync_fd, int pty_sock, int ready_fd) {
  // The namespaces, the root filesystem, the mounts before the cgroup ones, /dev's nodes and
  // the hostname are made while the monitor (and, on a first start, the CLI) is still
  // preparing the cgroups: as runc, the container's namespaces but its cgroup one come
  // before it is placed in its cgroups.
  int ns = CLONE_NEWNS | (spec.own_uts ? CLONE_NEWUTS : 0) | (spec.own_ipc ? CLONE_NEWIPC : 0);
  JoinGivenNamespaces(spec);
  bool own_net = spec.own_network;
  if (own_net) ns |= CLONE_NEWNET;
  if (unshare(ns) != 0) Die(kUnshare, errno);
  if (own_net) LoopbackUp();
  ApplyOomScoreAdj(spec);
  const std::vector<Mount>& mounts = spec.mounts;
  std::map<size_t, int> clones = ClonePropagating(mounts);
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) Die(kMountPrivate, errno);

  const std::string& merged = spec.root;
  const std::string& bind = spec.rootfs_bind;
  if (!bind.empty()) {
    // vfs: the container's own full copy of its image, bind-mounted as the root.
    if (mount(bind.c_str(), merged.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) Die(kRootfs, errno, "bind " + bind);
  } else {
    // lowerdir uses short links relative to the store root: 60 layers fit in a page.
    if (chdir(spec.overlay_root.c_str()) != 0) Die(kRootfs, errno, spec.overlay_root);
    const std::string& opts = spec.overlay_options;
    if (mount("overlay", merged.c_str(), "overlay", 0, opts.c_str()) != 0) Die(kRootfs, errno, "overlay " + opts.substr(0, 200));
  }
  int root = open(merged.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) Die(kRootfs, errno, merged);

  size_t first_cgroup = 0;
  auto clone_of = [&clones](size_t i) { auto it = clones.find(i); return it == clones.end() ? -1 : it->second; };
  for (; first_cgroup < mounts.size() && !CgroupMount(mounts[first_cgroup]); first_cgroup++) DoMount(root, mounts[first_cgroup], clone_of(first_cgroup));

  for (const Device& d : spec.devices) MakeDevice(root, d, spec.in_user());
  // The links a runtime makes in /dev (the runtime spec's, and runc's /dev/core): not in
  // the spec, as they are the same for every container.
  static const char* const kLinks[][2] = {{"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"}, {"/proc/self/fd/1", "/dev/stdout"},
                                          {"/proc/self/fd/2", "/dev/stderr"}, {"pts/ptmx", "/dev/ptmx"}, {"/proc/kcore", "/dev/core"}};
  int dev = OpenDest(root, "/dev", false, true);
  if (dev < 0) Die(kDevice, errno, "/dev");
  for (const auto& l : kLinks) {
    if (symlinkat(l[0], dev, l[1] + 5) != 0 && errno != EEXIST) Die(kDevice, errno, l[1]);
  }
  close(dev);
  const std::string& hostname = spec.hostname;
  if (!hostname.empty() && sethostname(hostname.c_str(), hostname.size()) != 0) Die(kHostname, errno);
  JoinNewKeyring();

  if (spec.console_fd >= 0) {
    SendConsole(root, pty_sock);
    pty_sock = -1;
  }
  // Our namespaces are there (the monitor reports the container created, and whoever
  // created it may configure them from outside, its network namespace say) and nothing of
  // the container's has run: we wait to be released.
  char ready = 'r';
  if (!WriteAll(ready_fd, &ready, 1)) Die(kSync, errno);
  close(ready_fd);
  // Placed in our cgroups (v2 by the monitor, v1 by ourselves), then the cgroup namespace:
  // its root is the cgroup we are in.
  WaitForParent(sync_fd);
  JoinCgroupsSelf(spec);
  if (unshare(CLONE_NEWCGROUP) != 0) Die(kUnshare, errno, "cgroup namespace");
  for (size_t i = first_cgroup; i < mounts.size(); i++) DoMount(root, mounts[i], clone_of(i));

  // pivot_root(".", ".") then detach the old root (runc's trick: no temp dir needed).
  if (fchdir(root) != 0) Die(kPivot, errno);
  if (syscall(SYS_pivot_root, ".", ".") == 0) {
    if (umount2(".", MNT_DETACH) != 0) Die(kPivot, errno, "detach old root");
  } else if (errno == EINVAL) {
    // The host root is a ramdisk (initramfs): pivot_root cannot work; move and chroot.
    if (mount(".", "/", nullptr, MS_MOVE, nullptr) != 0) Die(kPivot, errno, "MS_MOVE");
    if (chroot(".") != 0) Die(kPivot, errno, "chroot");
  } else {
    Die(kPivot, errno);
  }
  if (chdir("/") != 0) Die(kPivot, errno);
  close(root);
  // Set on the container's root once it is the root (pivot_root needs it private before);
  // in the container's own mount namespace, so "shared" starts a peer group of its own there.
  if (spec.root_propagation && mount(nullptr, "/", nullptr, spec.root_propagation, nullptr) != 0) Die(kPivot, errno, "rootfsPropagation");

  // linux.sysctl, through the container's own /proc (its namespaces' values), before
  // /proc/sys is made read-only and before anything of the image's runs.
  for (const auto& kv : spec.sysctls) {
    std::string file = "/proc/sys/" + kv.first;
    for (size_t i = 10; i < file.size(); i++) {
      if (file[i] == '.') file[i] = '/';
    }
    int fd = open(file.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || !WriteAll(fd, kv.second.data(), kv.second.size())) Die(kSysctl, errno, kv.first);
    close(fd);
  }

  for (const std::string& p : spec.masked) {
    struct stat st;
    if (lstat(p.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (mount("tmpfs", p.c_str(), "tmpfs", MS_RDONLY, "size=0") != 0) Die(kMask, errno, p);
    } else if (mount("/dev/null", p.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      Die(kMask, errno, p);
    }
  }
  for (const std::string& p : spec.readonly) {
    if (access(p.c_str(), F_OK) != 0) continue;
    if (mount(p.c_str(), p.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) Die(kReadonly, errno, p);
    int fd = open(p.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || !SetBindFlags(fd, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, true)) Die(kReadonly, errno, p);
    close(fd);
  }
  if (spec.root_readonly) {
    if (mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) Die(kReadonly, errno, "/");
  }

  Become(spec, pty_sock);
}

// exec: the new process is in the container's namespaces but its pid one (the monitor joined
// them before forking); it waits to be placed in the cgroups, then joins the pid namespace
// for the command's process it forks in Become.
[[noreturn]] void ExecChild(const Spec& spec, int sync_fd, int pty_sock, int pidns, int report_fd) {
  WaitForParent(sync_fd);
  JoinNewKeyring();
  // Our children are born into the container's pid namespace; we stay outside it.
  if (setns(pidns, CLONE_NEWPID) != 0) Die(kUnshare, errno, "setns pid");
  close(pidns);
  Become(spec, pty_sock, report_fd);
}

// The parent pid of a process (/proc/PID/stat's fourth field, after the parenthesised name,
// which may itself hold spaces and parentheses); -1 when unknown.
pid_t ParentOf(pid_t pid) {
  std::string stat;
  if (!ReadFile("/proc/" + std::to_string(pid) + "/stat", &stat)) return -1;
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  Strings f = Split(stat.substr(close + 2), ' ');
  return f.size() > 1 ? static_cast<pid_t>(atol(f[1].c_str())) : -1;
}

// Joins the namespaces of a running container's init. The mount namespace goes last: after
// it, /proc is the container's, and root and cwd are the container's root. The pid
// namespace is only opened (*pidns): the child joins it, for its own child (see Become).
//
// The target is named by a pid the CLI read from the container's files: a pidfd taken
// first, and found alive once the namespace files are open, proves they are that process's
// (its pid cannot have been reused while it lives). And it must be the container's command,
// not the monitor's child still setting up (whose root is not yet the container's): the
// container's started file is there, its exit file not.
bool JoinNamespaces(const Spec& spec, int* pidns, std::string* error) {
  pid_t target = spec.target_pid;
  int pidfd = target > 1 ? static_cast<int>(syscall(SYS_pidfd_open, target, 0)) : -1;
  if (pidfd < 0 || access(spec.target_started.c_str(), F_OK) != 0 || access(spec.target_exit.c_str(), F_OK) == 0 ||
      ParentOf(target) != spec.target_parent) {
    *error = "container is not running";
    return false;
  }
  const char* kinds[] = {"ipc", "uts", "net", "pid", "cgroup", "mnt"};
  int fds[6];
  for (int i = 0; i < 6; i++) {
    std::string p = "/proc/" + std::to_string(target) + "/ns/" + kinds[i];
    fds[i] = open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) {
      *error = "open " + p + ": " + strerror(errno);
      return false;
    }
  }
  if (syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) != 0) {
    *error = "container is not running";
    return false;
  }
  close(pidfd);
  // A container in a user namespace of its own: that first, and every other namespace of the
  // container is then its (runc's order); the process's credentials are then set in it. But
  // for those it joined instead (a pod sandbox's network namespace, made by another user
  // namespace): where the container's root has no privilege, they are entered before, as
  // runc's nsexec enters them.
  struct stat own_user, their_user;
  std::string up = "/proc/" + std::to_string(target) + "/ns/user";
  int userfd = open(up.c_str(), O_RDONLY | O_CLOEXEC);
  if (userfd < 0 || fstat(userfd, &their_user) != 0 || stat("/proc/self/ns/user", &own_user) != 0) {
    *error = "open " + up + ": " + strerror(errno);
    return false;
  }
  const bool other_user = their_user.st_ino != own_user.st_ino || their_user.st_dev != own_user.st_dev;
  bool joined[6] = {};
  for (int i = 0; other_user && i < 6; i++) {
    if (i == 3) continue;
    struct stat owner_st;
    int owner = ioctl(fds[i], NS_GET_USERNS);
    bool theirs = owner >= 0 && fstat(owner, &owner_st) == 0 && owner_st.st_ino == their_user.st_ino && owner_st.st_dev == their_user.st_dev;
    if (owner >= 0) close(owner);
    if (theirs) continue;
    if (setns(fds[i], 0) != 0) {
      *error = std::string("setns ") + kinds[i] + ": " + strerror(errno);
      return false;
    }
    close(fds[i]);
    joined[i] = true;
  }
  if (other_user && setns(userfd, CLONE_NEWUSER) != 0) {
    *error = std::string("setns user: ") + strerror(errno);
    return false;
  }
  close(userfd);
  for (int i = 0; i < 6; i++) {
    if (joined[i]) continue;
    if (i == 3) {
      *pidns = fds[i];
      continue;
    }
    if (setns(fds[i], 0) != 0) {
      *error = std::string("setns ") + kinds[i] + ": " + strerror(errno);
      return false;
    }
    close(fds[i]);
  }
  return true;
}

// ---- the monitor ----

// Every process still in the container's cgroup, SIGKILLed until none is left (a process
// forking meanwhile is caught by a later round). The cgroup is the one the spec joins: v2's
// cgroup.procs, or v1's beside its tasks file.
void KillCgroupLeftovers(const Spec& spec) {
  std::string file;
  if (!spec.cgroup_procs.empty()) file = spec.cgroup_procs[0];
  else if (!spec.cgroup_self.empty()) file = spec.cgroup_self[0].substr(0, spec.cgroup_self[0].rfind('/')) + "/cgroup.procs";
  if (file.empty()) return;
  for (int round = 0; round < 200; round++) {
    std::string text;
    if (!ReadFile(file, &text)) return;
    bool any = false;
    for (const std::string& line : Split(text, '\n')) {
      pid_t p = static_cast<pid_t>(atol(line.c_str()));
      if (p > 1) {
        kill(p, SIGKILL);
        any = true;
      }
    }
    if (!any) return;
    usleep(5000);
  }
}

pid_t g_child = -1;

volatile sig_atomic_t g_winch = 0;
bool g_tty = false;

void Forward(int sig) {
  // With a pty the kernel signals the container's foreground group itself once the pty's
  // size changes; the monitor only copies the size over.
  if (sig == SIGWINCH && g_tty) {
    g_winch = 1;
    return;
  }
  if (g_child > 0) kill(g_child, sig);
}

void CopyWinsize(int from, int to) {
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0) ioctl(to, TIOCSWINSZ, &ws);
}

void LogLine(int log_fd, const char* stream, const std::string& line);
void LogLines(int log_fd, const char* stream, std::string* pending);
void SetNonBlocking(int fd);

// How long what the pipes (or the pty) hold once the command has exited is read: what it wrote
// is there at once. A process it left outside its pid namespace (--pid host, or another
// container's) may hold them open and fill them as fast as they are read: it is not read on
// for ever, as the monitor is to kill it (KillCgroupLeftovers) and record the exit.
constexpr long long kDrainMs = 1000;

long long MonotonicMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

// Foreground -t: the CLI's terminal in raw mode, bytes relayed both ways until the
// container side of the pty closes, or the command has exited (pidfd: a background process
// of an exec may hold the pty on) and what it wrote has been read. What the container
// writes also goes to the log (one stream with a tty, as docker), so `logs` shows a
// foreground run too.
void RelayPty(int master, bool forward_stdin, int log_fd, int pidfd) {
  struct termios saved;
  bool raw = isatty(0) && tcgetattr(0, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw(&t);
    tcsetattr(0, TCSANOW, &t);
    CopyWinsize(0, master);
  }
  struct pollfd p[3] = {{master, POLLIN, 0}, {forward_stdin ? 0 : -1, POLLIN, 0}, {pidfd, POLLIN, 0}};
  char buf[16384];
  std::string pending;
  bool tee = true;
  bool exited = false;
  long long drain_until = 0;
  for (;;) {
    if (g_winch) {
      g_winch = 0;
      CopyWinsize(0, master);
    }
    int r = exited ? 1 : poll(p, 3, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    if (!exited && p[2].fd >= 0 && (p[2].revents & POLLIN)) {
      exited = true;
      drain_until = MonotonicMs() + kDrainMs;
      SetNonBlocking(master);
    }
    if (exited || (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = exited && MonotonicMs() >= drain_until ? 0 : read(master, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // EIO: every slave fd closed; EAGAIN: drained after the exit
      // A CLI killed with -9 takes the terminal's reader away: keep logging regardless.
      if (tee && !WriteAll(1, buf, static_cast<size_t>(n))) tee = false;
      if (log_fd >= 0) {
        pending.append(buf, static_cast<size_t>(n));
        LogLines(log_fd, "stdout", &pending);
      }
    }
    if (exited) continue;
    if (p[1].fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n <= 0) {
        // End of input: as docker, send EOF (^D) to the terminal and stop reading.
        char eof = 4;
        WriteAll(master, &eof, 1);
        p[1].fd = -1;
      } else {
        WriteAll(master, buf, static_cast<size_t>(n));
      }
    }
  }
  if (log_fd >= 0 && !pending.empty()) LogLine(log_fd, "stdout", pending);
  if (raw) tcsetattr(0, TCSANOW, &saved);
}

std::string g_exit_file;

void WriteExit(int code, int sig, const std::string& started, const std::string& error, bool oom_killed = false) {
  std::string j = "{\"exitCode\":" + std::to_string(code) + ",\"signal\":" + std::to_string(sig) +
                  ",\"oomKilled\":" + (oom_killed ? "true" : "false") +
                  ",\"startedAt\":\"" + started + "\",\"finishedAt\":\"" + Now() + "\",\"error\":\"" +
                  JsonEscape(error) + "\"}\n";
  WriteFileAtomic(g_exit_file, j);
}

// The container's oom (when the kernel killed in its cgroup) and die, in the engine's event
// log: recorded where the exit is learned, so that they are there whether or not a CLI waits
// for the container (run -d, a CLI killed). One write on an O_APPEND fd: whole lines, never
// interleaved with another writer's; the engine rotates the log. Times to the microsecond,
// as the engine writes them (a double carries those exactly).
// A container's exit in the event log: its volumes' unmount (docker unmounts them in its
// cleanup, before it logs the die), its oom, its die; exec -d's exec_die (the CLI has gone).
void RecordExitEvents(const Spec& spec, int code, bool oom, bool exec) {
  if (spec.events_file.empty() || spec.event_id.empty()) return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  std::string ns = std::to_string(ts.tv_sec) + std::to_string(1000000000L + ts.tv_nsec / 1000 * 1000).substr(1);
  auto it = spec.event_attributes.find("image");
  std::string from = it == spec.event_attributes.end() ? "" : it->second;
  auto line = [&](const char* type, const std::string& id, const char* action, const std::map<std::string, std::string>& attrs, const std::string* image) {
    std::string a;
    for (const auto& kv : attrs) a += (a.empty() ? "\"" : ",\"") + JsonEscape(kv.first) + "\":\"" + JsonEscape(kv.second) + "\"";
    return std::string("{\"status\":\"") + action + "\",\"id\":\"" + JsonEscape(id) + "\"" + (image ? ",\"from\":\"" + JsonEscape(*image) + "\"" : "") +
           ",\"Type\":\"" + type + "\",\"Action\":\"" + action + "\",\"Actor\":{\"ID\":\"" + JsonEscape(id) + "\",\"Attributes\":{" + a +
           "}},\"scope\":\"local\",\"time\":" + std::to_string(ts.tv_sec) + ",\"timeNano\":" + ns + "}\n";
  };
  std::map<std::string, std::string> with_code = spec.event_attributes;
  with_code["exitCode"] = std::to_string(code);
  std::string text;
  if (exec) {
    text = line("container", spec.event_id, "exec_die", with_code, &from);
  } else {
    for (const std::string& name : spec.event_volumes) text += line("volume", name, "unmount", {{"container", spec.event_id}, {"driver", "local"}}, nullptr);
    if (oom) text += line("container", spec.event_id, "oom", spec.event_attributes, &from);
    text += line("container", spec.event_id, "die", with_code, &from);
  }
  int fd = g_events_fd >= 0 ? g_events_fd : open(spec.events_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return;
  WriteAll(fd, text.data(), text.size());
  close(fd);
  if (fd == g_events_fd) g_events_fd = -1;
}

// The "oom_kill N" line of v1 memory.oom_control or v2 memory.events; -1 when unreadable.
long OomKills(const std::string& file) {
  std::string text;
  if (file.empty() || !ReadFile(file, &text)) return -1;
  for (const std::string& line : Split(text, '\n')) {
    if (line.compare(0, 9, "oom_kill ") == 0) return strtol(line.c_str() + 9, nullptr, 10);
  }
  return -1;
}

// cgroup v2's device control: the BPF_PROG_TYPE_CGROUP_DEVICE program TypeScript assembled
// (hex), loaded and attached to the container's cgroup before anything runs in it. An
// attach without flags replaces what a previous start of the same container left there.
bool AttachDeviceProgram(const std::string& hex, const std::string& cgroup_dir, std::string* error) {
  std::string code;
  if (!gocker::FromHex(hex, &code) || code.empty() || code.size() % sizeof(struct bpf_insn) != 0) {
    *error = "device cgroup: the program in the spec is not whole BPF instructions in hex";
    return false;
  }
  union bpf_attr load;
  memset(&load, 0, sizeof load);
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(code.data());
  load.insn_cnt = static_cast<uint32_t>(code.size() / sizeof(struct bpf_insn));
  load.license = reinterpret_cast<uint64_t>("GPL");
  int prog = static_cast<int>(syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load));
  if (prog < 0) {
    // Again with the verifier's log, for the message only (a log that does not fit is
    // itself an error, ENOSPC, so it is not asked for the first time).
    int err = errno;
    static char log[16384];
    load.log_buf = reinterpret_cast<uint64_t>(log);
    load.log_size = sizeof log;
    load.log_level = 1;
    syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
    log[sizeof log - 1] = 0;
    std::string last = log;
    while (!last.empty() && last.back() == '\n') last.pop_back();
    last = last.substr(last.rfind('\n') == std::string::npos ? 0 : last.rfind('\n') + 1);
    *error = std::string("device cgroup: load BPF program: ") + ErrText(err) + (last.empty() ? "" : ": " + last);
    return false;
  }
  int dir = open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    *error = "device cgroup: open " + cgroup_dir + ": " + ErrText(errno);
    close(prog);
    return false;
  }
  union bpf_attr attach;
  memset(&attach, 0, sizeof attach);
  attach.target_fd = static_cast<uint32_t>(dir);
  attach.attach_bpf_fd = static_cast<uint32_t>(prog);
  attach.attach_type = BPF_CGROUP_DEVICE;
  bool ok = syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof attach) == 0;
  if (!ok) *error = "device cgroup: attach BPF program to " + cgroup_dir + ": " + ErrText(errno);
  // The attachment holds the program; our fds are not needed past this.
  close(dir);
  close(prog);
  return ok;
}

// --log-opt max-size / max-file: the log is rotated as dockerd's json-file does it, LOG to
// LOG.1 and on up to LOG.(max-file - 1), the oldest dropped; with one file it is truncated.
// A new file takes the old one's fd number (dup3), so the relays' fd stays the log's.
struct LogRotation {
  int fd = -1;
  std::string path;
  long long max_size = 0;  // 0: never rotated
  long max_file = 1;
  long long size = 0;
} g_rotation;

void RotateLog() {
  LogRotation& r = g_rotation;
  if (r.max_file <= 1) {
    if (ftruncate(r.fd, 0) == 0) r.size = 0;
    return;
  }
  for (long i = r.max_file - 1; i >= 1; i--) {
    std::string from = i == 1 ? r.path : r.path + "." + std::to_string(i - 1);
    rename(from.c_str(), (r.path + "." + std::to_string(i)).c_str());
  }
  int fd = open(r.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return;  // the renamed file goes on being written
  dup3(fd, r.fd, O_CLOEXEC);
  close(fd);
  r.size = 0;
}

void LogLine(int log_fd, const char* stream, const std::string& line) {
  std::string j = "{\"log\":\"" + JsonEscape(line) + "\",\"stream\":\"" + stream + "\",\"time\":\"" + Now() + "\"}\n";
  bool rotated = log_fd == g_rotation.fd && g_rotation.max_size > 0;
  if (rotated && g_rotation.size > 0 && g_rotation.size + static_cast<long long>(j.size()) > g_rotation.max_size) RotateLog();
  if (WriteAll(log_fd, j.data(), j.size()) && rotated) g_rotation.size += static_cast<long long>(j.size());
}

// docker's json-file splits a line at 16 KiB (the later parts carry on where it stopped,
// without a newline): whatever a container prints, what the monitor holds for it outside the
// container's cgroup stays this small.
constexpr size_t kMaxLogLine = 16 * 1024;

void LogLines(int log_fd, const char* stream, std::string* pending) {
  size_t done = 0;
  for (;;) {
    size_t nl = pending->find('\n', done);
    size_t n = nl == std::string::npos ? (pending->size() - done >= kMaxLogLine ? kMaxLogLine : 0) : std::min(nl + 1 - done, kMaxLogLine);
    if (n == 0) break;
    LogLine(log_fd, stream, pending->substr(done, n));
    done += n;
  }
  pending->erase(0, done);
}

// attach: the relay's output to the log, line by line, per stream.
int g_log_fd = -1;
void LogOutput(const char* stream, const char* data, size_t len, bool flush) {
  static std::string pending[2];
  std::string& p = pending[strcmp(stream, "stderr") == 0 ? 1 : 0];
  if (flush) {
    if (!p.empty()) LogLine(g_log_fd, stream, p);
    p.clear();
    return;
  }
  p.append(data, len);
  LogLines(g_log_fd, stream, &p);
}

// What is still in a pipe once the command has exited, without waiting for writers that
// outlive it (a background process of an exec keeps the pipe open).
void SetNonBlocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

// Relays the container's stdio: stdout and stderr pipes to docker json-file lines and, in
// the foreground (tee), on unchanged to the monitor's own stdout and stderr, which are the
// CLI's (once a write there fails, the CLI was killed, only the log is written); with in_fd,
// the monitor's stdin to the container's stdin pipe. The container never holds the CLI's own
// fds: a background process would keep them, and read what is typed after the exec ended.
// Ends when both pipes close, or once the command has exited (pidfd) and what it left in
// the pipes has been read.
void Pump(int out_fd, int err_fd, int in_fd, int log_fd, bool tee, int pidfd) {
  enum { kOut, kErr, kIn, kStdin, kExit };
  struct pollfd p[5] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {-1, POLLOUT, 0}, {in_fd >= 0 ? 0 : -1, POLLIN, 0}, {pidfd, POLLIN, 0}};
  std::string pending[2];
  const char* names[2] = {"stdout", "stderr"};
  bool tee_ok[2] = {tee, tee};
  int open_count = err_fd >= 0 ? 2 : 1;
  std::string input;  // read from our stdin, not yet taken by the container: at most one read's worth
  bool exited = false;
  long long drain_until = 0;
  if (in_fd >= 0) SetNonBlocking(in_fd);
  char buf[65536];
  while (open_count > 0) {
    p[kIn].fd = in_fd >= 0 && !input.empty() ? in_fd : -1;
    p[kStdin].fd = in_fd >= 0 && input.empty() ? 0 : -1;
    int r = exited ? 0 : poll(p, 5, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    if (exited || (p[kExit].fd >= 0 && (p[kExit].revents & POLLIN))) {
      if (!exited) {
        exited = true;
        drain_until = MonotonicMs() + kDrainMs;
        for (int i = 0; i < 2; i++) {
          if (p[i].fd >= 0) SetNonBlocking(p[i].fd);
        }
      }
      for (int i = 0; i < 2; i++) p[i].revents = p[i].fd >= 0 ? POLLIN : 0;
    }
    for (int i = 0; i < 2; i++) {
      if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = exited && MonotonicMs() >= drain_until ? 0 : read(p[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (log_fd >= 0 && !pending[i].empty()) LogLine(log_fd, names[i], pending[i]);
        pending[i].clear();
        close(p[i].fd);
        p[i].fd = -1;
        open_count--;
        continue;
      }
      if (tee_ok[i] && !WriteAll(i + 1, buf, static_cast<size_t>(n))) tee_ok[i] = false;
      if (log_fd < 0) continue;
      pending[i].append(buf, static_cast<size_t>(n));
      LogLines(log_fd, names[i], &pending[i]);
    }
    if (exited) continue;
    if (p[kStdin].fd >= 0 && (p[kStdin].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n > 0) {
        input.assign(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(in_fd);  // end of input: the container reads end of file
        in_fd = -1;
      }
    }
    if (p[kIn].fd >= 0 && (p[kIn].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(in_fd, input.data(), input.size());
      if (n > 0) {
        input.erase(0, static_cast<size_t>(n));
      } else if (n < 0 && errno != EINTR && errno != EAGAIN) {
        close(in_fd);  // the container closed its stdin: stop reading ours
        in_fd = -1;
      }
    }
  }
  if (in_fd >= 0) close(in_fd);
}

enum Created { kReleased, kChildFailed, kNotReleased, kKilled };

// An 'x' on the go fd: the engine gave up on this start (its set-up failed) and removes the
// container itself, under the lock it holds meanwhile. The exit command (--rm's rm) is not
// run then: it would wait for that lock while the engine waits for us. The end of the fd
// alone is a CLI that died: the exit command does its cleaning then.
bool g_abandoned = false;

// create: once the child has made its namespaces, the container is created: its pid goes to
// the pid file, "c" to the report fd (the engine configures it from outside then, its network
// namespace say), and it waits to be released: by a second 'g' on the go fd (run: create and
// start in one), or, after a 'w' there, by a byte on the release FIFO, written by `start` from
// any process at any time. Nothing of the container's has run until then. A child that dies
// meanwhile (rm of a created container kills it) is not released; neither is one whose go fd
// ends first (the engine gave up). Meanwhile the attach socket's clients are served: a created
// container's published ports may be released or held again (network disconnect, connect).
Created Create(const Spec& spec, pid_t child, int ready_fd, int go_fd, gocker_monitor::AttachServer* attach, std::string* why) {
  char r = 0;
  ssize_t n;
  do {
    n = read(ready_fd, &r, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) return kChildFailed;
  WriteFileAtomic(spec.pid_file, std::to_string(child) + "\n");
  int fifo = -1;
  if (!spec.release_fifo.empty()) {
    // Read and write: no end of file when a start's writer closes, and no wait to open.
    if ((mkfifo(spec.release_fifo.c_str(), 0600) != 0 && errno != EEXIST) ||
        (fifo = open(spec.release_fifo.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK)) < 0) {
      *why = "release fifo " + spec.release_fifo + ": " + ErrText(errno);
      return kNotReleased;
    }
  }
  if (spec.report_fd >= 0) {
    char c = 'c';
    WriteAll(spec.report_fd, &c, 1);
    close(spec.report_fd);
  }
  int source = go_fd >= 0 ? go_fd : fifo;
  if (source < 0) return kReleased;  // nobody to wait for (a spec without either)
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, child, 0));
  std::vector<struct pollfd> p;
  for (;;) {
    p.assign({{source, POLLIN, 0}, {pidfd, POLLIN, 0}});
    attach->PollFds(&p);
    int k = poll(p.data(), p.size(), -1);
    if (k < 0 && errno == EINTR) continue;
    if (k > 0) attach->Serve(p, 2);
    if (k < 0) {
      *why = std::string("wait for release: ") + ErrText(errno);
      break;
    }
    if (p[1].revents & POLLIN) {
      *why = "the container was killed before it was started";
      if (fifo >= 0) close(fifo);
      close(pidfd);
      return kKilled;
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char go = 0;
      ssize_t m = read(source, &go, 1);
      if (m < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (m == 1 && go == 'g') {
        if (fifo >= 0) close(fifo);
        if (pidfd >= 0) close(pidfd);
        return kReleased;
      }
      if (m == 1 && go == 'x') g_abandoned = true;
      if (m == 1 && go == 'w' && source == go_fd && fifo >= 0) {
        // Created, and left for a start: from now on the FIFO releases it.
        source = fifo;
        continue;
      }
      *why = "gocker exited before the container was started";
      break;
    }
  }
  if (fifo >= 0) close(fifo);
  if (pidfd >= 0) close(pidfd);
  return kNotReleased;
}

constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

bool RunningSealed() {
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  int seals = fcntl(fd, F_GET_SEALS);
  close(fd);
  return seals >= 0 && (seals & kSeals) == kSeals;
}

// exec: a process the container can see runs this program until its execve, and
// /proc/PID/exe of it would name our binary on the host: opened there (by a container root
// with CAP_SYS_PTRACE, which non-dumpable does not stop) and written once we are gone, it
// would run as root at the next exec (runc CVE-2019-5736). So exec mode runs from a sealed
// memfd copy, as runc did: no write can reach it, and it is no path on the host. The binary
// is static and about 1 MB; the copy costs well under a millisecond, once per exec.
// A read-only bind of the binary (runc's later answer) would need a mount namespace of our
// own, which setns into the container's replaces. Returns only on failure.
std::string ExecSealedCopy(char** argv) {
  int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (src < 0) return std::string("open /proc/self/exe: ") + strerror(errno);
  struct stat st;
  int mfd = memfd_create("gocker-monitor", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0 || fstat(src, &st) != 0) return std::string("memfd_create: ") + strerror(errno);
  off_t done = 0;
  while (done < st.st_size) {
    ssize_t n = sendfile(mfd, src, &done, static_cast<size_t>(st.st_size - done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::string("copy the monitor to a memfd: ") + strerror(n < 0 ? errno : EIO);
  }
  close(src);
  if (fcntl(mfd, F_ADD_SEALS, kSeals) != 0) return std::string("seal the monitor's memfd: ") + strerror(errno);
  fexecve(mfd, argv, environ);
  return std::string("fexecve the monitor's memfd: ") + strerror(errno);
}

}  // namespace

int main(int argc, char** argv) {
  bool exec_mode = argc == 3 && strcmp(argv[1], "--exec") == 0;
  if (argc != 2 && !exec_mode) {
    fprintf(stderr, "usage: gocker-monitor [--exec] SPEC\n");
    return 125;
  }
  if (exec_mode && !RunningSealed()) {
    fprintf(stderr, "gocker-monitor: %s\n", ExecSealedCopy(argv).c_str());
    return 125;
  }
  // Not dumpable until the container's command replaces us: no process in the container
  // may open /proc/PID/fd, /proc/PID/exe or /proc/PID/mem of the child before its execve
  // (which makes it dumpable again), nor ptrace it. The fork inherits it.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  const char* spec_file = argv[argc - 1];
  std::string raw;
  if (!ReadFile(spec_file, &raw)) {
    fprintf(stderr, "gocker-monitor: cannot read spec %s: %s\n", spec_file, strerror(errno));
    return 125;
  }
  Spec spec;
  std::string refused;
  if (!gocker_monitor::ParseSpec(raw, exec_mode, &spec, &refused)) {
    // Nothing is made from a spec refused. Said on stderr and, where the spec names a
    // readable exit file, there too: a detached start has no stderr to tell.
    refused = std::string("invalid spec ") + spec_file + ": " + refused;
    fprintf(stderr, "gocker-monitor: %s\n", refused.c_str());
    g_exit_file = gocker_monitor::ExitFileOf(raw);
    if (!g_exit_file.empty()) WriteExit(125, 0, Now(), refused);
    return 125;
  }
  g_exit_file = spec.exit_file;
  // In its own user namespace the child's root is not the host's: it cannot open the v1
  // tasks files to move itself, so we move it, as we do on v2.
  if (spec.in_user()) {
    spec.cgroup_procs.insert(spec.cgroup_procs.end(), spec.cgroup_self.begin(), spec.cgroup_self.end());
    spec.cgroup_self.clear();
  }
  bool detach = spec.detach;
  pid_t parent = getppid();
  if (detach) setsid();

  // hold_fds: what the CLI gave us to keep while the container runs (the sockets holding its
  // published ports); not for the exit command, nor anything it starts.
  for (int fd : spec.hold_fds) fcntl(fd, F_SETFD, FD_CLOEXEC);
  int sync[2], errp[2], ready[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, in[2] = {-1, -1};
  int userns[2] = {-1, -1};  // the monitor says 'm' on it once the child's maps are written
  int relay[2] = {-1, -1};   // a joined user namespace: the intermediate says the init's pid on it
  // A new user namespace made after joining others (JoinThenMakeUser), by an intermediate too.
  const bool user_after_joins = !exec_mode && spec.own_user && (spec.netns_fd >= 0 || spec.ipcns_fd >= 0 || spec.utsns_fd >= 0);
  const bool intermediate = spec.userns_fd >= 0 || user_after_joins;
  if (pipe2(sync, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0 || (!exec_mode && pipe2(ready, O_CLOEXEC) != 0) ||
      (spec.own_user && pipe2(userns, O_CLOEXEC) != 0) || (intermediate && pipe2(relay, O_CLOEXEC) != 0)) {
    WriteExit(125, 0, Now(), std::string("pipe: ") + strerror(errno));
    return 125;
  }
  // Containers log whether detached or not (docker logs works after a foreground run);
  // exec's output is not logged. Either way the container gets pipes (or a pty) that we
  // relay, never the CLI's own stdio: see Pump.
  g_tty = spec.terminal;
  bool logging = !exec_mode && !spec.log_file.empty();
  bool piped = !g_tty && !spec.stdio_inherit;
  // attach: a container's stdio is served on its attach socket (attach.cc); -i then keeps
  // its stdin open for the clients, detached or not. exec relays to the CLI alone.
  bool attachable = !exec_mode && !spec.attach_socket.empty();
  bool piped_stdin = piped && spec.stdin_open && (!detach || attachable);
  int log_fd = -1;
  if (logging || detach) {
    log_fd = logging ? open(spec.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640) : open("/dev/null", O_WRONLY | O_CLOEXEC);
  }
  if (logging && log_fd >= 0 && spec.log_max_size > 0) {
    struct stat st;
    g_rotation.fd = log_fd;
    g_rotation.path = spec.log_file;
    g_rotation.max_size = spec.log_max_size;
    g_rotation.max_file = spec.log_max_file;
    g_rotation.size = fstat(log_fd, &st) == 0 ? st.st_size : 0;
  }
  if ((log_fd < 0 && (logging || detach)) || (piped && (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)) ||
      (piped_stdin && pipe2(in, O_CLOEXEC) != 0)) {
    WriteExit(125, 0, Now(), std::string("log: ") + strerror(errno));
    return 125;
  }
  int master = -1;
  int pty_sock[2] = {-1, -1};
  if (g_tty && spec.console_fd >= 0) {
    pty_sock[1] = spec.console_fd;  // the child sends the master to the runtime's caller
  } else if (g_tty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pty_sock) != 0) {
    WriteExit(125, 0, Now(), std::string("socketpair: ") + strerror(errno));
    return 125;
  }
  // exec: the cgroup files are opened now, before joining the container's namespaces hides
  // the host's /sys/fs/cgroup; cgroup_procs: we write the child's pid, cgroup_self (v1
  // tasks): the child writes "0" itself. run: the child joins v1 itself once released, and
  // the v2 files are opened after the fork (the CLI may still be making the cgroups).
  std::vector<int> cg_fds, cg_self_fds;
  std::string cg_error;
  auto open_cgroup_files = [&](const Strings& files, std::vector<int>* fds) {
    for (const std::string& f : files) {
      int fd = open(f.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0 && cg_error.empty()) cg_error = "cgroup " + f + ": " + strerror(errno);
      fds->push_back(fd);
    }
  };
  if (exec_mode) {
    open_cgroup_files(spec.cgroup_procs, &cg_fds);
    open_cgroup_files(spec.cgroup_self, &cg_self_fds);
  }
  int own_pidns = -1;  // to leave the container's pid namespace for the exit command
  int pidns = -1, report[2] = {-1, -1};
  if (exec_mode) {
    const std::string& ef = spec.exit_file;
    g_state_dir = open(ef.substr(0, ef.rfind('/')).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (!spec.events_file.empty()) g_events_fd = open(spec.events_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    std::string why;
    // process.oomScoreAdj of an exec: set here, on the host's /proc (the container's has no
    // /proc/self for a process outside its pid namespace), and inherited by the command.
    if (spec.oom_score_adj_set) {
      std::string v = std::to_string(spec.oom_score_adj);
      int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
      if (fd < 0 || !WriteAll(fd, v.data(), v.size())) {
        WriteExit(125, 0, Now(), std::string("oom_score_adj: ") + strerror(errno));
        return 125;
      }
      close(fd);
    }
    if (!JoinNamespaces(spec, &pidns, &why)) {
      WriteExit(125, 0, Now(), why);
      return 125;
    }
    // The command is our grandchild (see Become): once its parent has gone, it is ours to
    // wait for. The report pipe brings its pid. Handed over, it goes to the nearest subreaper
    // above us instead: containerd's shim, which waits for it.
    if ((!spec.hand_over && prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) || pipe2(report, O_CLOEXEC) != 0) {
      WriteExit(125, 0, Now(), std::string("exec: ") + strerror(errno));
      return 125;
    }
  } else if ((own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0 ||
             (spec.pidns_fd >= 0 ? setns(spec.pidns_fd, CLONE_NEWPID) : spec.own_pid && !spec.in_user() ? unshare(CLONE_NEWPID) : 0) != 0) {
    // CLONE_NEWPID applies to the children we create from now on: the container is PID 1
    // (or, --pid container:NAME, one more process of that container's namespace; --pid
    // host, one of the host's).
    WriteExit(125, 0, Now(), std::string(spec.pidns_fd >= 0 ? "join pid namespace: " : "unshare pid namespace: ") + strerror(errno));
    return 125;
  }
  if (spec.pidns_fd >= 0) close(spec.pidns_fd);
  // --ipc shareable: its /dev/shm is a tmpfs on the host, which the container binds and a
  // container joining its IPC namespace binds too; it lives as long as this monitor.
  if (!exec_mode && !spec.shm_path.empty()) {
    std::string opts = "mode=1777,size=" + std::to_string(spec.shm_size);
    if ((mkdir(spec.shm_path.c_str(), 0700) != 0 && errno != EEXIST) ||
        mount("shm", spec.shm_path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts.c_str()) != 0) {
      WriteExit(125, 0, Now(), "shm " + spec.shm_path + ": " + strerror(errno));
      return 125;
    }
  }
  std::string started = Now();
  // A user namespace of its own: made with the pid namespace by the clone, so that the pid
  // namespace (and every one the child makes) is the user namespace's, as runc's are; a raw
  // clone, which glibc's fork cannot pass flags to (we are single-threaded: no lock to reset).
  pid_t pid = spec.own_user && !user_after_joins ? static_cast<pid_t>(syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWPID | SIGCHLD, nullptr, nullptr, nullptr, nullptr)) : fork();
  if (pid < 0) {
    if (!spec.shm_path.empty()) umount2(spec.shm_path.c_str(), MNT_DETACH);
    WriteExit(125, 0, started, std::string("fork: ") + strerror(errno));
    return 125;
  }
  if (pid == 0) {
    close(sync[1]);
    close(errp[0]);
    g_err_fd = errp[1];
    if (user_after_joins) {
      close(userns[1]);
      close(relay[0]);
      JoinThenMakeUser(spec, userns[0], relay[1]);  // returns in the container's init, the intermediate's child
    } else if (spec.own_user) {
      close(userns[1]);
      BecomeNamespaceRoot(userns[0]);
    }
    if (spec.userns_fd >= 0) {
      close(relay[0]);
      EnterUserNamespace(spec, relay[1]);  // returns in the container's init, the intermediate's child
    }
    // exec: into the container's cgroups before anything else. (A failure to open one is
    // the parent's to report: it kills us.)
    for (int fd : cg_self_fds) {
      if (fd >= 0 && write(fd, "0", 1) != 1) Die(kCgroup, errno);
    }
    // From here on we hold nothing of the host's but pipes and a socket to the monitor.
    if (!CloseFdsExcept({sync[0], errp[1], ready[1], pty_sock[1], out[1], err[1], in[0], pidns, report[1], spec.netns_fd, spec.ipcns_fd, spec.utsns_fd})) Die(kFds, errno);
    g_state_dir = -1;
    // (Not the init of a joined user namespace: its parent, the intermediate, is gone already.)
    if (!intermediate) prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (g_tty) {
      // stdio comes from the pty in Child()
    } else if (spec.stdio_inherit) {
      // the monitor's own, which its caller (containerd's shim) gave it for the container
    } else {
      if (!piped_stdin) {
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (devnull < 0 || dup2(devnull, 0) < 0) Die(kStdio, errno);
      } else if (dup2(in[0], 0) < 0) {
        Die(kStdio, errno);
      }
      if (dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) Die(kStdio, errno);
    }
    // Signals the monitor ignores or forwards must be default again in the container.
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (pty_sock[0] >= 0) close(pty_sock[0]);
    if (exec_mode) ExecChild(spec, sync[0], pty_sock[1], pidns, report[1]);
    Child(spec, sync[0], pty_sock[1], ready[1]);
  }
  if (user_after_joins) {
    // The intermediate's user namespace, once it has made it ('u'): its maps are written
    // here, from the host, as for a clone's; nothing said is a failure, on the error pipe.
    close(relay[1]);
    relay[1] = -1;
    close(userns[0]);
    char u = 0;
    ssize_t r;
    do {
      r = read(relay[0], &u, 1);
    } while (r < 0 && errno == EINTR);
    std::string why;
    char m = 'm';
    if (r == 1 && u == 'u' && (!WriteIdMaps(pid, spec, &why) || !WriteAll(userns[1], &m, 1))) {
      if (why.empty()) why = std::string("user namespace: ") + strerror(errno);
      kill(pid, SIGKILL);
      while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      if (!spec.shm_path.empty()) umount2(spec.shm_path.c_str(), MNT_DETACH);
      WriteExit(125, 0, started, why);
      return 125;
    }
    close(userns[1]);
  }
  if (intermediate) {
    // The intermediate's report: the init's pid (in our pid namespace), or nothing when it
    // failed, which it said on the error pipe.
    if (relay[1] >= 0) close(relay[1]);
    pid_t init = -1;
    ssize_t r;
    do {
      r = read(relay[0], &init, sizeof init);
    } while (r < 0 && errno == EINTR);
    close(relay[0]);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    if (r != static_cast<ssize_t>(sizeof init) || init <= 0) {
      ChildError ce{};
      close(errp[1]);
      std::string why = "join user namespace: the intermediate process failed";
      if (read(errp[0], &ce, sizeof ce) == static_cast<ssize_t>(sizeof ce)) why = std::string(StageName(ce.stage)) + (ce.detail[0] ? std::string(" ") + ce.detail : "") + ": " + ErrText(ce.err);
      if (!spec.shm_path.empty()) umount2(spec.shm_path.c_str(), MNT_DETACH);
      WriteExit(125, 0, started, why);
      return 125;
    }
    pid = init;
  }
  g_child = pid;
  if (spec.own_user && !user_after_joins) {
    close(userns[0]);
    std::string why;
    char m = 'm';
    if (!WriteIdMaps(pid, spec, &why) || !WriteAll(userns[1], &m, 1)) {
      if (why.empty()) why = std::string("user namespace: ") + strerror(errno);
      kill(pid, SIGKILL);
      while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      if (!spec.shm_path.empty()) umount2(spec.shm_path.c_str(), MNT_DETACH);
      WriteExit(125, 0, started, why);
      return 125;
    }
    close(userns[1]);
  }
  for (int fd : cg_self_fds) {
    if (fd >= 0) close(fd);
  }
  if (pidns >= 0) close(pidns);
  if (report[1] >= 0) close(report[1]);
  close(sync[0]);
  close(errp[1]);
  if (ready[1] >= 0) close(ready[1]);
  if (piped) {
    close(out[1]);
    close(err[1]);
  }
  if (piped_stdin) close(in[0]);
  // The CLI may go away while we still relay to it: a failed write, not a death.
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = Forward;
  sa.sa_flags = SA_RESTART;
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) sigaction(s, &sa, nullptr);

  for (int fd : {spec.netns_fd, spec.ipcns_fd, spec.utsns_fd, spec.userns_fd}) {
    if (fd >= 0) close(fd);
  }
  if (spec.stdio_inherit) {
    // The container's stdio is its own now: ours must not keep the caller's pipes open after
    // the container closes them (the shim waits for their end).
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; devnull >= 0 && fd < 3; fd++) dup2(devnull, fd);
    if (devnull > 2) close(devnull);
  }
  std::string error;
  int early_code = 0;
  // go_fd: the CLI started us before it made the container's cgroups (so that the child's
  // namespaces and mounts are made meanwhile) and says 'g' on this fd once they are ready;
  // 'x' instead means it gave up (and removes the container itself), end of file that it died.
  // Without a release FIFO, a second 'g' on it releases the container once it is created.
  int go_fd = spec.go_fd;
  auto read_go = [&]() {
    char go = 0;
    ssize_t r;
    do {
      r = read(go_fd, &go, 1);
    } while (r < 0 && errno == EINTR);
    if (r == 1 && go == 'x') g_abandoned = true;
    return r == 1 && go == 'g';
  };
  if (go_fd >= 0 && !read_go()) {
    error = "gocker exited before the container was started";
    early_code = 125;
  }
  if (go_fd >= 0 && (early_code || exec_mode)) {
    close(go_fd);
    go_fd = -1;
  }
  if (!exec_mode && !early_code) open_cgroup_files(spec.cgroup_procs, &cg_fds);
  // ---- attach: listening before the container is created, so a client that connects
  // before its release (run -it, start -a) sees everything it prints.
  gocker_monitor::AttachServer attach;
  if (attachable && !early_code && !attach.Listen(spec.attach_socket, &error)) early_code = 125;
  attach.Hold(spec.hold_fds);
  // ---- end attach
  const std::string& oom_file = spec.oom_events;
  long oom_before = early_code ? -1 : OomKills(oom_file);
  if (!early_code && !spec.device_bpf.empty() && !AttachDeviceProgram(spec.device_bpf, spec.device_cgroup, &error)) early_code = 125;
  // Into the cgroups before the child runs anything of its own.
  if (!early_code && !cg_error.empty()) {
    error = cg_error;
    early_code = 125;
  }
  for (int fd : cg_fds) {
    std::string p = std::to_string(pid);
    if (!early_code && !WriteAll(fd, p.data(), p.size())) {
      error = std::string("cgroup: ") + strerror(errno);
      early_code = 125;
    }
    if (fd >= 0) close(fd);
  }
  if (!exec_mode && !early_code) {
    std::string why;
    switch (Create(spec, pid, ready[0], go_fd, &attach, &why)) {
      case kReleased:
        break;
      case kChildFailed:  // the error pipe says why
        break;
      case kNotReleased:
        error = why;
        early_code = 125;
        break;
      case kKilled:
        error = why;
        early_code = 128 + SIGKILL;
        break;
    }
  }
  const bool released = !exec_mode && !early_code;  // a container's run, which ends in a die event
  if (ready[0] >= 0) close(ready[0]);
  if (go_fd >= 0) close(go_fd);
  started = Now();
  if (early_code) {
    kill(pid, SIGKILL);
  } else {
    char go = 'g';
    WriteAll(sync[1], &go, 1);
  }
  close(sync[1]);
  if (g_tty && spec.console_fd >= 0) {
    close(spec.console_fd);
  } else if (g_tty) {
    close(pty_sock[1]);
    master = RecvFd(pty_sock[0]);  // -1 when the child failed before: the error pipe says why
    if (attachable) {
      if (master >= 0) attach.Prime(master);  // the size the clients waiting asked for
    } else if (master >= 0 && isatty(0)) {
      CopyWinsize(0, master);
    }
    char ack = 'a';
    WriteAll(pty_sock[0], &ack, 1);
    close(pty_sock[0]);
  }
  bool no_command = false;
  if (exec_mode) {
    // The command's process, forked by the child once it had dropped what the command may
    // not have; the child itself is over.
    pid_t command = -1;
    ssize_t r;
    do {
      r = read(report[0], &command, sizeof command);
    } while (r < 0 && errno == EINTR);
    close(report[0]);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    no_command = r != static_cast<ssize_t>(sizeof command) || command <= 0;
    if (!no_command) {
      pid = command;
      g_child = pid;
      WriteFileAtomic(spec.pid_file, std::to_string(pid) + "\n");
    }
  }
  // The command's exit, for the relays: they stop there, whoever else holds its pipes.
  int pidfd = no_command ? -1 : static_cast<int>(syscall(SYS_pidfd_open, pid, 0));

  ChildError ce{};
  ssize_t n;
  do {
    n = read(errp[0], &ce, sizeof ce);
  } while (n < 0 && errno == EINTR);
  close(errp[0]);
  // The error pipe closed without a report: execve succeeded. Said in a file of its own, so
  // `run -d` can tell "started" from "about to fail" without guessing how long to wait.
  bool exec_started = n == 0 && !early_code && !no_command;
  if (exec_started && !spec.started_file.empty()) WriteFileAtomic(spec.started_file, std::to_string(pid) + "\n");
  if (n == static_cast<ssize_t>(sizeof ce)) {
    // Not found -> 127, not executable -> 126, as docker.
    if (ce.stage == kExec && (ce.err == ENOENT || ce.err == ENOTDIR)) {
      early_code = 127;
      error = std::string("exec: \"") + ce.detail + "\": executable file not found in $PATH";
      if (strchr(ce.detail, '/')) error = std::string("exec: \"") + ce.detail + "\": no such file or directory";
      if (!strcmp(ce.detail, "no command specified")) early_code = 125, error = "no command specified";
    } else if (ce.stage == kExec && (ce.err == EACCES || ce.err == ENOEXEC || ce.err == EISDIR)) {
      early_code = 126;
      error = std::string("exec: \"") + ce.detail + "\": " + ErrText(ce.err == EISDIR ? EACCES : ce.err);
    } else if (ce.stage == kHook && ce.err == 0) {
      early_code = 125;
      error = ce.detail;  // says which hook, and how it failed
    } else {
      early_code = 125;
      error = std::string(StageName(ce.stage)) + (ce.detail[0] ? std::string(" ") + ce.detail : "") + ": " + ErrText(ce.err);
    }
  }
  if (no_command && !early_code) {
    early_code = 125;
    error = "exec: the command's process was not started";
  }
  // Handed over: the command runs, and its parent from now on is the subreaper above us (the
  // shim), which reaps it and so learns its exit status: nothing is left for us to do.
  if (spec.hand_over && exec_started) return 0;

  if (attachable) {
    // ---- attach: the CLI's own stdio only for a foreground run without -t; with -t the
    // CLI attaches through the socket as any other client.
    gocker_monitor::AttachIo io;
    io.tty = g_tty;
    io.out = g_tty ? master : out[0];
    io.err = g_tty ? -1 : err[0];
    io.in = g_tty ? (spec.stdin_open ? master : -1) : (piped_stdin ? in[1] : -1);
    if (!g_tty && !detach) {
      io.local_out = 1;
      io.local_err = 2;
      io.local_in = piped_stdin ? 0 : -1;
    }
    io.pidfd = pidfd;
    g_log_fd = log_fd;
    if (log_fd >= 0) io.log = LogOutput;
    attach.Relay(io);
    // ---- end attach
  } else if (g_tty && master >= 0 && detach) {
    Pump(master, -1, -1, log_fd, false, pidfd);
  } else if (g_tty && master >= 0) {
    RelayPty(master, spec.stdin_open, log_fd, pidfd);
  } else if (piped) {
    Pump(out[0], err[0], piped_stdin ? in[1] : -1, log_fd, !detach, pidfd);
  }

  int status = 0;
  // Handed over, the container's init is never ours to reap, even when it failed before its
  // command ran: the shim learns of its end only by reaping it itself, once we are gone.
  while (!(spec.hand_over && !exec_mode) && waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) break;
  }
  // Without a pid namespace of its own (--pid host, or another container's) nothing ends
  // what the command left running when it ends: as runc, what is left in its cgroup is
  // killed before the exit is reported.
  if (!exec_mode && !spec.own_pid) KillCgroupLeftovers(spec);
  if (!exec_mode && !spec.shm_path.empty()) umount2(spec.shm_path.c_str(), MNT_DETACH);
  int code, sig = 0;
  if (early_code) {
    code = early_code;
  } else if (WIFSIGNALED(status)) {
    sig = WTERMSIG(status);
    code = 128 + sig;
  } else {
    code = WEXITSTATUS(status);
  }
  long oom_after = OomKills(oom_file);
  WriteExit(code, sig, started, error, oom_before >= 0 && oom_after > oom_before);
  if (released) RecordExitEvents(spec, code, oom_before >= 0 && oom_after > oom_before, false);
  // exec -d: its exec_die, which a CLI in the foreground records itself.
  if (exec_mode && detach && exec_started) RecordExitEvents(spec, code, false, true);
  attach.Finish(code);  // attach: after exit.json, which a client may read on the exit frame
  // exec -d: the CLI has gone once the command started; the monitor takes its files with it.
  // One that did not start keeps its result, for the CLI waiting to say why.
  if (exec_mode && detach && g_state_dir >= 0) {
    std::string base = g_exit_file.substr(g_exit_file.rfind('/') + 1);
    base = base.substr(0, base.rfind('.'));
    for (const char* ext : {".pid", ".spec"}) unlinkat(g_state_dir, (base + ext).c_str(), 0);
    if (exec_started) unlinkat(g_state_dir, (base + ".json").c_str(), 0);
  }
  // --rm: what removes the container once it has exited (podman's exit command). In the
  // foreground the CLI removes it itself, unless the CLI is gone (we were reparented).
  // exit-command-if: the restart policies' command, needed only once the container has a
  // policy, which `update --restart` may give it while it runs: the marker says so, and an
  // exit without one costs no process.
  Strings exit_cmd = spec.exit_command;
  bool wanted = spec.exit_command_if.empty() || access(spec.exit_command_if.c_str(), F_OK) == 0;
  if (!exit_cmd.empty() && wanted && !g_abandoned && (detach || getppid() != parent)) {
    // Our children still go to the container's pid namespace, which died with it: neither
    // a fork nor the threads Node starts would work there. Back to our own first.
    if (own_pidns >= 0) setns(own_pidns, CLONE_NEWPID);
    std::vector<char*> args;
    for (std::string& a : exit_cmd) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
  }
  return code;
}
