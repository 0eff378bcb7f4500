// The container's mounts, as the child makes them: every destination resolved inside the
// container's root (never onto the host through an image's symlink), binds attached as
// detached trees given their flags first, propagation set on clones of the host's mounts.
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "monitor.h"
#include "spec.h"
#include "sys.h"
#include "util.h"

namespace gocker_monitor {

long Openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve, mode_t mode) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = flags;
  how.resolve = resolve;
  how.mode = (flags & O_CREAT) ? mode : 0;
  long r = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  if (r < 0 && errno == ENOSYS) g_missing = "openat2 (Linux 5.6)";
  return r;
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
  if (g_sys->MountSetattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) == 0) return true;
  if (errno != ENOSYS) return false;
  g_missing = "mount_setattr (Linux 5.12)";
  // Without it, a mount with nothing below it can still be remounted alone; one with
  // submounts cannot be made read-only as a whole, and we say so rather than half do it.
  if (recursive && HasSubmounts(fd)) {
    errno = ENOSYS;
    return false;
  }
  return g_sys->Mount(nullptr, FdPath(fd).c_str(), nullptr, MS_REMOUNT | MS_BIND | flags, nullptr) == 0;
}

// Opens (creating as needed: directories, or an empty file for a file bind) a mount
// destination inside root. Symlinks resolve as if root were "/" — including dangling ones,
// whose targets are created inside root — so an image cannot redirect a mount onto the
// host. no_symlinks refuses any symlink on the way (for /proc, /dev, /sys).
int OpenDest(int root, const std::string& dest, bool as_file, bool no_symlinks, int depth) {
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
    int tree = g_sys->OpenTree(AT_FDCWD, m.source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((m.flags & MS_REC) ? AT_RECURSIVE : 0));
    if (tree < 0) {
      if (errno == ENOSYS) g_missing = "open_tree (Linux 5.2), for mount propagation";
      Die(kMount, errno, m.dest);
    }
    struct mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.propagation = m.propagation;
    unsigned int at = AT_EMPTY_PATH | (m.propagation == MS_SLAVE || m.propagation_recursive ? AT_RECURSIVE : 0);
    if (g_sys->MountSetattr(tree, "", at, &attr, sizeof attr) != 0) {
      if (errno == ENOSYS) g_missing = "mount_setattr (Linux 5.12), for mount propagation";
      Die(kMount, errno, m.dest);
    }
    unsigned long rest = m.flags & ~(MS_BIND | MS_REC);
    if (rest && !SetBindFlags(tree, rest, m.flags & MS_REC)) Die(kMount, errno, m.dest);
    out[i] = tree;
  }
  return out;
}

// dest with "." and ".." taken out and no doubled '/', as filepath.Clean reads it.
std::string CleanPath(const std::string& dest) {
  std::string out;
  for (const std::string& p : CleanParts(dest)) out += "/" + p;
  return out.empty() ? "/" : out;
}

