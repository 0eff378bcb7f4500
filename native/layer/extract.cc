#include "extract.h"

#include "../fsutil.h"
#include "../tree.h"
#include "decompress.h"

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
#include <string_view>
#include <unordered_map>

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

// Entry names go into one-line messages: a NUL or newline in a hostile name is shown escaped.
std::string Printable(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\0') out += "\\0";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

[[noreturn]] void Invalid(const std::string& entry, const std::string& why) {
  throw LayerError{"invalid layer entry '" + Printable(entry) + "': " + why};
}

bool HasNul(const std::string& s) { return s.find('\0') != std::string::npos; }

// Strict unsigned decimal, as a PAX value must be: digits only, no sign, space or overflow.
bool ParseDecimal(const std::string& v, uint64_t max, uint64_t* out) {
  if (v.empty() || v.size() > 20) return false;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (n > (UINT64_MAX - d) / 10) return false;
    n = n * 10 + d;
  }
  if (n > max) return false;
  *out = n;
  return true;
}

// uid_t and gid_t are 32 bits, and (uid_t)-1 means "leave unchanged" to chown.
constexpr uint64_t kMaxId = 0xfffffffeULL;

// Bytes of path given to one openat2: PATH_MAX less its NUL (ENAMETOOLONG beyond it), so
// every path one call could resolve is still resolved by one call, as before, and a deeper
// path is walked a chunk at a time.
constexpr size_t kChunk = 4095;
constexpr uint64_t kBeneath = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;

// The end of rel's chunk that starts at p: at the last '/' that keeps it within kChunk
// bytes, or at the end; a single longer name is a chunk of its own (and the kernel's error).
size_t ChunkEnd(const std::string& rel, size_t p) {
  if (rel.size() - p <= kChunk) return rel.size();
  size_t s = rel.rfind('/', p + kChunk);
  if (s == std::string::npos || s <= p) {
    s = rel.find('/', p);
    if (s == std::string::npos) s = rel.size();
  }
  return s;
}

// path below dirfd, however long, following no symlink; -1 with errno as openat2 sets it.
int OpenBeneath(int dirfd, const std::string& path, int flags) {
  int cur = -1;
  for (size_t p = 0; p < path.size();) {
    size_t e = ChunkEnd(path, p);
    long fd = Openat2(cur < 0 ? dirfd : cur, path.substr(p, e - p).c_str(), flags | O_CLOEXEC, kBeneath);
    int err = errno;
    if (cur >= 0) close(cur);
    if (fd < 0) {
      errno = err;
      return -1;
    }
    cur = static_cast<int>(fd);
    p = e + 1;
  }
  return cur;
}

// A sparse map is metadata like a PAX record, held in memory before any data is written:
// bounded the same way, so a map of millions of entries (Go's CVE-2022-2879 class; a
// gzip stream inflates one from a few kilobytes) fails at once, not after using its memory.
[[noreturn]] void SparseTooLarge(const std::string& entry) {
  Invalid(entry, "GNU sparse map larger than " + std::to_string(kMaxMeta) + " bytes");
}

// Go's archive/tar: these types never carry data, whatever their size field says.
bool HeaderOnly(char t) { return t == '1' || t == '2' || t == '3' || t == '4' || t == '5' || t == '6'; }

uint64_t Padding(uint64_t n) { return (kBlock - n % kBlock) % kBlock; }


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
  // One pass, the result written in place: an entry's name can hold 100,000 components, and
  // a string (or a call) a component would make cleaning it the archive's slowest step.
  std::string s(name.size(), '\0');
  size_t len = 0;
  std::vector<size_t> starts;  // where each component kept in s begins ('..' goes back to it)
  for (size_t i = 0; i <= name.size();) {
    size_t j = i;
    while (j < name.size() && name[j] != '/') j++;
    const size_t n = j - i;
    if (n == 2 && name[i] == '.' && name[i + 1] == '.') {
      if (starts.empty()) return false;
      len = starts.back() == 0 ? 0 : starts.back() - 1;
      starts.pop_back();
    } else if (n != 0 && !(n == 1 && name[i] == '.')) {
      if (len != 0) s[len++] = '/';
      starts.push_back(len);
      memcpy(&s[len], name.data() + i, n);
      len += n;
    }
    i = j + 1;
  }
  s.resize(len);
  *out = std::move(s);
  return true;
}

