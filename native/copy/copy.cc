#include "copy.h"

#include "../fsutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
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

CopyStats TreeCopier::Copy(const std::string& src, const std::string& dst) {
  std::string sp, sb, dp, db;
  SplitPath(src, &sp, &sb);
  SplitPath(dst, &dp, &db);
  if (sb.empty() || sb == "." || sb == ".." || sb == "/") {
    // The root itself ("/" or "dir/."): open it as the parent and copy "." from it.
    sp = src;
    sb = ".";
  }
  if (db.empty() || db == "." || db == ".." || db == "/") Fail(EINVAL, "copy", dst);
  Fd sparent(OpenDirIn(src_root_, sp, src));
  Fd dparent(OpenDirIn(dst_root_, dp, dst));
  top_name_ = db;
  CopyEntry(sparent.fd, sb, dparent.fd, db, db);
  if (dst_top_ >= 0) close(dst_top_);
  dst_top_ = -1;
  return stats_;
}

void TreeCopier::CopyEntry(int sparent, const std::string& sname, int dparent, const std::string& dname, const std::string& rel) {
  struct stat st;
  if (fstatat(sparent, sname.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) Fail(errno, "fstatat", rel);
  stats_.entries++;
  const char* dn = dname.c_str();
  // A second name of a file already copied: link to the copy.
  if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && dst_top_ >= 0) {
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
  if (!S_ISDIR(st.st_mode)) MakeRoom(dparent, dname, false, rel);
  switch (st.st_mode & S_IFMT) {
    case S_IFDIR: {
      Fd sdir(openat(sparent, sname.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sdir.fd < 0) Fail(errno, "open", rel);
      if (!MakeRoom(dparent, dname, true, rel) && mkdirat(dparent, dn, 0700) != 0) Fail(errno, "mkdirat", rel);
      Fd ddir(openat(dparent, dn, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (ddir.fd < 0) Fail(errno, "open", rel);
      if (dst_top_ < 0) dst_top_ = dup(ddir.fd);
      DIR* d = fdopendir(dup(sdir.fd));
      if (!d) Fail(errno, "fdopendir", rel);
      std::vector<std::string> names;
      errno = 0;
      while (struct dirent* e = readdir(d)) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names.emplace_back(e->d_name);
      }
      int rerr = errno;
      closedir(d);
      if (rerr) Fail(rerr, "readdir", rel);
      for (const std::string& n : names) CopyEntry(sdir.fd, n, ddir.fd, n, rel + "/" + n);
      SetMeta(sparent, sname, dparent, dname, st, rel);
      return;
    }
    case S_IFREG: {
      Fd in(openat(sparent, sname.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (in.fd < 0) Fail(errno, "open", rel);
      Fd out(openat(dparent, dn, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (out.fd < 0) Fail(errno, "openat", rel);
      CopyData(in.fd, out.fd, rel);
      break;
    }
    case S_IFLNK: {
      std::vector<char> target(static_cast<size_t>(st.st_size > 0 ? st.st_size : 255) + 1);
      ssize_t n = readlinkat(sparent, sname.c_str(), target.data(), target.size());
      if (n < 0) Fail(errno, "readlinkat", rel);
      target.resize(static_cast<size_t>(n));
      target.push_back('\0');
      if (symlinkat(target.data(), dparent, dn) != 0) Fail(errno, "symlinkat", rel);
      break;
    }
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO:
      if (mknodat(dparent, dn, st.st_mode & S_IFMT, st.st_rdev) != 0) {
        // Devices need privilege; a copy without it skips them, as cp does with a warning.
        if (errno == EPERM && !S_ISFIFO(st.st_mode)) return;
        Fail(errno, "mknodat", rel);
      }
      break;
    default:
      return;  // sockets: nothing to copy
  }
  if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && dst_top_ >= 0) {
    // Relative to the copy's top: rel starts with the top's own name.
    std::string inside = rel.size() > top_name_.size() ? rel.substr(top_name_.size() + 1) : ".";
    links_.emplace(std::make_pair(st.st_dev, st.st_ino), inside);
  }
  SetMeta(sparent, sname, dparent, dname, st, rel);
}

// Merging: true when dname is a directory to merge into; an old non-directory is removed
// to make room for a non-directory. Not merging: nothing to do (creation fails on EEXIST).
bool TreeCopier::MakeRoom(int dparent, const std::string& dname, bool src_is_dir, const std::string& rel) {
  if (!o_.merge) return false;
  struct stat old;
  if (fstatat(dparent, dname.c_str(), &old, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return false;
    Fail(errno, "fstatat", rel);
  }
  if (S_ISDIR(old.st_mode) != src_is_dir) Fail(src_is_dir ? ENOTDIR : EISDIR, "copy", rel);
  if (src_is_dir) return true;
  if (unlinkat(dparent, dname.c_str(), 0) != 0) Fail(errno, "unlinkat", rel);
  return false;
}

void TreeCopier::CopyData(int in, int out, const std::string& rel) {
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
      if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP && errno != ENOTSUP) Fail(errno, "copy_file_range", rel);
      cfr = false;
      buf.resize(1 << 20);
    }
    ssize_t n = read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) Fail(errno, "read", rel);
    if (n == 0) return;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf.data() + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) Fail(errno, "write", rel);
      off += w;
    }
    stats_.bytes += static_cast<uint64_t>(n);
  }
}

void TreeCopier::CopyXattrs(int sparent, const std::string& sname, int dparent, const std::string& dname, const std::string& rel) {
  // l*xattr through our own directory fds: the final component is never followed.
  std::string from = "/proc/self/fd/" + std::to_string(sparent) + "/" + sname;
  std::string to = "/proc/self/fd/" + std::to_string(dparent) + "/" + dname;
  ssize_t len = llistxattr(from.c_str(), nullptr, 0);
  if (len <= 0) return;  // none, or a filesystem without xattrs
  std::vector<char> names(static_cast<size_t>(len));
  len = llistxattr(from.c_str(), names.data(), names.size());
  if (len <= 0) return;
  std::vector<char> val;
  for (size_t i = 0; i < static_cast<size_t>(len); i += strlen(names.data() + i) + 1) {
    const char* name = names.data() + i;
    // overlayfs's own bookkeeping belongs to the source tree's layering, not to the file.
    if (!strncmp(name, "trusted.overlay.", 16) || !strncmp(name, "user.overlay.", 13)) continue;
    ssize_t vl = lgetxattr(from.c_str(), name, nullptr, 0);
    if (vl < 0) continue;
    val.resize(static_cast<size_t>(vl) + 1);
    vl = lgetxattr(from.c_str(), name, val.data(), val.size());
    if (vl < 0) continue;
    if (lsetxattr(to.c_str(), name, val.data(), static_cast<size_t>(vl), 0) != 0) {
      // Unprivileged (trusted.*, security.*) or a filesystem without the namespace: skip.
      if (errno == ENOTSUP || errno == EPERM) continue;
      Fail(errno, "lsetxattr", rel);
    }
  }
}

// In this order: chown clears setuid/setgid and file capabilities, so modes and xattrs come
// after it; times come last, as every other change moves them.
void TreeCopier::SetMeta(int sparent, const std::string& sname, int dparent, const std::string& dname, const struct stat& st, const std::string& rel) {
  const char* dn = dname.c_str();
  bool is_link = S_ISLNK(st.st_mode);
  uid_t uid = o_.uid >= 0 ? static_cast<uid_t>(o_.uid) : st.st_uid;
  gid_t gid = o_.gid >= 0 ? static_cast<gid_t>(o_.gid) : st.st_gid;
  if (is_root_ && fchownat(dparent, dn, uid, gid, AT_SYMLINK_NOFOLLOW) != 0) Fail(errno, "fchownat", rel);
  if (!is_link && fchmodat(dparent, dn, st.st_mode & 07777, 0) != 0) Fail(errno, "fchmodat", rel);
  CopyXattrs(sparent, sname, dparent, dname, rel);
  struct timespec ts[2] = {st.st_atim, st.st_mtim};
  if (utimensat(dparent, dn, ts, AT_SYMLINK_NOFOLLOW) != 0) Fail(errno, "utimensat", rel);
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

}  // namespace copy
}  // namespace gocker
