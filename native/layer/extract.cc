#include "extract.h"

#include "../fsutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

namespace gocker {
namespace layer {

namespace {

constexpr size_t kBlock = 512;
constexpr uint64_t kMaxSize = 1ULL << 44;  // 16 TiB: larger is a corrupt or hostile header
constexpr uint64_t kMaxMeta = 1 << 20;     // PAX and GNU long-name records

const std::string kWhPrefix = ".wh.";
const std::string kOpaque = ".wh..wh..opq";
const std::string kMetaPrefix = ".wh..wh.";

[[noreturn]] void Fail(int err, const char* syscall, const std::string& path) {
  throw SysFailure{err, syscall, path};
}

[[noreturn]] void Invalid(const std::string& entry, const std::string& why) {
  throw LayerError{"invalid layer entry '" + entry + "': " + why};
}


// Octal (space/NUL terminated) or GNU base-256 numbers.
bool ParseNumeric(const uint8_t* p, size_t n, int64_t* out) {
  if (n > 0 && (p[0] & 0x80)) {
    if (p[0] & 0x40) return false;  // negative
    uint64_t v = p[0] & 0x3f;
    for (size_t i = 1; i < n; i++) {
      if (v > (UINT64_MAX >> 8)) return false;
      v = (v << 8) | p[i];
    }
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
    return true;
  }
  size_t i = 0;
  while (i < n && (p[i] == ' ' || p[i] == 0)) i++;
  uint64_t v = 0;
  bool any = false;
  for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
    if (v > (UINT64_MAX >> 3)) return false;
    v = (v << 3) | static_cast<uint64_t>(p[i] - '0');
    any = true;
  }
  for (; i < n; i++) {
    if (p[i] != ' ' && p[i] != 0) return false;
  }
  *out = any ? static_cast<int64_t>(v) : 0;
  return true;
}

std::string CString(const uint8_t* p, size_t n) {
  size_t len = 0;
  while (len < n && p[len] != 0) len++;
  return std::string(reinterpret_cast<const char*>(p), len);
}

// Cleans an entry name to a path relative to the layer root. "" is the root itself.
// A ".." that would climb above the root is refused, as moby's untar does.
bool CleanPath(const std::string& name, std::string* out) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= name.size()) {
    size_t j = name.find('/', i);
    if (j == std::string::npos) j = name.size();
    std::string c = name.substr(i, j - i);
    if (c == "..") {
      if (parts.empty()) return false;
      parts.pop_back();
    } else if (!c.empty() && c != ".") {
      parts.push_back(c);
    }
    i = j + 1;
  }
  std::string s;
  for (size_t k = 0; k < parts.size(); k++) {
    if (k) s += '/';
    s += parts[k];
  }
  *out = s;
  return true;
}

bool ParseTimeSpec(const std::string& v, int64_t* sec, int64_t* nsec) {
  char* end = nullptr;
  errno = 0;
  long long s = strtoll(v.c_str(), &end, 10);
  if (errno || end == v.c_str()) return false;
  *sec = s;
  *nsec = 0;
  if (*end == '.') {
    std::string frac(end + 1);
    frac = frac.substr(0, 9);
    while (frac.size() < 9) frac += '0';
    *nsec = strtoll(frac.c_str(), nullptr, 10);
    if (s < 0) *nsec = -*nsec;  // rare: pre-1970 with fraction
  }
  return true;
}

}  // namespace

struct Extractor::Header {
  std::string name;      // as in the archive, for messages
  std::string rel;       // cleaned
  char type = '0';
  int64_t mode = 0, uid = 0, gid = 0, size = 0;
  int64_t mtime = 0, mtime_nsec = 0;
  int64_t devmajor = 0, devminor = 0;
  std::string linkname;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

Extractor::Extractor(int root_fd, Whiteouts mode, bool is_root)
    : root_fd_(root_fd), mode_(mode), is_root_(is_root), buf_(1 << 20) {}

bool Extractor::ReadExact(uint8_t* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    size_t r = (*read_)(buf + got, n - got);
    if (r == 0) {
      if (got == 0) return false;
      throw Truncated{};
    }
    got += r;
  }
  return true;
}