// PAX times: an optional '-', decimal seconds, optionally '.' and more digits (kept to ns).
bool ParseTimeSpec(const std::string& v, int64_t* sec, int64_t* nsec) {
  size_t i = 0;
  bool neg = !v.empty() && v[0] == '-';
  if (neg) i++;
  size_t dot = v.find('.', i);
  std::string whole = v.substr(i, dot == std::string::npos ? std::string::npos : dot - i);
  uint64_t s = 0;
  if (!ParseDecimal(whole, static_cast<uint64_t>(INT64_MAX), &s)) return false;
  int64_t ns = 0;
  if (dot != std::string::npos) {
    std::string frac = v.substr(dot + 1);
    if (frac.empty()) return false;
    for (size_t k = 0; k < frac.size(); k++) {
      if (frac[k] < '0' || frac[k] > '9') return false;
      if (k < 9) ns = ns * 10 + (frac[k] - '0');
    }
    for (size_t k = frac.size(); k < 9; k++) ns *= 10;
  }
  *sec = neg ? -static_cast<int64_t>(s) : static_cast<int64_t>(s);
  *nsec = ns;
  if (neg && ns) {  // -1.5 is 1.5 s before the epoch: { -2, 500000000 }
    *sec -= 1;
    *nsec = 1000000000 - ns;
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
  // A sparse file: its data holds these (offset, length) fragments of a file of realsize
  // bytes, the rest holes; map_in_data: PAX 1.0, where the map leads the data.
  bool sparse = false;
  bool map_in_data = false;
  std::vector<std::pair<uint64_t, uint64_t>> frags;
  uint64_t realsize = 0;
};

Extractor::Extractor(int root_fd, Whiteouts mode, bool is_root)
    : root_fd_(root_fd), mode_(mode), is_root_(is_root), buf_(1 << 20) {}

Extractor::~Extractor() {
  if (cached_fd_ >= 0) close(cached_fd_);
  for (int fd : lowers_) close(fd);
}

void Extractor::SetLowers(std::vector<int> fds) {
  for (int fd : lowers_) close(fd);
  lowers_ = std::move(fds);
}

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

std::string Extractor::ReadString(uint64_t n, const std::string& entry, const std::string& last) {
  if (n > kMaxMeta) {
    throw LayerError{"invalid layer entry '" + Printable(entry) + "' after '" + Printable(last) + "': metadata record of " +
                     std::to_string(n) + " bytes is too large"};
  }
  std::string s(n, '\0');
  if (n && !ReadExact(reinterpret_cast<uint8_t*>(&s[0]), n)) throw Truncated{};
  Skip(Padding(n));
  return s;
}

ExtractStats Extractor::Run(const ReadFn& read) {
  read_ = &read;
  std::string last = "(start of archive)";
  try {
    ExtractStats st = RunEntries(&last);
    st.last = last;
    return st;
  } catch (const Truncated&) {
    throw LayerError{"truncated archive in or after entry '" + Printable(last) + "'"};
  } catch (const SourceError& e) {
    // A corrupt or cut compressed stream surfaces wherever the parser happens to be reading.
    throw LayerError{e.message + " in or after entry '" + Printable(last) + "'"};
  }
}

ExtractStats Extractor::RunEntries(std::string* last_entry) {
  std::string& last = *last_entry;
  ExtractStats stats;
  uint8_t hdr[kBlock];
  std::string long_name, long_link;
  std::map<std::string, std::string> pax, global_pax;
  bool have_long_name = false, have_long_link = false;
  auto is_zero = [](const uint8_t* b) { return std::all_of(b, b + kBlock, [](uint8_t c) { return c == 0; }); };
  for (;;) {
    bool got = ReadExact(hdr, kBlock);
    if (!got) throw LayerError{"truncated archive after entry '" + Printable(last) + "': no end-of-archive marker"};
    if (is_zero(hdr)) {
      // The end: two zero blocks, or (as Go's archive/tar accepts) one just before the end
      // of the stream. A zero block followed by anything else is corrupt.
      if (ReadExact(hdr, kBlock) && !is_zero(hdr)) {
        throw LayerError{"corrupt tar stream after entry '" + Printable(last) + "': a header follows a zero block"};
      }
      break;
    }

    int64_t chk = 0;
    if (!ParseNumeric(hdr + 148, 8, &chk)) throw LayerError{"corrupt tar header after entry '" + Printable(last) + "'"};
    int64_t sum = 0;
    for (size_t i = 0; i < kBlock; i++) sum += (i >= 148 && i < 156) ? ' ' : hdr[i];
    if (sum != chk) throw LayerError{"corrupt tar header (checksum) after entry '" + Printable(last) + "'"};

    Header h;
    bool ustar = memcmp(hdr + 257, "ustar\0", 6) == 0;
    bool gnu = memcmp(hdr + 257, "ustar  \0", 8) == 0;
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
    if ((ustar || gnu) && (h.type == '3' || h.type == '4') &&
        (!ParseNumeric(hdr + 329, 8, &h.devmajor) || !ParseNumeric(hdr + 337, 8, &h.devminor))) {
      Invalid(name, "bad device number in header");
    }
    h.linkname = CString(hdr + 157, 100);

    // Metadata records that describe the next entry.
    if (h.type == 'L' || h.type == 'K' || h.type == 'x' || h.type == 'g') {
      std::string data = ReadString(static_cast<uint64_t>(h.size), name, last);
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
          uint64_t len = 0;
          if (sp == std::string::npos || !ParseDecimal(data.substr(p, sp - p), data.size() - p, &len) ||
              len <= sp - p + 1 || data[p + len - 1] != '\n') {
            Invalid(name, "malformed PAX record after '" + Printable(last) + "'");
          }
          std::string rec = data.substr(sp + 1, p + len - 1 - (sp + 1));
          size_t eq = rec.find('=');
          if (eq == std::string::npos || eq == 0) Invalid(name, "malformed PAX record after '" + Printable(last) + "'");
          std::string key = rec.substr(0, eq);
          if (h.type == 'x' && (key == "GNU.sparse.offset" || key == "GNU.sparse.numbytes")) {
            // GNU sparse 0.0 repeats these, one pair per fragment: kept in order, as Go's
            // archive/tar joins them into a map.
            std::string& m = into["GNU.sparse.map"];
            m += (m.empty() ? "" : ",") + rec.substr(eq + 1);
          } else {
            into[key] = rec.substr(eq + 1);
          }
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
    // Names first, so every later message names the entry as the archive does.
    if (rec.count("path")) name = rec["path"];
    if (rec.count("linkpath")) h.linkname = rec["linkpath"];
    if (h.type != 'S' && (rec.count("GNU.sparse.major") || rec.count("GNU.sparse.minor") || rec.count("GNU.sparse.map"))) {
      ParsePaxSparse(rec, &name, &h);
    }
    h.name = name;
    last = name;
    // A PAX value may hold a NUL that every syscall would stop at: "..\0x" would pass the
    // path checks and then mean "..".
    if (HasNul(name)) Invalid(name, "NUL in name");
    if (HasNul(h.linkname)) Invalid(name, "NUL in link name");
    for (auto& kv : rec) {
      const std::string& k = kv.first;
      const std::string& v = kv.second;
      if (k == "size") {
        uint64_t s;
        if (!ParseDecimal(v, kMaxSize, &s)) Invalid(name, "PAX size '" + Printable(v) + "' out of range");
        h.size = static_cast<int64_t>(s);
      } else if (k == "uid" || k == "gid") {
        uint64_t id;
        if (!ParseDecimal(v, kMaxId, &id)) Invalid(name, "PAX " + k + " '" + Printable(v) + "' out of range");
        (k == "uid" ? h.uid : h.gid) = static_cast<int64_t>(id);
      } else if (k == "mtime") {
        if (!ParseTimeSpec(v, &h.mtime, &h.mtime_nsec)) Invalid(name, "bad PAX mtime '" + Printable(v) + "'");
      } else if (k.compare(0, 13, "SCHILY.xattr.") == 0) {
        std::string xname = k.substr(13);
        if (xname.empty() || HasNul(xname)) Invalid(name, "bad xattr name '" + Printable(xname) + "'");
        // overlayfs's own attributes would re-layer the tree (opaque dirs, redirects):
        // only the whiteout entries may set them.
        if (xname.compare(0, 16, "trusted.overlay.") == 0 || xname.compare(0, 13, "user.overlay.") == 0) continue;
        h.xattrs.emplace_back(xname, v);
      }
    }
    if (h.uid < 0 || static_cast<uint64_t>(h.uid) > kMaxId || h.gid < 0 || static_cast<uint64_t>(h.gid) > kMaxId) {
      Invalid(name, "owner out of range");
    }
    if (h.type == 'S') ReadOldSparse(hdr, &h);
    // A V7 regular file whose name ends in '/' is a directory (as Go reads it).
    if (h.type == '\0' && !name.empty() && name.back() == '/') h.type = '5';
    if (HeaderOnly(h.type)) h.size = 0;
    if (static_cast<uint64_t>(h.size) > kMaxSize) Invalid(name, "size out of range");
    if (!CleanPath(name, &h.rel)) Invalid(name, "path escapes the layer");

    bool consumed = ApplyEntry(h);
    if (!consumed) Skip(static_cast<uint64_t>(h.size) + Padding(static_cast<uint64_t>(h.size)));
    stats.entries++;
  }
  // Directory times last: writing into a directory changes its mtime. A directory described
  // more than once takes its last description, as any other entry; directories this layer
  // only wrote into keep the times they had (as umoci does). In the archive's order, each
  // parent through ParentDir's cache, so a chain of directories is walked once, not once
  // from the top for each.
  // Keyed by handle, or by path for a directory without one (a filesystem has handles for
  // all of its directories or for none).
  std::unordered_map<std::string_view, size_t> latest;
  auto key = [](const DirTime& t) { return std::string_view(t.handle.empty() ? t.rel : t.handle); };
  for (size_t i = 0; i < dir_times_.size(); i++) latest[key(dir_times_[i])] = i;
  Fd mount;  // open_by_handle_at's: an fd on the layer's filesystem that is no O_PATH one
  auto set_times = [&](const DirTime& t) {
    struct timespec ts[2] = {{t.sec, t.nsec}, {t.sec, t.nsec}};
    if (!t.handle.empty()) {
      if (mount.fd < 0) {
        mount.fd = openat(root_fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (mount.fd < 0) Fail(errno, "open", "/");
      }
      // The very directory recorded (the handle names the inode and its generation, never a
      // path): gone since (ESTALE), it was removed later in the same layer.
      auto* fh = reinterpret_cast<struct file_handle*>(const_cast<char*>(t.handle.data()));
      int fd = open_by_handle_at(mount.fd, fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) {
        if (errno == ESTALE || errno == ENOENT) return;
        Fail(errno, "open_by_handle_at", "/");
      }
      Fd dir(fd);
      if (utimensat(dir.fd, "", ts, AT_EMPTY_PATH) != 0) Fail(errno, "utimensat", "/");
      return;
    }
    if (t.rel.empty()) {
      if (utimensat(root_fd_, "", ts, AT_EMPTY_PATH) != 0) Fail(errno, "utimensat", "/");
      return;
    }
    std::string base;
    int parent = ParentDir(t.rel, &base, false);
    if (parent < 0) return;  // removed later in the same layer
    if (utimensat(parent, base.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0 && errno != ENOENT) {
      Fail(errno, "utimensat", t.rel);
    }
  };
  for (size_t i = 0; i < dir_times_.size(); i++) {
    if (latest[key(dir_times_[i])] == i) set_times(dir_times_[i]);
  }
  for (auto& t : touched_times_) {
    if (!latest.count(key(t))) set_times(t);
  }
  return stats;
}

// Resolves a directory inside the root: symlinks are followed as if the root were "/"
// (RESOLVE_IN_ROOT), so neither "..", absolute links nor magic links can leave it. A path
// longer than one openat2 takes (PATH_MAX) is resolved so for its first kChunk bytes and a
// chunk at a time below that, where no symlink is followed: one there would have to be
// resolved against the root from a path the kernel cannot take, so it is refused rather
// than guessed at. Nothing here recurses or holds more than two descriptors, whatever the
// depth (an image may nest directories 100,000 deep).
int Extractor::ResolveDir(const std::string& rel, bool create) {
  if (rel.empty()) {
    int fd = fcntl(root_fd_, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) Fail(errno, "fcntl", "/");
    return fd;
  }
  size_t end = ChunkEnd(rel, 0);
  Fd cur(ResolveInRoot(end == rel.size() ? rel : rel.substr(0, end), create));
  if (cur.fd < 0) return -1;
  for (size_t p = end; p < rel.size();) {
    p++;  // the '/'
    size_t e = ChunkEnd(rel, p);
    long fd = Openat2(cur.fd, rel.substr(p, e - p).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, kBeneath);
    if (fd < 0 && errno == ENOENT && create) fd = CreateChain(cur.fd, rel, p, e, false);
    if (fd < 0) {
      if (errno == ENOENT) return -1;
      if (errno == ELOOP) DeepSymlink(rel);
      Fail(errno, "openat2", rel);
    }
    close(cur.fd);
    cur.fd = static_cast<int>(fd);
    p = e;
  }
  return cur.release();
}

[[noreturn]] void Extractor::DeepSymlink(const std::string& rel) {
  throw LayerError{"invalid layer entry under '" + Printable(rel.substr(0, 200)) + "...': a symlink more than " +
                   std::to_string(kChunk) + " bytes deep is not followed"};
}

// rel (at most kChunk bytes) resolved inside the root; what is missing is created when asked.
int Extractor::ResolveInRoot(const std::string& rel, bool create) {
  const uint64_t how = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  long fd = Openat2(root_fd_, rel.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, how);
  if (fd >= 0) return static_cast<int>(fd);
  if (errno != ENOENT || !create) {
    if (errno == ENOENT) return -1;
    Fail(errno, "openat2", rel);
  }
  // The deepest ancestor that exists, then the rest created one component at a time.
  size_t start = 0;
  Fd parent;
  for (size_t p = rel.size(); parent.fd < 0;) {
    size_t slash = p == 0 ? std::string::npos : rel.rfind('/', p - 1);
    if (slash == std::string::npos) {
      parent.fd = fcntl(root_fd_, F_DUPFD_CLOEXEC, 0);
      if (parent.fd < 0) Fail(errno, "fcntl", "/");
      break;
    }
    long a = Openat2(root_fd_, rel.substr(0, slash).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, how);
    if (a >= 0) {
      parent.fd = static_cast<int>(a);
      start = slash + 1;
    } else if (errno != ENOENT) {
      Fail(errno, "openat2", rel.substr(0, slash));
    }
    p = slash;
  }
  return CreateChain(parent.fd, rel, start, rel.size(), true);
}

// Makes rel[p, e) below from (which is rel[0, p - 1)), one component at a time, and returns
// it open. in_root: the part resolved inside the root, where a name that exists and is a
// symlink is one whose target is missing, and where the lower layers' copies are looked up.
int Extractor::CreateChain(int from, const std::string& rel, size_t p, size_t e, bool in_root) {
  Fd cur(fcntl(from, F_DUPFD_CLOEXEC, 0));
  if (cur.fd < 0) Fail(errno, "fcntl", rel);
  bool made = false;
  // No O_NOFOLLOW: with O_PATH it would open a symlink itself; RESOLVE_NO_SYMLINKS makes one
  // ELOOP, which says what it is.
  while (p < e) {
    size_t s = rel.find('/', p);
    if (s == std::string::npos || s > e) s = e;
    std::string name = rel.substr(p, s - p);
    bool fresh = false;
    // Until one is made, each name may exist; after that none can.
    long fd = made ? -1 : Openat2(cur.fd, name.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, kBeneath);
    if (fd < 0 && (made || errno == ENOENT)) {
      // Delete mode keeps the times of a directory it writes into; the first one made here
      // is the only one whose parent was not made here too.
      if (!made && mode_ == Whiteouts::Delete) Touch(cur.fd, p == 0 ? std::string() : rel.substr(0, p - 1));
      if (mkdirat(cur.fd, name.c_str(), 0755) == 0) {
        fresh = made = true;
      } else if (errno != EEXIST) {
        Fail(errno, "mkdirat", rel.substr(0, s));
      }
      fd = Openat2(cur.fd, name.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, kBeneath);
    }
    if (fd < 0) {
      if (errno == ELOOP) {
        if (!in_root) DeepSymlink(rel);
        // Resolved inside the root it was missing: a symlink whose target does not exist.
        throw LayerError{"invalid layer entry under '" + Printable(rel) + "': parent is a dangling symlink"};
      }
      Fail(errno, "openat2", rel.substr(0, s));
    }
    close(cur.fd);
    cur.fd = static_cast<int>(fd);
    if (fresh) {
      if (mode_ == Whiteouts::Delete) {
        // Known by inode, not by path: a chain of 100,000 new directories would otherwise
        // keep 100,000 ever longer paths.
        struct stat st;
        if (fstat(cur.fd, &st) != 0) Fail(errno, "fstat", rel.substr(0, s));
        fresh_.insert({st.st_dev, st.st_ino});
      } else if (in_root) {
        InheritFromLower(cur.fd, rel.substr(0, s));
      }
    }
    p = s + 1;
  }
  return cur.release();
}

bool Extractor::IsFresh(const struct stat& st) const { return fresh_.count({st.st_dev, st.st_ino}) != 0; }

// Overlay form: a directory this layer needs but does not describe is what a mount shows
// (overlayfs takes the upper-most copy's attributes). Given the lower layers, it takes the
// copy they show, mode, owner and times, so the merged tree equals umoci's single tree;
// without them (or where they have none) it stays 0755 root, now, as docker's and
// containerd's extractors leave it.
void Extractor::InheritFromLower(int fd, const std::string& rel) {
  for (int lower : lowers_) {
    // Within the lower as it is on disk, no symlink followed: overlayfs never follows a
    // lower's symlink to find a directory either.
    const uint64_t how = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    long l = Openat2(lower, rel.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC, how);
    if (l < 0) {
      if (errno != ENOENT) return;  // a file, whiteout or symlink on the way hides what is below
      // An opaque ancestor in this lower hides the layers below it.
      for (size_t slash = rel.rfind('/'); slash != std::string::npos && slash > 0; slash = rel.rfind('/', slash - 1)) {
        long a = Openat2(lower, rel.substr(0, slash).c_str(), O_PATH | O_CLOEXEC, how);
        if (a < 0) continue;
        Fd anc(static_cast<int>(a));
        char v = 0;
        if (getxattr(ProcFd(anc.fd).c_str(), "trusted.overlay.opaque", &v, 1) == 1 && v == 'y') return;
      }
      continue;
    }
    Fd lf(static_cast<int>(l));
    struct stat st;
    if (fstat(lf.fd, &st) != 0 || !S_ISDIR(st.st_mode)) return;
    if (is_root_ && fchownat(fd, "", st.st_uid, st.st_gid, AT_EMPTY_PATH) != 0) Fail(errno, "fchownat", rel);
    if (chmod(ProcFd(fd).c_str(), st.st_mode & 07777) != 0) Fail(errno, "fchmod", rel);
    dir_times_.push_back(Times(fd, rel, st.st_mtim.tv_sec, st.st_mtim.tv_nsec));
    return;
  }
}

Extractor::DirTime Extractor::Times(int fd, const std::string& rel, int64_t sec, int64_t nsec) {
  union {
    struct file_handle fh;
    char bytes[sizeof(struct file_handle) + MAX_HANDLE_SZ];
  } h;
  h.fh.handle_bytes = MAX_HANDLE_SZ;
  int mount_id;
  // open_by_handle_at takes CAP_DAC_READ_SEARCH, which euid 0 does not imply: the first
  // handle is opened again here to know, and without it the layer keeps paths, as before.
  if (is_root_ && handles_ != 0 && name_to_handle_at(fd, "", &h.fh, &mount_id, AT_EMPTY_PATH) == 0) {
    if (handles_ < 0) {
      Fd mount(openat(root_fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (mount.fd < 0) Fail(errno, "open", "/");
      Fd again(open_by_handle_at(mount.fd, &h.fh, O_PATH | O_CLOEXEC));
      handles_ = again.fd >= 0 ? 1 : 0;
    }
    if (handles_ == 1) return DirTime{std::string(), std::string(h.bytes, sizeof(struct file_handle) + h.fh.handle_bytes), sec, nsec};
  }
  return DirTime{rel, std::string(), sec, nsec};
}

int Extractor::OpenParent(const std::string& rel, std::string* base, bool create) {
  size_t slash = rel.rfind('/');
  *base = slash == std::string::npos ? rel : rel.substr(slash + 1);
  return ResolveDir(slash == std::string::npos ? "" : rel.substr(0, slash), create);
}

// OpenParent for the entry being applied, from a one-directory cache: archives list a
// directory's entries together, and resolving the same path for each costs a walk. Only a
// removal can change where a path leads (this layer never renames), so RemoveAt drops it.
// A directory below the cached one is opened from it: archives list a directory before
// what it holds, so down a chain of directories each entry's parent is the entry before,
// one name below the cached one, and the chain costs a lookup a level, not a walk from the
// top for each (quadratic in its depth). That step follows no symlink (kBeneath, as below
// the first chunk of any path): a symlink or a missing directory on the way is left to
// ResolveDir, which resolves it inside the root or creates what is missing, as before.
int Extractor::ParentDir(const std::string& rel, std::string* base, bool create) {
  size_t slash = rel.rfind('/');
  *base = slash == std::string::npos ? rel : rel.substr(slash + 1);
  std::string dir = slash == std::string::npos ? "" : rel.substr(0, slash);
  int fd = -1;
  if (cache_valid_) {
    if (dir == cached_dir_) return cached_fd_;
    size_t below = cached_dir_.empty() ? 0 : cached_dir_.size() + 1;
    if (dir.size() > below && dir.compare(0, cached_dir_.size(), cached_dir_) == 0 && (below == 0 || dir[below - 1] == '/')) {
      fd = OpenBeneath(cached_fd_, dir.substr(below), O_PATH | O_DIRECTORY);
    }
  }
  if (fd < 0) fd = ResolveDir(dir, create);
  if (fd < 0) return -1;
  if (cached_fd_ >= 0) close(cached_fd_);
  cached_fd_ = fd;
  cached_dir_ = std::move(dir);
  cache_valid_ = true;
  return fd;
}

void Extractor::Touch(int dirfd, const std::string& rel) {
  if (mode_ != Whiteouts::Delete || created_.count(rel) || touched_.count(rel)) return;
  struct stat st;
  if (fstat(dirfd, &st) != 0) Fail(errno, "fstat", rel);
  if (IsFresh(st)) {
    created_.insert(rel);  // made by this layer: its times are this layer's
    return;
  }
  touched_.insert(rel);
  touched_times_.push_back(Times(dirfd, rel, st.st_mtim.tv_sec, st.st_mtim.tv_nsec));
}

void Extractor::RemoveTree(int at, const std::string& name, const std::string& rel) {
  try {
    RemoveDirTree(at, name, rel);
  } catch (const TreeFailure& f) {
    Fail(f.err, f.syscall, f.path);
  }
}

void Extractor::RemoveAt(int dirfd, const std::string& name, const std::string& rel) {
  cache_valid_ = false;  // the fd stays open: the caller may still be using it
  struct stat st;
  if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return;
    Fail(errno, "fstatat", rel);
  }
  if (S_ISDIR(st.st_mode)) RemoveTree(dirfd, name, rel);
  else if (unlinkat(dirfd, name.c_str(), 0) != 0) Fail(errno, "unlinkat", rel);
}

// Delete mode's opaque directory: everything the lower layers put there goes; what this
// layer already added stays. A worklist, not recursion: the directories this layer
// described can nest as deep as the archive is long.
void Extractor::RemoveLowerChildren(int at, const std::string& rel) {
  std::vector<std::string> work{std::string()};  // below at
  while (!work.empty()) {
    std::string sub = std::move(work.back());
    work.pop_back();
    Fd dfd(sub.empty() ? openat(at, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : OpenBeneath(at, sub, O_RDONLY | O_DIRECTORY));
    if (dfd.fd < 0) {
      if (sub.empty()) Fail(errno, "openat", rel);
      continue;  // replaced by something else meanwhile: nothing of the lowers below it
    }
    std::string here = sub.empty() ? rel : rel.empty() ? sub : rel + "/" + sub;
    int dupfd = fcntl(dfd.fd, F_DUPFD_CLOEXEC, 0);
    DIR* d = dupfd < 0 ? nullptr : fdopendir(dupfd);
    if (d == nullptr) {
      if (dupfd >= 0) close(dupfd);
      Fail(errno, "fdopendir", here);
    }
    std::vector<std::pair<std::string, bool>> kids;
    while (struct dirent* e = readdir(d)) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      kids.emplace_back(e->d_name, e->d_type == DT_DIR);
    }
    closedir(d);
    for (auto& k : kids) {
      std::string child = here.empty() ? k.first : here + "/" + k.first;
      if (created_.count(child)) {
        if (k.second) work.push_back(sub.empty() ? k.first : sub + "/" + k.first);
        continue;
      }
      struct stat st;
      // A directory this layer made for an entry it did not describe holds only this layer's.
      if (k.second && fstatat(dfd.fd, k.first.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && IsFresh(st)) continue;
      RemoveAt(dfd.fd, k.first, child);
    }
  }
}

void Extractor::Whiteout(int parent, const std::string& dir_rel, const std::string& name, const std::string& entry) {
  std::string rel = dir_rel.empty() ? name : dir_rel + "/" + name;
  RemoveAt(parent, name, rel);
  if (mode_ == Whiteouts::Delete) return;
  // overlayfs's whiteout: a 0/0 character device with the hidden name.
  if (mknodat(parent, name.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) Fail(errno, "mknodat", entry);
}

// Metadata through a descriptor of the entry itself, never through its name: a name that
// became a symlink after it was created cannot steer a chown, chmod or xattr to the link's
// target. fd is either open for I/O or an O_PATH descriptor (the /proc/self/fd forms then).
void Extractor::SetMeta(int fd, bool opath, const Header& h, bool is_symlink) {
  if (is_root_ || h.uid == geteuid()) {
    if (fchownat(fd, "", static_cast<uid_t>(h.uid), static_cast<gid_t>(h.gid), AT_EMPTY_PATH) != 0) {
      Fail(errno, "fchownat", h.name);
    }
  }
  // chmod after chown: chown clears setuid/setgid.
  if (!is_symlink) {
    mode_t mode = static_cast<mode_t>(h.mode & 07777);
    int r = opath ? chmod(ProcFd(fd).c_str(), mode) : fchmod(fd, mode);
    if (r != 0) Fail(errno, "fchmod", h.name);
  }
  for (auto& x : h.xattrs) {
    // After the chown, which drops security.capability.
    int r = opath ? setxattr(ProcFd(fd).c_str(), x.first.c_str(), x.second.data(), x.second.size(), 0)
                  : fsetxattr(fd, x.first.c_str(), x.second.data(), x.second.size(), 0);
    if (r != 0) {
      // Unprivileged or on a filesystem without that namespace: skip, as containerd does.
      if (errno == ENOTSUP || (errno == EPERM && !is_root_)) continue;
      Fail(errno, "setxattr", h.name);
    }
  }
}

// The entry just created at parent/base, as an O_PATH descriptor of exactly that type.
int Extractor::OpenCreated(int parent, const std::string& base, mode_t kind, const Header& h) {
  int fd = openat(parent, base.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) Fail(errno, "openat", h.name);
  struct stat st;
  if (fstat(fd, &st) != 0 || (st.st_mode & S_IFMT) != kind) {
    close(fd);
    Fail(ESTALE, "fstat", h.name);  // replaced under us
  }
  return fd;
}

void Extractor::WriteFile(int parent, const std::string& base, const Header& h) {
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  Fd fd(openat(parent, base.c_str(), flags, 0600));
  if (fd.fd < 0 && errno == EEXIST) {
    RemoveAt(parent, base, h.rel);
    fd.fd = openat(parent, base.c_str(), flags, 0600);
  }
  if (fd.fd < 0) Fail(errno, "openat", h.name);
  if (h.sparse) {
    WriteSparse(fd.fd, h);
  } else {
    WriteData(fd.fd, 0, static_cast<uint64_t>(h.size), h);
  }
  Skip(Padding(static_cast<uint64_t>(h.size)));
  SetMeta(fd.fd, false, h, false);
  struct timespec ts[2] = {{h.mtime, h.mtime_nsec}, {h.mtime, h.mtime_nsec}};
  if (futimens(fd.fd, ts) != 0) Fail(errno, "futimens", h.name);
}

// n bytes of the archive's data to fd at offset off.
void Extractor::WriteData(int fd, uint64_t off, uint64_t n, const Header& h) {
  while (n > 0) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(n, buf_.size()));
    size_t got = 0;
    while (got < chunk) {
      size_t r = (*read_)(buf_.data() + got, chunk - got);
      if (r == 0) throw Truncated{};
      got += r;
    }
    size_t done = 0;
    while (done < chunk) {
      ssize_t w = pwrite(fd, buf_.data() + done, chunk - done, static_cast<off_t>(off + done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) Fail(errno, "write", h.name);
      done += static_cast<size_t>(w);
    }
    off += chunk;
    n -= chunk;
  }
}

// A sparse file's fragments written where they belong; what lies between stays a hole.
void Extractor::WriteSparse(int fd, const Header& h) {
  uint64_t physical = static_cast<uint64_t>(h.size);
  uint64_t used = 0;
  std::vector<std::pair<uint64_t, uint64_t>> frags = h.frags;
  if (h.map_in_data) {
    // PAX 1.0: decimal numbers, one a line (the count, then offset and length pairs), in
    // as many blocks as they need, before the data.
    std::string text;
    size_t pos = 0;
    auto number = [&]() {
      for (;;) {
        size_t nl = text.find('\n', pos);
        if (nl != std::string::npos) {
          uint64_t v;
          if (!ParseDecimal(text.substr(pos, nl - pos), kMaxSize, &v)) Invalid(h.name, "bad GNU sparse map");
          pos = nl + 1;
          return v;
        }
        if (used + kBlock > physical) Invalid(h.name, "bad GNU sparse map");
        if (used + kBlock > kMaxMeta) SparseTooLarge(h.name);
        text.append(kBlock, '\0');
        if (!ReadExact(reinterpret_cast<uint8_t*>(&text[text.size() - kBlock]), kBlock)) throw Truncated{};
        used += kBlock;
      }
    };
    uint64_t count = number();
    if (count > physical) Invalid(h.name, "bad GNU sparse map");
    if (count > kMaxMeta / 4) SparseTooLarge(h.name);  // each entry takes at least "0\n0\n"
    for (uint64_t i = 0; i < count; i++) {
      uint64_t off = number();
      uint64_t len = number();
      frags.emplace_back(off, len);
    }
  }
  // As Go's archive/tar validates them: in order, not overlapping, inside the file; and the
  // data must be exactly the fragments.
  uint64_t end = 0, total = 0;
  for (auto& f : frags) {
    if (f.first < end || f.second > kMaxSize || f.first + f.second > h.realsize) Invalid(h.name, "bad GNU sparse map");
    end = f.first + f.second;
    total += f.second;
  }
  if (total != physical - used) Invalid(h.name, "GNU sparse map does not match the data");
  for (auto& f : frags) WriteData(fd, f.first, f.second, h);
  if (ftruncate(fd, static_cast<off_t>(h.realsize)) != 0) Fail(errno, "ftruncate", h.name);
}

// GNU.sparse.* PAX records (formats 0.0, 0.1 and 1.0), read as Go's archive/tar reads them;
// name becomes the file's real name.
void Extractor::ParsePaxSparse(std::map<std::string, std::string>& rec, std::string* name, Header* h) {
  auto get = [&](const char* k) { auto it = rec.find(k); return it == rec.end() ? std::string() : it->second; };
  std::string major = get("GNU.sparse.major"), minor = get("GNU.sparse.minor");
  bool v1 = major == "1" && minor == "0";
  if (!v1 && !(major == "0" && (minor == "0" || minor == "1")) && !(major.empty() && minor.empty())) {
    Invalid(*name, "GNU sparse format " + Printable(major) + "." + Printable(minor) + " is not supported");
  }
  if (!get("GNU.sparse.name").empty()) *name = get("GNU.sparse.name");
  std::string size = get("GNU.sparse.size");
  if (size.empty()) size = get("GNU.sparse.realsize");
  uint64_t realsize;
  if (!ParseDecimal(size, kMaxSize, &realsize)) Invalid(*name, "bad GNU sparse size '" + Printable(size) + "'");
  h->sparse = true;
  h->realsize = realsize;
  if (v1) {
    h->map_in_data = true;
    return;
  }
  std::string map = get("GNU.sparse.map");
  std::vector<uint64_t> nums;
  for (size_t p = 0; !map.empty() && p <= map.size();) {
    size_t c = map.find(',', p);
    if (c == std::string::npos) c = map.size();
    uint64_t v;
    if (!ParseDecimal(map.substr(p, c - p), kMaxSize, &v)) Invalid(*name, "bad GNU sparse map");
    nums.push_back(v);
    p = c + 1;
  }
  if (nums.size() % 2) Invalid(*name, "bad GNU sparse map");
  for (size_t i = 0; i < nums.size(); i += 2) h->frags.emplace_back(nums[i], nums[i + 1]);
}

// The old GNU format (type 'S'): four map entries in the header, more in extension blocks
// that follow it (not counted in its size), and the real size at 483.
void Extractor::ReadOldSparse(const uint8_t* hdr, Header* h) {
  auto entries = [&](const uint8_t* p, int n) {
    for (int i = 0; i < n; i++, p += 24) {
      if (p[0] == 0) break;  // GNU and BSD tar stop at the first empty offset
      int64_t off, len;
      if (!ParseNumeric(p, 12, &off) || !ParseNumeric(p + 12, 12, &len)) Invalid(h->name, "bad GNU sparse map");
      h->frags.emplace_back(static_cast<uint64_t>(off), static_cast<uint64_t>(len));
    }
  };
  entries(hdr + 386, 4);
  int64_t realsize;
  if (!ParseNumeric(hdr + 483, 12, &realsize) || static_cast<uint64_t>(realsize) > kMaxSize) Invalid(h->name, "bad GNU sparse size");
  bool more = hdr[482] != 0;
  uint8_t ext[kBlock];
  for (uint64_t read = 0; more; read += kBlock) {
    if (read + kBlock > kMaxMeta) SparseTooLarge(h->name);
    if (!ReadExact(ext, kBlock)) throw Truncated{};
    entries(ext, 21);
    more = ext[504] != 0;
  }
  h->sparse = true;
  h->realsize = static_cast<uint64_t>(realsize);
  h->type = '0';
}

// Applies one entry; true when it consumed the entry's data (regular files), else the
// caller skips it.
bool Extractor::ApplyEntry(Header& h) {
  char t = h.type == '\0' || h.type == '7' ? '0' : h.type;

  if (h.rel.empty()) {
    // The layer root itself ("./"): only a directory may describe it.
    if (t != '5') Invalid(h.name, "the root of a layer must be a directory");
    SetMeta(root_fd_, true, h, false);
    dir_times_.push_back(Times(root_fd_, "", h.mtime, h.mtime_nsec));
    return false;
  }

  std::string base;
  size_t slash = h.rel.rfind('/');
  bool is_whiteout = h.rel.compare(slash == std::string::npos ? 0 : slash + 1, kWhPrefix.size(), kWhPrefix) == 0;
  int pdir;
  try {
    // A deleting whiteout never creates its parent: nothing below a missing directory to hide.
    pdir = ParentDir(h.rel, &base, !(is_whiteout && mode_ == Whiteouts::Delete));
  } catch (const SysFailure& f) {
    // umoci writes "a" (now a file) then "a/.wh.x" for what the directory held: the file
    // already hides it.
    if (!(is_whiteout && f.err == ENOTDIR)) throw;
    return false;
  } catch (const LayerError&) {
    if (!is_whiteout) throw;
    return false;  // under a dangling symlink: nothing there to hide
  }
  if (pdir < 0) return false;
  std::string dir_rel = slash == std::string::npos ? "" : h.rel.substr(0, slash);
  Touch(pdir, dir_rel);

  if (is_whiteout) {
    if (base == kOpaque) {
      if (mode_ == Whiteouts::Overlay) {
        Fd dir(openat(pdir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (dir.fd < 0) Fail(errno, "openat", h.name);
        if (fsetxattr(dir.fd, "trusted.overlay.opaque", "y", 1, 0) != 0) Fail(errno, "fsetxattr", h.name);
      } else {
        RemoveLowerChildren(pdir, dir_rel);
      }
    } else if (base.compare(0, kMetaPrefix.size(), kMetaPrefix) == 0) {
      // Other AUFS metadata (.wh..wh.plnk and friends): not part of the tree.
    } else {
      std::string hidden = base.substr(kWhPrefix.size());
      if (hidden.empty() || hidden == "." || hidden == "..") Invalid(h.name, "whiteout of '" + hidden + "'");
      Whiteout(pdir, dir_rel, hidden, h.name);
    }
    return false;
  }

  if (mode_ == Whiteouts::Delete) created_.insert(h.rel);
  // Each kind is created first and only a name already taken is looked at: most entries are
  // new, and a failed create costs less than a stat of every name.
  const char* b = base.c_str();
  mode_t kind;
  switch (t) {
    case '0':
      WriteFile(pdir, base, h);
      return true;
    case '5': {
      if (mkdirat(pdir, b, 0700) != 0) {
        if (errno != EEXIST) Fail(errno, "mkdirat", h.name);
        struct stat st;
        if (fstatat(pdir, b, &st, AT_SYMLINK_NOFOLLOW) != 0) Fail(errno, "fstatat", h.name);
        if (!S_ISDIR(st.st_mode)) {
          RemoveAt(pdir, base, h.rel);
          if (mkdirat(pdir, b, 0700) != 0) Fail(errno, "mkdirat", h.name);
        }
      }
      Fd dir(OpenCreated(pdir, base, S_IFDIR, h));
      SetMeta(dir.fd, true, h, false);
      dir_times_.push_back(Times(dir.fd, h.rel, h.mtime, h.mtime_nsec));
      return false;  // times later
    }
    case '2':
      if (symlinkat(h.linkname.c_str(), pdir, b) != 0) {
        if (errno != EEXIST) Fail(errno, "symlinkat", h.name);
        RemoveAt(pdir, base, h.rel);
        if (symlinkat(h.linkname.c_str(), pdir, b) != 0) Fail(errno, "symlinkat", h.name);
      }
      kind = S_IFLNK;
      break;
    case '1': {
      std::string target;
      if (!CleanPath(h.linkname, &target) || target.empty()) Invalid(h.name, "hardlink target '" + Printable(h.linkname) + "' escapes the layer");
      auto link = [&]() {
        std::string tbase;
        int tp = OpenParent(target, &tbase, false);
        if (tp < 0) Invalid(h.name, "hardlink target '" + Printable(h.linkname) + "' does not exist");
        Fd tparent(tp);
        // No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink itself, never its target.
        if (linkat(tparent.fd, tbase.c_str(), pdir, b, 0) == 0) return true;
        if (errno == ENOENT) Invalid(h.name, "hardlink target '" + Printable(h.linkname) + "' does not exist");
        if (errno != EEXIST) Fail(errno, "linkat", h.name);
        return false;
      };
      if (!link()) {
        RemoveAt(pdir, base, h.rel);
        if (!link()) Fail(EEXIST, "linkat", h.name);
      }
      return false;  // a hardlink shares its target's metadata
    }
    case '3':
    case '4':
    case '6': {
      kind = t == '3' ? S_IFCHR : t == '4' ? S_IFBLK : S_IFIFO;
      if (kind != S_IFIFO && !is_root_) {
        // Devices need root; skipped unprivileged, as rootless engines do. What the name
        // held below is still replaced.
        RemoveAt(pdir, base, h.rel);
        return false;
      }
      dev_t dev = kind == S_IFIFO ? 0 : makedev(static_cast<unsigned>(h.devmajor), static_cast<unsigned>(h.devminor));
      if (mknodat(pdir, b, kind | 0600, dev) != 0) {
        if (errno != EEXIST) Fail(errno, "mknodat", h.name);
        RemoveAt(pdir, base, h.rel);
        if (mknodat(pdir, b, kind | 0600, dev) != 0) Fail(errno, "mknodat", h.name);
      }
      break;
    }
    default:
      // Unknown types (volume 'V', vendor extensions): their data is skipped, as Go's reader
      // hands them on and umoci ignores them.
      return false;
  }
  Fd fd(OpenCreated(pdir, base, kind, h));
  SetMeta(fd.fd, true, h, kind == S_IFLNK);
  struct timespec ts[2] = {{h.mtime, h.mtime_nsec}, {h.mtime, h.mtime_nsec}};
  if (utimensat(fd.fd, "", ts, AT_EMPTY_PATH) != 0) Fail(errno, "utimensat", h.name);
  return false;
}

}  // namespace layer
}  // namespace gocker
