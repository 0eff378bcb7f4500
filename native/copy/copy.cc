#include "copy.h"

#include "../fsutil.h"
#include "../tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

namespace gocker {
namespace copy {
namespace {

[[noreturn]] void Fail(int err, const char* syscall, const std::string& path) {
  throw SysFailure{err, syscall, path};
}


long Openat2(int dirfd, const std::string& path, uint64_t flags, uint64_t resolve) {
  return gocker::Openat2(dirfd, path.c_str(), flags, resolve);
}

// "a/b/c" -> parent "a/b" (or "."), base "c". Trailing slashes are dropped.
void SplitPath(std::string p, std::string* parent, std::string* base) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t i = p.rfind('/');
  if (i == std::string::npos) {
    *parent = ".";
    *base = p;
  } else {
    *parent = i == 0 ? "/" : p.substr(0, i);
    *base = p.substr(i + 1);
  }
}

// A directory inside root: every component, symlinks included, resolved as if root were /.
int OpenDirIn(int root, const std::string& rel, const std::string& what) {
  long fd = Openat2(root, rel, O_PATH | O_DIRECTORY | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (fd < 0) Fail(errno, "openat2", what);
  return static_cast<int>(fd);
}

}  // namespace

TreeCopier::TreeCopier(int src_root, int dst_root, const CopyOptions& o)
    : src_root_(src_root), dst_root_(dst_root), o_(o), is_root_(geteuid() == 0) {}

std::string TreeCopier::Inside(const char* empty) const {
  std::string s;
  for (size_t i = 1; i < stack_.size(); i++) {
    if (!s.empty()) s += '/';
    s += stack_[i].name;
  }
  if (leaf_ != nullptr) {
    if (!s.empty()) s += '/';
    s += *leaf_;
  }
  return s.empty() ? empty : s;
}

std::string TreeCopier::Where() const {
  std::string in = Inside("");
  return in.empty() ? top_name_ : top_name_ + "/" + in;
}

void TreeCopier::Fail(int err, const char* syscall) const { throw SysFailure{err, syscall, Where()}; }

CopyStats TreeCopier::Copy(const std::string& src, const std::string& dst) {
  std::string sp, sb, dp, db;
  SplitPath(src, &sp, &sb);
  SplitPath(dst, &dp, &db);
  if (sb.empty() || sb == "." || sb == ".." || sb == "/") {
    // The root itself ("/" or "dir/."): open it as the parent and copy "." from it.
    sp = src;
    sb = ".";
  }
  if (db.empty() || db == "." || db == ".." || db == "/") copy::Fail(EINVAL, "copy", dst);
  Fd sparent(OpenDirIn(src_root_, sp, src));
  Fd dparent(OpenDirIn(dst_root_, dp, dst));
  top_name_ = db;
  struct Closer {
    TreeCopier& c;
    ~Closer() {
      for (Dir& d : c.stack_) {
        if (d.sfd >= 0) close(d.sfd);
        if (d.dfd >= 0) close(d.dfd);
      }
      c.stack_.clear();
      c.leaf_ = nullptr;
      if (c.dst_top_ >= 0) close(c.dst_top_);
      c.dst_top_ = -1;
    }
  } closer{*this};
  CopyEntry(sparent.fd, sb, dparent.fd, db);
  while (!stack_.empty()) {
    Dir& top = stack_.back();
    if (!top.names.empty()) {
      const std::string name = std::move(top.names.back());
      top.names.pop_back();
      leaf_ = &name;
      CopyEntry(top.sfd, name, top.dfd, name);  // may push: `top` is not used after it
      leaf_ = nullptr;
      continue;
    }
    // Its contents are done: the directory's own metadata (times last), then back up.
    SetMeta(top.sfd, false, top.dfd, false, top.st);
    if (stack_.size() > 1 && stack_[stack_.size() - 2].sfd < 0) Reopen(stack_[stack_.size() - 2], top);
    close(top.sfd);
    close(top.dfd);
    stack_.pop_back();
  }
  return stats_;
}

void TreeCopier::Reopen(Dir& up, const Dir& from) {
  // On both sides (a live container can move its directories): see ReopenParent.
  up.sfd = ReopenParent(from.sfd, up.st.st_dev, up.st.st_ino);
  if (up.sfd < 0) Fail(errno, "openat");
  up.dfd = ReopenParent(from.dfd, up.ddev, up.dino);
  if (up.dfd < 0) Fail(errno, "openat");
}

void TreeCopier::CopyEntry(int sparent, const std::string& sname, int dparent, const std::string& dname) {
  struct stat st;
  if (fstatat(sparent, sname.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) Fail(errno, "fstatat");
  stats_.entries++;
  const mode_t kind = st.st_mode & S_IFMT;
  if (kind == S_IFSOCK) return;  // sockets: nothing to copy
  // The source as a descriptor of exactly what was stat'ed: a live container may swap the
  // name for a symlink (O_NOFOLLOW refuses it) or a FIFO (O_NONBLOCK: the open cannot hang,
  // and the type check refuses it) between the stat and the open.
  int sflags = kind == S_IFREG ? O_RDONLY | O_NONBLOCK : kind == S_IFDIR ? O_RDONLY | O_DIRECTORY : O_PATH;
  Fd src(openat(sparent, sname.c_str(), sflags | O_NOFOLLOW | O_CLOEXEC));
  if (src.fd < 0) Fail(errno, "open");
  if (fstat(src.fd, &st) != 0) Fail(errno, "fstat");
  if ((st.st_mode & S_IFMT) != kind) Fail(ESTALE, "open");  // replaced while we looked
  const char* dn = dname.c_str();
  // Where this entry is in the copy, without the top's name: only a path openat2 can
  // resolve is worth remembering for a later hardlink (deeper ones are copied as files).
  const size_t len = stack_.empty() ? 0 : stack_.back().len + (stack_.back().len ? 1 : 0) + dname.size();
  // A second name of a file already copied: link to the copy.
  if (kind != S_IFDIR && st.st_nlink > 1 && dst_top_ >= 0) {
    auto it = links_.find({st.st_dev, st.st_ino});
    if (it != links_.end()) {
      std::string p, b;
      SplitPath(it->second, &p, &b);
      // Inside the copy, with no symlink followed: the tree may be a live container's.
      long lp = Openat2(dst_top_, p, O_PATH | O_DIRECTORY | O_CLOEXEC, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
      if (lp >= 0) {
        Fd linkparent(static_cast<int>(lp));
        if (linkat(linkparent.fd, b.c_str(), dparent, dn, 0) == 0) return;
      }
      // Fall through: copy it as a file of its own.
    }
  }
  if (o_.skip_devices && (kind == S_IFCHR || kind == S_IFBLK)) {
    // Before MakeRoom: what the destination has at that name stays as it is.
    stats_.skipped.push_back(Inside(""));
    return;
  }
  if (kind != S_IFDIR) MakeRoom(dparent, dname, false);
  // The copy, likewise as a descriptor: every change after its creation goes through it, so
  // a name swapped for a symlink cannot carry a chmod, chown or xattr out of the root.
  Fd dst;
  switch (kind) {
    case S_IFDIR: {
      if (!MakeRoom(dparent, dname, true) && mkdirat(dparent, dn, 0700) != 0) Fail(errno, "mkdirat");
      dst.fd = openat(dparent, dn, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (dst.fd < 0) Fail(errno, "open");
      struct stat dst_st;
      if (fstat(dst.fd, &dst_st) != 0) Fail(errno, "fstat");
      if (dst_top_ < 0) {
        dst_top_ = dup(dst.fd);
        if (dst_top_ < 0) Fail(errno, "dup");
      }
      Dir d;
      d.st = st;
      d.len = len;
      int dupfd = dup(src.fd);
      if (dupfd < 0) Fail(errno, "dup");
      DIR* dir = fdopendir(dupfd);
      if (!dir) {
        int err = errno;
        close(dupfd);
        Fail(err, "fdopendir");
      }
      errno = 0;
      while (struct dirent* e = readdir(dir)) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) d.names.emplace_back(e->d_name);
      }
      int rerr = errno;
      closedir(dir);
      if (rerr) Fail(rerr, "readdir");
      // Copied last first, so in the order they were read.
      std::reverse(d.names.begin(), d.names.end());
      d.name = stack_.empty() ? "" : dname;
      d.ddev = dst_st.st_dev;
      d.dino = dst_st.st_ino;
      d.sfd = src.release();
      d.dfd = dst.release();
      stack_.push_back(std::move(d));
      leaf_ = nullptr;  // now the pushed directory itself
      if (stack_.size() > tree_detail::kOpenLevels) {
        Dir& far = stack_[stack_.size() - 1 - tree_detail::kOpenLevels];
        close(far.sfd);
        close(far.dfd);
        far.sfd = far.dfd = -1;
      }
      return;
    }
    case S_IFREG:
      dst.fd = openat(dparent, dn, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (dst.fd < 0) Fail(errno, "openat");
      CopyData(src.fd, dst.fd);
      break;
    case S_IFLNK: {
      std::vector<char> target(static_cast<size_t>(st.st_size > 0 ? st.st_size : 255) + 1);
      ssize_t n = readlinkat(src.fd, "", target.data(), target.size());
      if (n < 0) Fail(errno, "readlinkat");
      target.resize(static_cast<size_t>(n));
      target.push_back('\0');
      if (symlinkat(target.data(), dparent, dn) != 0) Fail(errno, "symlinkat");
      dst.fd = OpenCreated(dparent, dname, S_IFLNK);
      break;
    }
    default:  // character and block devices, fifos
      if (mknodat(dparent, dn, kind, st.st_rdev) != 0) {
        // Devices need privilege; a copy without it skips them, as cp does with a warning.
        if (errno == EPERM && kind != S_IFIFO) return;
        Fail(errno, "mknodat");
      }
      dst.fd = OpenCreated(dparent, dname, kind);
      break;
  }
  if (st.st_nlink > 1 && dst_top_ >= 0 && len < PATH_MAX) links_.emplace(std::make_pair(st.st_dev, st.st_ino), Inside("."));
  bool opath = kind != S_IFREG;
  SetMeta(src.fd, opath, dst.fd, opath, st);
}

// The entry just made at dparent/dname, as an O_PATH descriptor that must be of that type.
int TreeCopier::OpenCreated(int dparent, const std::string& dname, mode_t kind) {
  int fd = openat(dparent, dname.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) Fail(errno, "open");
  struct stat st;
  if (fstat(fd, &st) != 0 || (st.st_mode & S_IFMT) != kind) {
    close(fd);
    Fail(ESTALE, "open");
  }
  return fd;
}

// Merging: true when dname is a directory to merge into; an old non-directory is removed
// to make room for a non-directory. Not merging: nothing to do (creation fails on EEXIST).
bool TreeCopier::MakeRoom(int dparent, const std::string& dname, bool src_is_dir) {
  if (!o_.merge) return false;
  struct stat old;
  if (fstatat(dparent, dname.c_str(), &old, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return false;
    Fail(errno, "fstatat");
  }
  if (S_ISDIR(old.st_mode) != src_is_dir) Fail(src_is_dir ? ENOTDIR : EISDIR, "copy");
  if (src_is_dir) return true;
  if (unlinkat(dparent, dname.c_str(), 0) != 0) Fail(errno, "unlinkat");
  return false;
}

void TreeCopier::CopyData(int in, int out) {
  // Shared extents (btrfs, xfs with reflink): no data moves at all.
  if (ioctl(out, FICLONE, in) == 0) {
    struct stat st;
    if (fstat(in, &st) == 0) stats_.bytes += static_cast<uint64_t>(st.st_size);
    stats_.reflinked++;
    return;
  }
  bool cfr = true;
  std::vector<char> buf;
  for (;;) {
    if (cfr) {
      ssize_t n = copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
      if (n > 0) {
        stats_.bytes += static_cast<uint64_t>(n);
        continue;
      }
      if (n == 0) return;
      if (errno == EINTR) continue;
      // Across filesystems on older kernels, or a filesystem without it: plain copy.
      if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP && errno != ENOTSUP) Fail(errno, "copy_file_range");
      cfr = false;
      buf.resize(1 << 20);
    }
    ssize_t n = read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) Fail(errno, "read");
    if (n == 0) return;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf.data() + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) Fail(errno, "write");
      off += w;
    }
    stats_.bytes += static_cast<uint64_t>(n);
  }
}

// Both ends by descriptor (O_PATH ones through /proc/self/fd, which reaches exactly that
// inode and never a symlink's target).
void TreeCopier::CopyXattrs(int sfd, bool sopath, int dfd, bool dopath) {
  std::string to = ProcFd(dfd);
  ForEachXattr(sfd, sopath, [&](const char* name, const char* value, size_t len) {
    // File capabilities are privilege like a setuid bit (see CopyOptions::strip_privilege).
    if (o_.strip_privilege && !strcmp(name, "security.capability")) return;
    int r = dopath ? setxattr(to.c_str(), name, value, len, 0) : fsetxattr(dfd, name, value, len, 0);
    // Unprivileged (trusted.*, security.*) or a filesystem without the namespace: skipped.
    if (r != 0 && errno != ENOTSUP && errno != EPERM) Fail(errno, "setxattr");
  });
}

// In this order: chown clears setuid/setgid and file capabilities, so modes and xattrs come
// after it; times come last, as every other change moves them.
void TreeCopier::SetMeta(int sfd, bool sopath, int dfd, bool dopath, const struct stat& st) {
  uid_t uid = o_.uid >= 0 ? static_cast<uid_t>(o_.uid) : st.st_uid;
  gid_t gid = o_.gid >= 0 ? static_cast<gid_t>(o_.gid) : st.st_gid;
  if (is_root_ && fchownat(dfd, "", uid, gid, AT_EMPTY_PATH) != 0) Fail(errno, "fchownat");
  if (!S_ISLNK(st.st_mode)) {
    mode_t mode = st.st_mode & 07777;
    if (o_.strip_privilege) mode &= ~static_cast<mode_t>(S_ISUID | S_ISGID);
    if ((dopath ? chmod(ProcFd(dfd).c_str(), mode) : fchmod(dfd, mode)) != 0) Fail(errno, "fchmod");
  }
  CopyXattrs(sfd, sopath, dfd, dopath);
  struct timespec ts[2] = {st.st_atim, st.st_mtim};
  if (utimensat(dfd, "", ts, AT_EMPTY_PATH) != 0) Fail(errno, "utimensat");
}

std::string StatIn(int root, const std::string& path, bool follow) {
  uint64_t flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
  long fd = Openat2(root, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return "";
    Fail(errno, "openat2", path);
  }
  struct stat st;
  int r = fstat(static_cast<int>(fd), &st);
  int err = errno;
  close(static_cast<int>(fd));
  if (r != 0) Fail(err, "fstat", path);
  if (S_ISREG(st.st_mode)) return "file";
  if (S_ISDIR(st.st_mode)) return "dir";
  if (S_ISLNK(st.st_mode)) return "symlink";
  return "other";
}

// The target of the symlink at path, resolved inside root (its leading components too), as
// text; empty when path is not a symlink or does not exist. Read through an O_PATH descriptor
// of the link itself: nothing of it is followed here.
std::string ReadlinkIn(int root, const std::string& path) {
  long fd = Openat2(root, path, O_PATH | O_NOFOLLOW | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return "";
    Fail(errno, "openat2", path);
  }
  char buf[PATH_MAX];
  ssize_t n = readlinkat(static_cast<int>(fd), "", buf, sizeof buf);
  int err = errno;
  close(static_cast<int>(fd));
  if (n < 0) {
    // Not a symlink: readlinkat with an empty path says ENOENT for what the fd is not a link
    // of (EINVAL on older kernels).
    if (err == ENOENT || err == EINVAL) return "";
    Fail(err, "readlinkat", path);
  }
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace copy
}  // namespace gocker