void Extractor::Skip(uint64_t n) {
  while (n > 0) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(n, buf_.size()));
    if (!ReadExact(buf_.data(), chunk)) throw Truncated{};
    n -= chunk;
  }
}

std::string Extractor::ReadString(uint64_t n, const std::string& what) {
  if (n > kMaxMeta) throw LayerError{what + " record too large"};
  std::string s(n, '\0');
  if (n && !ReadExact(reinterpret_cast<uint8_t*>(&s[0]), n)) throw Truncated{};
  uint64_t pad = (kBlock - n % kBlock) % kBlock;
  Skip(pad);
  return s;
}

ExtractStats Extractor::Run(const ReadFn& read) {
  read_ = &read;
  std::string last = "(start of archive)";
  try {
    return RunEntries(&last);
  } catch (const Truncated&) {
    throw LayerError{"truncated archive in or after entry '" + last + "'"};
  }
}

ExtractStats Extractor::RunEntries(std::string* last_entry) {
  std::string& last = *last_entry;
  ExtractStats stats;
  uint8_t hdr[kBlock];
  std::string long_name, long_link;
  std::map<std::string, std::string> pax, global_pax;
  bool have_long_name = false, have_long_link = false;
  for (;;) {
    bool got = ReadExact(hdr, kBlock);
    if (!got) throw LayerError{"truncated archive after entry '" + last + "': no end-of-archive marker"};
    bool zero = std::all_of(hdr, hdr + kBlock, [](uint8_t b) { return b == 0; });
    if (zero) break;  // end of archive (the second zero block and any padding are drained by the caller)

    int64_t chk = 0;
    if (!ParseNumeric(hdr + 148, 8, &chk)) throw LayerError{"corrupt tar header after entry '" + last + "'"};
    int64_t sum = 0;
    for (size_t i = 0; i < kBlock; i++) sum += (i >= 148 && i < 156) ? ' ' : hdr[i];
    if (sum != chk) throw LayerError{"corrupt tar header (checksum) after entry '" + last + "'"};

    Header h;
    bool ustar = memcmp(hdr + 257, "ustar\0", 6) == 0;
    std::string name = CString(hdr, 100);
    if (ustar) {
      std::string prefix = CString(hdr + 345, 155);
      if (!prefix.empty()) name = prefix + "/" + name;
    }
    h.type = static_cast<char>(hdr[156]);
    if (!ParseNumeric(hdr + 100, 8, &h.mode) || !ParseNumeric(hdr + 108, 8, &h.uid) ||
        !ParseNumeric(hdr + 116, 8, &h.gid) || !ParseNumeric(hdr + 124, 12, &h.size) ||
        !ParseNumeric(hdr + 136, 12, &h.mtime)) {
      Invalid(name, "bad numeric field in header");
    }
    ParseNumeric(hdr + 329, 8, &h.devmajor);
    ParseNumeric(hdr + 337, 8, &h.devminor);
    h.linkname = CString(hdr + 157, 100);
    if (h.size < 0 || static_cast<uint64_t>(h.size) > kMaxSize) Invalid(name, "size out of range");

    // Metadata records that describe the next entry.
    if (h.type == 'L' || h.type == 'K' || h.type == 'x' || h.type == 'g') {
      std::string data = ReadString(static_cast<uint64_t>(h.size), "metadata");
      if (h.type == 'L') {
        long_name = CString(reinterpret_cast<const uint8_t*>(data.data()), data.size());
        have_long_name = true;
      } else if (h.type == 'K') {
        long_link = CString(reinterpret_cast<const uint8_t*>(data.data()), data.size());
        have_long_link = true;
      } else {
        auto& into = h.type == 'x' ? pax : global_pax;
        size_t p = 0;
        while (p < data.size()) {
          size_t sp = data.find(' ', p);
          if (sp == std::string::npos) Invalid(name, "malformed PAX record");
          long len = strtol(data.c_str() + p, nullptr, 10);
          if (len <= 0 || p + static_cast<size_t>(len) > data.size() || data[p + len - 1] != '\n') {
            Invalid(name, "malformed PAX record");
          }
          std::string rec = data.substr(sp + 1, p + len - 1 - (sp + 1));
          size_t eq = rec.find('=');
          if (eq == std::string::npos) Invalid(name, "malformed PAX record");
          into[rec.substr(0, eq)] = rec.substr(eq + 1);
          p += static_cast<size_t>(len);
        }
      }
      continue;
    }

    std::map<std::string, std::string> rec = global_pax;
    for (auto& kv : pax) rec[kv.first] = kv.second;
    pax.clear();
    if (have_long_name) name = long_name;
    if (have_long_link) h.linkname = long_link;
    have_long_name = have_long_link = false;
    for (auto& kv : rec) {
      const std::string& k = kv.first;
      const std::string& v = kv.second;
      if (k == "path") name = v;
      else if (k == "linkpath") h.linkname = v;
      else if (k == "size") {
        char* end;
        errno = 0;
        unsigned long long s = strtoull(v.c_str(), &end, 10);
        if (errno || *end || s > kMaxSize) Invalid(name, "PAX size out of range");
        h.size = static_cast<int64_t>(s);
      } else if (k == "uid") h.uid = strtoll(v.c_str(), nullptr, 10);
      else if (k == "gid") h.gid = strtoll(v.c_str(), nullptr, 10);
      else if (k == "mtime") {
        if (!ParseTimeSpec(v, &h.mtime, &h.mtime_nsec)) Invalid(name, "bad PAX mtime");
      } else if (k.compare(0, 13, "SCHILY.xattr.") == 0) {
        h.xattrs.emplace_back(k.substr(13), v);
      }
    }
    h.name = name;
    last = name;
    if (!CleanPath(name, &h.rel)) Invalid(name, "path escapes the layer");

    ApplyEntry(h);
    stats.entries++;
  }
  // Directory times last: writing into a directory changes its mtime. Deepest first.
  // Directories this layer only wrote into keep the times they had (as umoci does).
  std::unordered_set<std::string> described;
  for (auto& d : dir_times_) described.insert(d.rel);
  for (auto& t : touched_times_) {
    if (!described.count(t.rel)) dir_times_.push_back(t);
  }
  for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
    struct timespec ts[2] = {{it->sec, it->nsec}, {it->sec, it->nsec}};
    if (it->rel.empty()) {
      if (utimensat(root_fd_, "", ts, AT_EMPTY_PATH) != 0) Fail(errno, "utimensat", "/");
      continue;
    }
    std::string base;
    int parent = OpenParent(it->rel, &base, false);
    if (parent < 0) continue;  // removed later in the same layer
    Fd pf(parent);
    if (utimensat(parent, base.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0 && errno != ENOENT) {
      Fail(errno, "utimensat", it->rel);
    }
  }
  return stats;
}