// runc's checkProcMount: nothing is mounted over the container's /proc or inside it but
// procfs itself on /proc (or a bind of a procfs there) and the files lxcfs stands in for. A
// volume inside /proc (an image's VOLUME /proc/sys, say) would take the kernel's files' place:
// the container would own what the masks and read-only paths cover, and --sysctl's writes
// would go to its files. Checked on the destination as the spec names it (fd -1), before it
// is resolved (which may create it), and as resolved, fd (a symlink of the image's into /proc).
void CheckProcMount(const Mount& m, int fd) {
  static const char* const kLxcfs[] = {"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps",
                                       "/proc/uptime", "/proc/loadavg", "/proc/slabinfo", "/proc/sys/kernel/ns_last_pid",
                                       "/proc/sys/crypto/fips_enabled"};
  const std::string dest = CleanPath(m.dest);
  struct statfs sfs;
  const bool on_proc = fd >= 0 && fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
  if (dest == "/proc") {
    if (m.type == "proc") return;
    if ((m.flags & MS_BIND) && statfs(m.source.c_str(), &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC) return;
  } else if (dest.compare(0, 6, "/proc/") == 0 || on_proc) {
    for (const char* ok : kLxcfs) {
      if (dest == ok) return;
    }
  } else {
    return;
  }
  Die(kMount, EPERM, "\"" + m.dest + "\" cannot be mounted because it is inside /proc");
}

// A pid namespace the child joined for its init (Child): procfs numbers the pids of its
// mounter's namespace, which is not that one, unless told which (pidns=, Linux 6.15).
int g_proc_pidns = -1;

bool ProcTakesPidns(int pidns_fd) {
  int fs = fsopen("proc", FSOPEN_CLOEXEC);
  if (fs < 0) return false;
  bool ok = fsconfig(fs, FSCONFIG_SET_FD, "pidns", nullptr, pidns_fd) == 0;
  close(fs);
  return ok;
}

// clone: the bind's source tree, made ready by ClonePropagating, or -1.
void DoMount(int root, const Mount& m, int clone) {
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
  CheckProcMount(m, -1);
  int fd = OpenDest(root, dest, as_file, special);
  if (fd < 0) Die(kMount, errno, special && errno == ELOOP ? dest + " is a symlink in the image" : dest);
  CheckProcMount(m, fd);
  std::string target = FdPath(fd);
  if (clone >= 0) {
    if (g_sys->MoveMount(clone, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) Die(kMount, errno, dest);
    close(clone);
  } else if (bind) {
    unsigned long rest = flags & ~(MS_BIND | MS_REC);
    // A detached copy of the source, given its flags before it is attached, then moved onto
    // the destination as resolved once. Resolving the destination again to remount it could
    // be raced onto another directory (a symlink swapped in by another container sharing the
    // volume), which got the read-only flag while ours stayed writable (runc CVE-2021-30465).
    int tree = g_sys->OpenTree(AT_FDCWD, source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((flags & MS_REC) ? AT_RECURSIVE : 0));
    if (tree < 0 && errno != ENOSYS) Die(kMount, errno, dest);
    if (tree >= 0 && rest && !SetBindFlags(tree, rest, flags & MS_REC)) {
      if (errno != ENOSYS) Die(kMount, errno, dest);
      close(tree);  // mount_setattr is newer (5.12) than open_tree (5.2): the old way below
      tree = -1;
    }
    if (tree >= 0) {
      if (g_sys->MoveMount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) Die(kMount, errno, dest);
      close(tree);
    } else {
      if (g_sys->Mount(source.c_str(), target.c_str(), nullptr, flags & (MS_BIND | MS_REC), nullptr) != 0) Die(kMount, errno, dest);
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
    std::string options = data;
    if (type == "proc" && g_proc_pidns >= 0) options += (options.empty() ? "pidns=" : ",pidns=") + FdPath(g_proc_pidns);
    if (g_sys->Mount(source.c_str(), target.c_str(), type.c_str(), flags, options.empty() ? nullptr : options.c_str()) != 0) {
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
      if (g_sys->Mount(nullptr, FdPath(mfd).c_str(), nullptr, m.propagation | (m.propagation_recursive ? MS_REC : 0), nullptr) != 0) Die(kMount, errno, dest);
      close(mfd);
    }
  }
  close(fd);
}

// True for the mounts that show cgroups (v1's tmpfs and hierarchies, or v2): they need the
// cgroup namespace, which is made only once the container is in its cgroups.
bool CgroupMount(const Mount& m) {
  return m.type == "cgroup" || m.type == "cgroup2" || m.dest == "/sys/fs/cgroup" || m.dest.compare(0, 15, "/sys/fs/cgroup/") == 0;
}

// The container's root filesystem on spec.root (the overlay of its image's layers, or vfs's
// copy of them bound there); returns it, opened O_PATH.
int MountRootfs(const Spec& spec) {
  const std::string& merged = spec.root;
  const std::string& bind = spec.rootfs_bind;
  if (!bind.empty()) {
    // vfs: the container's own full copy of its image, bind-mounted as the root.
    if (g_sys->Mount(bind.c_str(), merged.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) Die(kRootfs, errno, "bind " + bind);
  } else {
    // lowerdir uses short links relative to the store root: 60 layers fit in a page.
    if (chdir(spec.overlay_root.c_str()) != 0) Die(kRootfs, errno, spec.overlay_root);
    const std::string& opts = spec.overlay_options;
    if (g_sys->Mount("overlay", merged.c_str(), "overlay", 0, opts.c_str()) != 0) Die(kRootfs, errno, "overlay " + opts.substr(0, 200));
  }
  int root = open(merged.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) Die(kRootfs, errno, merged);
  return root;
}

// The container's root becomes ours, the host's goes; root (MountRootfs's) is closed.
void PivotRoot(const Spec& spec, int root) {
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
}

// linux.maskedPaths, after pivot_root: an empty read-only tmpfs over a directory, /dev/null
// over anything else; one the image lacks is skipped.
void MaskPaths(const Spec& spec) {
  for (const std::string& p : spec.masked) {
    struct stat st;
    if (g_sys->Lstat(p.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (g_sys->Mount("tmpfs", p.c_str(), "tmpfs", MS_RDONLY, "size=0") != 0) Die(kMask, errno, p);
    } else if (g_sys->Mount("/dev/null", p.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      Die(kMask, errno, p);
    }
  }
}

// linux.readonlyPaths, bound on themselves and made read-only with every mount below them;
// then root.readonly, the container's root itself.
void ReadonlyPaths(const Spec& spec) {
  for (const std::string& p : spec.readonly) {
    if (g_sys->Access(p.c_str(), F_OK) != 0) continue;
    if (g_sys->Mount(p.c_str(), p.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) Die(kReadonly, errno, p);
    int fd = g_sys->Open(p.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || !SetBindFlags(fd, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, true)) Die(kReadonly, errno, p);
    close(fd);
  }
  if (spec.root_readonly) {
    if (g_sys->Mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) Die(kReadonly, errno, "/");
  }
}

}  // namespace gocker_monitor