// Resolves a directory inside the root: symlinks are followed as if the root were "/"
// (RESOLVE_IN_ROOT), so neither "..", absolute links nor magic links can leave it.
int Extractor::ResolveDir(const std::string& rel, bool create) {
  if (rel.empty()) {
    int fd = fcntl(root_fd_, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) Fail(errno, "fcntl", "/");
    return fd;
  }
  long fd = Openat2(root_fd_, rel.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC,
                    RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
  if (fd >= 0) return static_cast<int>(fd);
  if (errno != ENOENT || !create) {
    if (errno == ENOENT) return -1;
    Fail(errno, "openat2", rel);
  }
  // Create what is missing, one component at a time, each resolved inside the root.
  size_t slash = rel.rfind('/');
  std::string parent_rel = slash == std::string::npos ? "" : rel.substr(0, slash);
  std::string base = slash == std::string::npos ? rel : rel.substr(slash + 1);
  Fd parent(ResolveDir(parent_rel, true));
  Touch(parent.fd, parent_rel);
  if (mkdirat(parent.fd, base.c_str(), 0755) != 0) {
    // EEXIST here means a symlink whose target (inside the root) does not exist.
    if (errno == EEXIST) throw LayerError{"invalid layer entry under '" + rel + "': parent is a dangling symlink"};
    Fail(errno, "mkdirat", rel);
  }
  created_.insert(rel);
  fd = Openat2(parent.fd, base.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
  if (fd < 0) Fail(errno, "openat2", rel);
  return static_cast<int>(fd);
}

int Extractor::OpenParent(const std::string& rel, std::string* base, bool create) {
  size_t slash = rel.rfind('/');
  *base = slash == std::string::npos ? rel : rel.substr(slash + 1);
  return ResolveDir(slash == std::string::npos ? "" : rel.substr(0, slash), create);
}

void Extractor::Touch(int dirfd, const std::string& rel) {
  if (mode_ != Whiteouts::Delete || created_.count(rel) || !touched_.insert(rel).second) return;
  struct stat st;
  if (fstat(dirfd, &st) != 0) Fail(errno, "fstat", rel);
  touched_times_.push_back({rel, st.st_mtim.tv_sec, st.st_mtim.tv_nsec});
}

void Extractor::RemoveTree(int at, const std::string& name) {
  int fd = openat(at, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) Fail(errno, "openat", name);
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    close(fd);
    Fail(errno, "fdopendir", name);
  }
  std::vector<std::pair<std::string, bool>> kids;
  while (struct dirent* e = readdir(d)) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    kids.emplace_back(e->d_name, e->d_type == DT_DIR);
  }
  for (auto& k : kids) {
    if (k.second) RemoveTree(::dirfd(d), k.first);
    else if (unlinkat(::dirfd(d), k.first.c_str(), 0) != 0 && errno != ENOENT) Fail(errno, "unlinkat", k.first);
  }
  closedir(d);
  if (unlinkat(at, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) Fail(errno, "unlinkat", name);
}

void Extractor::RemoveAt(int dirfd, const std::string& name, const std::string& rel) {
  struct stat st;
  if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return;
    Fail(errno, "fstatat", rel);
  }
  if (S_ISDIR(st.st_mode)) RemoveTree(dirfd, name);
  else if (unlinkat(dirfd, name.c_str(), 0) != 0) Fail(errno, "unlinkat", rel);
}

// Delete mode's opaque directory: everything the lower layers put there goes; what this
// layer already added stays.
void Extractor::RemoveLowerChildren(int at, const std::string& rel) {
  int fd = openat(at, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) Fail(errno, "openat", rel);
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    close(fd);
    Fail(errno, "fdopendir", rel);
  }
  std::vector<std::pair<std::string, bool>> kids;
  while (struct dirent* e = readdir(d)) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    kids.emplace_back(e->d_name, e->d_type == DT_DIR);
  }
  for (auto& k : kids) {
    std::string child = rel.empty() ? k.first : rel + "/" + k.first;
    if (created_.count(child)) {
      if (k.second) {
        Fd sub(openat(::dirfd(d), k.first.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (sub.fd >= 0) RemoveLowerChildren(sub.fd, child);
      }
      continue;
    }
    RemoveAt(::dirfd(d), k.first, child);
  }
  closedir(d);
}

void Extractor::Whiteout(int parent, const std::string& dir_rel, const std::string& name, const std::string& entry) {
  std::string rel = dir_rel.empty() ? name : dir_rel + "/" + name;
  if (mode_ == Whiteouts::Delete) {
    RemoveAt(parent, name, rel);
    return;
  }
  // overlayfs's whiteout: a 0/0 character device with the hidden name.
  RemoveAt(parent, name, rel);
  if (mknodat(parent, name.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) Fail(errno, "mknodat", entry);
}

void Extractor::SetMeta(int parent, const std::string& base, const Header& h, bool is_symlink) {
  const char* p = base.c_str();
  if (is_root_ || h.uid == geteuid()) {
    if (fchownat(parent, p, static_cast<uid_t>(h.uid), static_cast<gid_t>(h.gid), AT_SYMLINK_NOFOLLOW) != 0) {
      Fail(errno, "fchownat", h.name);
    }
  }
  // chmod after chown: chown clears setuid/setgid.
  if (!is_symlink && fchmodat(parent, p, static_cast<mode_t>(h.mode & 07777), 0) != 0) Fail(errno, "fchmodat", h.name);
  if (!h.xattrs.empty()) {
    // lsetxattr by a path through our own fd: the final component is not followed.
    std::string via = "/proc/self/fd/" + std::to_string(parent) + "/" + base;
    for (auto& x : h.xattrs) {
      if (lsetxattr(via.c_str(), x.first.c_str(), x.second.data(), x.second.size(), 0) != 0) {
        // Unprivileged or on a filesystem without that namespace: skip, as containerd does.
        if (errno == ENOTSUP || (errno == EPERM && !is_root_)) continue;
        Fail(errno, "lsetxattr", h.name);
      }
    }
  }
}

void Extractor::WriteFile(int parent, const std::string& base, const Header& h) {
  Fd fd(openat(parent, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.fd < 0) Fail(errno, "openat", h.name);
  uint64_t left = static_cast<uint64_t>(h.size);
  while (left > 0) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(left, buf_.size()));
    size_t got = 0;
    while (got < chunk) {
      size_t r = (*read_)(buf_.data() + got, chunk - got);
      if (r == 0) throw Truncated{};
      got += r;
    }
    size_t off = 0;
    while (off < chunk) {
      ssize_t w = write(fd.fd, buf_.data() + off, chunk - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) Fail(errno, "write", h.name);
      off += static_cast<size_t>(w);
    }
    left -= chunk;
  }
  Skip((kBlock - static_cast<uint64_t>(h.size) % kBlock) % kBlock);
}

void Extractor::ApplyEntry(Header& h) {
  char t = h.type == '\0' || h.type == '7' ? '0' : h.type;
  uint64_t data = static_cast<uint64_t>(h.size);
  bool has_data = t == '0';

  if (h.rel.empty()) {
    // The layer root itself ("./"): only a directory may describe it.
    if (t != '5') Invalid(h.name, "the root of a layer must be a directory");
    SetMeta(root_fd_, ".", h, false);
    dir_times_.push_back({"", h.mtime, h.mtime_nsec});
    Skip(data);
    return;
  }

  std::string base;
  size_t slash = h.rel.rfind('/');
  bool is_whiteout = h.rel.compare(slash == std::string::npos ? 0 : slash + 1, kWhPrefix.size(), kWhPrefix) == 0;
  int pfd;
  try {
    pfd = OpenParent(h.rel, &base, true);
  } catch (const SysFailure& f) {
    // umoci writes "a" (now a file) then "a/.wh.x" for what the directory held: the file
    // already hides it.
    if (!(is_whiteout && f.err == ENOTDIR)) throw;
    Skip(data + (has_data ? (kBlock - data % kBlock) % kBlock : 0));
    return;
  }
  Fd parent(pfd);
  std::string dir_rel = slash == std::string::npos ? "" : h.rel.substr(0, slash);
  Touch(parent.fd, dir_rel);

  if (base.compare(0, kWhPrefix.size(), kWhPrefix) == 0) {
    if (base == kOpaque) {
      if (mode_ == Whiteouts::Overlay) {
        Fd dir(openat(parent.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (dir.fd < 0) Fail(errno, "openat", h.name);
        if (fsetxattr(dir.fd, "trusted.overlay.opaque", "y", 1, 0) != 0) Fail(errno, "fsetxattr", h.name);
      } else {
        RemoveLowerChildren(parent.fd, dir_rel);
      }
    } else if (base.compare(0, kMetaPrefix.size(), kMetaPrefix) == 0) {
      // Other AUFS metadata (.wh..wh.plnk and friends): not part of the tree.
    } else {
      std::string hidden = base.substr(kWhPrefix.size());
      if (hidden.empty() || hidden == "." || hidden == "..") Invalid(h.name, "whiteout of '" + hidden + "'");
      Whiteout(parent.fd, dir_rel, hidden, h.name);
    }
    Skip(data + (has_data ? (kBlock - data % kBlock) % kBlock : 0));
    return;
  }

  struct stat st;
  bool exists = fstatat(parent.fd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (exists && !(t == '5' && S_ISDIR(st.st_mode))) RemoveAt(parent.fd, base, h.rel);
  if (mode_ == Whiteouts::Delete) created_.insert(h.rel);

  switch (t) {
    case '0':
      WriteFile(parent.fd, base, h);
      SetMeta(parent.fd, base, h, false);
      break;
    case '5':
      if (!exists || !S_ISDIR(st.st_mode)) {
        if (mkdirat(parent.fd, base.c_str(), 0700) != 0) Fail(errno, "mkdirat", h.name);
      }
      SetMeta(parent.fd, base, h, false);
      dir_times_.push_back({h.rel, h.mtime, h.mtime_nsec});
      Skip(data);
      return;  // times later
    case '2':
      if (symlinkat(h.linkname.c_str(), parent.fd, base.c_str()) != 0) Fail(errno, "symlinkat", h.name);
      SetMeta(parent.fd, base, h, true);
      break;
    case '1': {
      std::string target;
      if (!CleanPath(h.linkname, &target) || target.empty()) Invalid(h.name, "hardlink target '" + h.linkname + "' escapes the layer");
      std::string tbase;
      int tp = OpenParent(target, &tbase, false);
      if (tp < 0) Invalid(h.name, "hardlink target '" + h.linkname + "' does not exist");
      Fd tparent(tp);
      // No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink itself, never its target.
      if (linkat(tparent.fd, tbase.c_str(), parent.fd, base.c_str(), 0) != 0) {
        if (errno == ENOENT) Invalid(h.name, "hardlink target '" + h.linkname + "' does not exist");
        Fail(errno, "linkat", h.name);
      }
      Skip(data);
      return;  // a hardlink shares its target's metadata
    }
    case '3':
    case '4':
    case '6': {
      mode_t kind = t == '3' ? S_IFCHR : t == '4' ? S_IFBLK : S_IFIFO;
      if (kind != S_IFIFO && !is_root_) break;  // devices need root; skip them unprivileged, as rootless engines do
      dev_t dev = kind == S_IFIFO ? 0 : makedev(static_cast<unsigned>(h.devmajor), static_cast<unsigned>(h.devminor));
      if (mknodat(parent.fd, base.c_str(), kind | 0600, dev) != 0) Fail(errno, "mknodat", h.name);
      SetMeta(parent.fd, base, h, false);
      break;
    }
    default:
      // Unknown types (sparse 'S', volume 'V', ...): skip their data, as docker does.
      Skip(data + (kBlock - data % kBlock) % kBlock);
      return;
  }
  struct timespec ts[2] = {{h.mtime, h.mtime_nsec}, {h.mtime, h.mtime_nsec}};
  if (utimensat(parent.fd, base.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) Fail(errno, "utimensat", h.name);
  if (t != '0') Skip(data + (kBlock - data % kBlock) % kBlock);
}

}  // namespace layer
}  // namespace gocker
