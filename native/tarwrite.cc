// The tar writer of export, commit and cp out: tarOpen(dir, names) -> handle,
// tarRead(handle, bytes) -> Promise<Buffer | null> (the next piece of the archive, made in a
// worker thread; null at its end), tarClose(handle). The caller pulls, so a slow reader
// holds the walk where it is: nothing is buffered beyond the piece asked for.
//
// PAX, as GNU tar's --format=pax --xattrs --numeric-owner wrote these archives before: long
// names and link targets, sizes of 8 GiB and more, sub-second mtimes and xattrs
// (SCHILY.xattr.*) in extended headers; numeric owners, uname and gname empty; hard links
// as links (by device and inode), symlinks, FIFOs and devices; sockets left out. GNU tar
// recursed a call a directory and overflowed its stack near 10,000 levels. This walk is
// native/tree.h's, as removeTree's and the tree copy's are (its kOpenLevels, ReopenParent):
// iterative, each directory opened relative to its parent's descriptor and never through a
// symlink (a container racing the archive cannot point it at the host), and only the
// deepest kOpenLevels directories held open, the others reopened through ".." (checked by
// device and inode) on the way back.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "errors.h"
#include "fsutil.h"
#include "module.h"
#include "tree.h"

namespace gocker {
namespace {

constexpr size_t kBlock = 512;

// "len key=value\n", len counting itself.
void PaxRecord(std::string& out, const std::string& key, const char* value, size_t vlen) {
  size_t len = key.size() + vlen + 3;
  size_t digits = std::to_string(len).size();
  size_t total = len + digits;
  if (std::to_string(total).size() > digits) total++;
  out += std::to_string(total);
  out += ' ';
  out += key;
  out += '=';
  out.append(value, vlen);
  out += '\n';
}

void PaxRecord(std::string& out, const std::string& key, const std::string& value) { PaxRecord(out, key, value.data(), value.size()); }

// width-1 octal digits and a NUL; false when v does not fit (the field is then 0).
bool Octal(char* field, size_t width, uint64_t v) {
  const size_t digits = width - 1;
  if (digits < 22 && v >> (3 * digits)) {
    memset(field, '0', digits);
    field[digits] = 0;
    return false;
  }
  field[digits] = 0;
  for (size_t i = digits; i-- > 0; v >>= 3) field[i] = static_cast<char>('0' + (v & 7));
  return true;
}

// A PAX time: seconds, and the nanoseconds with their trailing zeros dropped.
std::string PaxTime(const struct timespec& t) {
  int64_t sec = t.tv_sec;
  long ns = t.tv_nsec;
  std::string s;
  if (sec < 0 && ns > 0) {  // -1.25 is sec -2, ns 750000000
    s = "-" + std::to_string(-(sec + 1));
    ns = 1000000000 - ns;
  } else {
    s = std::to_string(sec);
  }
  if (ns == 0) return s;
  char frac[16];
  snprintf(frac, sizeof frac, ".%09ld", ns);
  std::string f = frac;
  while (f.back() == '0') f.pop_back();
  return s + f;
}

// One ustar header block.
struct Header {
  char b[kBlock];
  Header() { memset(b, 0, sizeof b); }
  char* name() { return b; }
  char* mode() { return b + 100; }
  char* uid() { return b + 108; }
  char* gid() { return b + 116; }
  char* size() { return b + 124; }
  char* mtime() { return b + 136; }
  char* chksum() { return b + 148; }
  char& type() { return b[156]; }
  char* linkname() { return b + 157; }
  char* magic() { return b + 257; }
  char* devmajor() { return b + 329; }
  char* devminor() { return b + 337; }
  void Finish() {
    memcpy(magic(), "ustar\0" "00", 8);
    memset(chksum(), ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : b) sum += c;
    snprintf(chksum(), 8, "%06o", sum & 0777777);  // six digits, NUL, and the space kept
    chksum()[7] = ' ';
  }
};

// A directory of the walk. The top one is the directory the names are given in: not an
// entry of the archive, and never given up.
struct Level {
  int fd = -1;
  dev_t dev = 0;
  ino_t ino = 0;
  size_t path_len = 0;  // of path_ up to and including this directory's name and its '/'
  size_t node = SIZE_MAX;  // its entry in TarWalk::dirs_, once a hard link's first name is under it
  std::vector<std::string> names;  // still to write, the next one last
};

struct TarOptions {
  // An overlay upper dir as an OCI layer (commit): a whiteout (a 0/0 character device) is
  // written as an empty file .wh.NAME, an opaque directory (trusted.overlay.opaque=y) gets
  // an empty .wh..wh..opq in it.
  bool oci_whiteouts = false;
  // Archive paths (no trailing '/') left out when they are an empty file or directory: the
  // mount points the runtime made in the upper dir, no change of the container's.
  std::set<std::string> skip_empty;
};

class TarWalk {
 public:
  // names: the entries of dir to archive; all of them, as its own listing gives their bytes,
  // when all is set.
  TarWalk(std::string dir, std::vector<std::string> names, bool all, TarOptions o)
      : dir_(std::move(dir)), top_names_(std::move(names)), all_(all), o_(std::move(o)) {}
  ~TarWalk() { Close(); }

  void Close() {
    for (Level& l : stack_) {
      if (l.fd >= 0) close(l.fd);
    }
    stack_.clear();
    if (file_ >= 0) close(file_);
    file_ = -1;
  }

  // Appends the archive's next bytes to out, at least `want` of them unless it ends first.
  // False once the whole archive (its two zero blocks included) has been given.
  bool Fill(std::string& out, size_t want) {
    if (!started_) Start();
    while (out.size() < want) {
      if (file_ >= 0) {
        FileData(out, want);
        continue;
      }
      if (stack_.empty()) {
        if (done_) return false;
        out.append(2 * kBlock, '\0');
        done_ = true;
        return true;
      }
      Level& top = stack_.back();
      if (top.names.empty()) {
        Leave();
        continue;
      }
      std::string name = std::move(top.names.back());
      top.names.pop_back();
      Entry(name, out);
    }
    return true;
  }

 private:
  [[noreturn]] void Fail(int err, const char* syscall, const std::string& leaf) const {
    throw TreeFailure{err, syscall, dir_ + "/" + path_ + leaf};
  }

  void Start() {
    started_ = true;
    Level top;
    top.fd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (top.fd < 0) throw TreeFailure{errno, "open", dir_};
    stack_.push_back(std::move(top));
    if (all_) ReadNames(stack_.back().fd, "", stack_.back().names);
    else stack_.back().names.assign(top_names_.rbegin(), top_names_.rend());
  }

  // Back up one level: the directory above gets its descriptor back if it gave it up.
  void Leave() {
    Level gone = std::move(stack_.back());
    stack_.pop_back();
    if (!stack_.empty()) {
      Level& up = stack_.back();
      if (up.fd < 0) {
        up.fd = ReopenParent(gone.fd, up.dev, up.ino);
        if (up.fd < 0) {
          int err = errno;
          close(gone.fd);
          Fail(err, "openat", "..");
        }
      }
      path_.resize(up.path_len);
    }
    close(gone.fd);
  }

  void FileData(std::string& out, size_t want) {
    if (remaining_ > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, std::max<size_t>(want - out.size(), 64 << 10)));
      size_t at = out.size();
      out.resize(at + n);
      ssize_t r;
      do {
        r = read(file_, &out[at], n);
      } while (r < 0 && errno == EINTR);
      if (r < 0) {
        int err = errno;
        out.resize(at);
        Fail(err, "read", file_name_);
      }
      if (r == 0) {
        // Shorter than when its header was written (a running container truncated it): the
        // archive holds the size the header gives, so zeros, as GNU tar pads.
        memset(&out[at], 0, n);
        r = static_cast<ssize_t>(n);
      }
      out.resize(at + static_cast<size_t>(r));
      remaining_ -= static_cast<uint64_t>(r);
      if (remaining_ > 0) return;
    }
    out.append((kBlock - size_ % kBlock) % kBlock, '\0');
    close(file_);
    file_ = -1;
  }

  // The xattrs of the entry open as fd (overlayfs's bookkeeping left out: a commit's layer is
  // made of the upper dir's own files), as PAX records.
  void Xattrs(int fd, bool opath, std::string& pax) {
    ForEachXattr(fd, opath, [&](const char* name, const char* value, size_t len) {
      PaxRecord(pax, std::string("SCHILY.xattr.") + name, value, len);
    });
  }

  // A header (and its PAX extended header when the ustar fields cannot hold it all).
  void WriteHeader(const std::string& path, const std::string& link, const struct stat& st, char type, uint64_t size,
                   std::string& pax, std::string& out) {
    Header h;
    if (path.size() <= 100) memcpy(h.name(), path.data(), path.size());
    else {
      PaxRecord(pax, "path", path);
      memcpy(h.name(), path.data(), 100);
    }
    if (link.size() <= 100) memcpy(h.linkname(), link.data(), link.size());
    else {
      PaxRecord(pax, "linkpath", link);
      memcpy(h.linkname(), link.data(), 100);
    }
    Octal(h.mode(), 8, st.st_mode & 07777);
    if (!Octal(h.uid(), 8, st.st_uid)) PaxRecord(pax, "uid", std::to_string(st.st_uid));
    if (!Octal(h.gid(), 8, st.st_gid)) PaxRecord(pax, "gid", std::to_string(st.st_gid));
    if (!Octal(h.size(), 12, size)) PaxRecord(pax, "size", std::to_string(size));
    bool whole = st.st_mtim.tv_nsec == 0 && st.st_mtim.tv_sec >= 0;
    if (!Octal(h.mtime(), 12, st.st_mtim.tv_sec >= 0 ? static_cast<uint64_t>(st.st_mtim.tv_sec) : 0) || !whole) {
      PaxRecord(pax, "mtime", PaxTime(st.st_mtim));
    }
    h.type() = type;
    if (type == '3' || type == '4') {
      Octal(h.devmajor(), 8, major(st.st_rdev));
      Octal(h.devminor(), 8, minor(st.st_rdev));
    } else {
      Octal(h.devmajor(), 8, 0);
      Octal(h.devminor(), 8, 0);
    }
    h.Finish();
    if (!pax.empty()) {
      Header x;
      size_t slash = path.find_last_of('/', path.size() - 2);
      std::string base = path.substr(slash == std::string::npos ? 0 : slash + 1, 100 - 13);
      if (!base.empty() && base.back() == '/') base.pop_back();
      std::string xname = "./PaxHeaders/" + base;
      memcpy(x.name(), xname.data(), xname.size());
      Octal(x.mode(), 8, 0644);
      Octal(x.uid(), 8, 0);
      Octal(x.gid(), 8, 0);
      Octal(x.size(), 12, pax.size());
      Octal(x.mtime(), 12, st.st_mtim.tv_sec >= 0 ? static_cast<uint64_t>(st.st_mtim.tv_sec) : 0);
      x.type() = 'x';
      x.Finish();
      out.append(x.b, kBlock);
      out += pax;
      out.append((kBlock - pax.size() % kBlock) % kBlock, '\0');
    }
    out.append(h.b, kBlock);
  }

  // An OCI whiteout: an empty file, root's, 0644 (as the commit's stage wrote them).
  void EmptyFile(const std::string& path, const struct timespec& mtime, std::string& out) {
    struct stat st;
    memset(&st, 0, sizeof st);
    st.st_mode = S_IFREG | 0644;
    st.st_mtim = mtime;
    std::string pax;
    WriteHeader(path, std::string(), st, '0', 0, pax, out);
  }

  // The names in the directory open as fd, in byte order (an archive of the same tree is
  // the same archive), the first one last.
  void ReadNames(int fd, const std::string& name, std::vector<std::string>& names) {
    int dupfd = dup(fd);
    if (dupfd < 0) Fail(errno, "dup", name);
    DIR* d = fdopendir(dupfd);
    if (d == nullptr) {
      int err = errno;
      close(dupfd);
      Fail(err, "fdopendir", name);
    }
    errno = 0;
    while (struct dirent* e = readdir(d)) {
      if (!tree_detail::IsDots(e->d_name)) names.emplace_back(e->d_name);
      errno = 0;
    }
    int rerr = errno;
    closedir(d);
    if (rerr) Fail(rerr, "readdir", name);
    std::sort(names.begin(), names.end(), std::greater<std::string>());
  }

  void Entry(const std::string& name, std::string& out) {
    Level& parent = stack_.back();
    struct stat st;
    if (fstatat(parent.fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return;  // removed since its directory was read
      Fail(errno, "fstatat", name);
    }
    const mode_t kind = st.st_mode & S_IFMT;
    if (kind == S_IFSOCK) return;  // as GNU tar: "socket ignored"
    // The entry as a descriptor of exactly what was stat'ed: a running container may swap
    // the name for a symlink (O_NOFOLLOW refuses it) or a FIFO (O_NONBLOCK: the open cannot
    // hang, and the type check tells) between the stat and the open. Swapped: as if gone.
    int flags = kind == S_IFREG ? O_RDONLY | O_NONBLOCK : kind == S_IFDIR ? O_RDONLY | O_DIRECTORY : O_PATH;
    Fd fd(openat(parent.fd, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
    if (fd.fd < 0) {
      if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR || errno == ENXIO) return;
      Fail(errno, "open", name);
    }
    if (fstat(fd.fd, &st) != 0) Fail(errno, "fstat", name);
    if ((st.st_mode & S_IFMT) != kind) return;

    if (o_.oci_whiteouts && kind == S_IFCHR && st.st_rdev == 0) {
      EmptyFile(path_ + ".wh." + name, st.st_mtim, out);
      return;
    }
    if (!o_.skip_empty.empty() && kind == S_IFREG && st.st_size == 0 && o_.skip_empty.count(path_ + name)) return;
    // A directory's names first: an empty one may be left out, and each is written once
    // its header is.
    std::vector<std::string> names;
    if (kind == S_IFDIR) {
      ReadNames(fd.fd, name, names);
      if (names.empty() && !o_.skip_empty.empty() && o_.skip_empty.count(path_ + name)) return;
    }

    std::string path = path_ + name;
    if (kind == S_IFDIR) path += '/';
    std::string pax;
    std::string link;
    char type;
    uint64_t size = 0;
    bool linked = false;
    if (kind != S_IFDIR && st.st_nlink > 1) {
      auto it = links_.find({st.st_dev, st.st_ino});
      if (it != links_.end()) {
        link = LinkPath(it->second);
        linked = true;
      } else {
        links_.emplace(std::make_pair(st.st_dev, st.st_ino), FirstName{DirNode(), name});
      }
    }
    if (linked) {
      type = '1';
    } else {
      switch (kind) {
        case S_IFREG: type = '0'; size = static_cast<uint64_t>(st.st_size); break;
        case S_IFDIR: type = '5'; break;
        case S_IFLNK: {
          type = '2';
          std::vector<char> target(static_cast<size_t>(st.st_size > 0 ? st.st_size : 255) + 1);
          ssize_t n = readlinkat(fd.fd, "", target.data(), target.size());
          if (n < 0) Fail(errno, "readlinkat", name);
          link.assign(target.data(), static_cast<size_t>(n));
          break;
        }
        case S_IFCHR: type = '3'; break;
        case S_IFBLK: type = '4'; break;
        default: type = '6'; break;  // FIFO
      }
    }

    if (!linked) Xattrs(fd.fd, kind != S_IFREG && kind != S_IFDIR, pax);
    WriteHeader(path, link, st, type, size, pax, out);

    if (type == '0' && size > 0) {
      file_ = fd.release();
      remaining_ = size_ = size;
      file_name_ = name;
      return;
    }
    if (kind != S_IFDIR) return;
    if (o_.oci_whiteouts) {
      char v = 0;
      if (fgetxattr(fd.fd, "trusted.overlay.opaque", &v, 1) == 1 && v == 'y') EmptyFile(path + ".wh..wh..opq", st.st_mtim, out);
    }
    // A directory: its names written one at a time by Fill.
    Level l;
    l.dev = st.st_dev;
    l.ino = st.st_ino;
    l.names = std::move(names);
    path_ = path;
    l.path_len = path_.size();
    l.fd = fd.release();
    stack_.push_back(std::move(l));
    // The top (the directory the names are in) is never given up: ".." of an entry "." is
    // not it.
    if (stack_.size() > tree_detail::kOpenLevels + 1) {
      Level& far = stack_[stack_.size() - 1 - tree_detail::kOpenLevels];
      close(far.fd);
      far.fd = -1;
    }
  }

  std::string dir_;
  std::vector<std::string> top_names_;
  bool all_;
  TarOptions o_;
  bool started_ = false, done_ = false;
  std::vector<Level> stack_;
  std::string path_;  // the deepest directory's name in the archive, with its '/'
  // The first name of each multiply linked inode: its directory in dirs_ and its own name.
  // Not its path: a container can give thousands of inodes two names each at the bottom of a
  // chain 1 MB of names deep, and as many copies of that path exhausted memory, where the
  // directories, each named once, take what the tree's listing does.
  struct FirstName {
    size_t dir;
    std::string name;
  };
  std::map<std::pair<dev_t, ino_t>, FirstName> links_;
  struct PathDir {
    size_t parent;     // SIZE_MAX for the top
    std::string name;  // with its '/'; empty for the top
  };
  std::vector<PathDir> dirs_;

  // The deepest directory's entry in dirs_, made (with those of the directories above it
  // that have none yet) on the way down from the last level that has one.
  size_t DirNode() {
    size_t i = stack_.size();
    while (i > 0 && stack_[i - 1].node == SIZE_MAX) i--;
    for (; i < stack_.size(); i++) {
      size_t from = i == 0 ? 0 : stack_[i - 1].path_len;
      dirs_.push_back(PathDir{i == 0 ? SIZE_MAX : stack_[i - 1].node, path_.substr(from, stack_[i].path_len - from)});
      stack_[i].node = dirs_.size() - 1;
    }
    return stack_.back().node;
  }

  std::string LinkPath(const FirstName& f) const {
    std::vector<const std::string*> parts;
    size_t len = f.name.size();
    for (size_t d = f.dir; d != SIZE_MAX; d = dirs_[d].parent) {
      parts.push_back(&dirs_[d].name);
      len += dirs_[d].name.size();
    }
    std::string p;
    p.reserve(len);
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) p += **it;
    return p + f.name;
  }
  int file_ = -1;  // the regular file whose data is being written
  uint64_t remaining_ = 0, size_ = 0;
  std::string file_name_;
};

// A walk and the state of the JavaScript side's use of it: reads are one at a time, and a
// close during one is done when it ends.
struct TarHandle {
  std::unique_ptr<TarWalk> walk;
  bool busy = false, closed = false;
};

class ReadWorker : public Napi::AsyncWorker {
 public:
  ReadWorker(Napi::Env env, TarHandle* h, Napi::Object keep, size_t want)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), h_(h), walk_(h->walk.get()), want_(want) {
    keep_ = Napi::Persistent(keep);
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    // The piece's room at once (Fill goes past want by a file read's minimum and a few
    // headers): grown by appends, the buffer was copied and faulted in again at each doubling.
    buf_.reserve(want_ + (64 << 10) + 8 * kBlock);
    try {
      more_ = walk_->Fill(buf_, want_) || !buf_.empty();
    } catch (const TreeFailure& f) {
      failure_ = f;
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    h_->busy = false;
    if (h_->closed) h_->walk.reset();
    if (failure_.err) {
      deferred_.Reject(SysError(env, failure_.err, failure_.syscall, failure_.path).Value());
      return;
    }
    if (!more_) {
      deferred_.Resolve(env.Null());
      return;
    }
    auto* data = new std::string(std::move(buf_));
    deferred_.Resolve(Napi::Buffer<char>::New(env, &(*data)[0], data->size(), [](Napi::Env, char*, std::string* s) { delete s; }, data));
  }

  void OnError(const Napi::Error& e) override {
    h_->busy = false;
    if (h_->closed) h_->walk.reset();
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keep_;  // the handle's object: the walk lives while this reads it
  TarHandle* h_;
  TarWalk* walk_;
  size_t want_;
  std::string buf_;
  bool more_ = false;
  TreeFailure failure_{0, "", ""};
};

TarHandle* HandleOf(const Napi::CallbackInfo& info) {
  return info[0].As<Napi::Object>().Get("h").As<Napi::External<TarHandle>>().Data();
}

Napi::Value TarOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir = info[0].As<Napi::String>();
  // null: every entry of dir, listed here. A name that is no UTF-8 (a container's file may
  // have any bytes but '/' and NUL) would not come through a JavaScript string intact.
  const bool all = info[1].IsNull();
  std::vector<std::string> names;
  Napi::Array a = all ? Napi::Array::New(env) : info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    std::string n = a.Get(i).As<Napi::String>();
    // Names in dir, not paths: every step of the walk is one openat of one name.
    if (n.empty() || n == ".." || n.find('/') != std::string::npos) ThrowSys(env, EINVAL, "tar", n);
    names.push_back(std::move(n));
  }
  TarOptions o;
  if (info.Length() > 2 && info[2].IsObject()) {
    Napi::Object x = info[2].As<Napi::Object>();
    o.oci_whiteouts = x.Get("ociWhiteouts").ToBoolean();
    if (x.Get("skipEmpty").IsArray()) {
      Napi::Array sk = x.Get("skipEmpty").As<Napi::Array>();
      for (uint32_t i = 0; i < sk.Length(); i++) o.skip_empty.insert(sk.Get(i).As<Napi::String>());
    }
  }
  auto* h = new TarHandle{std::make_unique<TarWalk>(std::move(dir), std::move(names), all, std::move(o))};
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("h", Napi::External<TarHandle>::New(env, h, [](Napi::Env, TarHandle* t) { delete t; }));
  return handle;
}

Napi::Value TarRead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TarHandle* h = HandleOf(info);
  if (h->busy || h->closed) ThrowSys(env, EBUSY, "tar");
  h->busy = true;
  auto* w = new ReadWorker(env, h, info[0].As<Napi::Object>(), static_cast<size_t>(info[1].As<Napi::Number>().Int64Value()));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value TarClose(const Napi::CallbackInfo& info) {
  TarHandle* h = HandleOf(info);
  h->closed = true;
  if (!h->busy) h->walk.reset();
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("tarOpen", Napi::Function::New(env, TarOpen, "tarOpen"));
  exports.Set("tarRead", Napi::Function::New(env, TarRead, "tarRead"));
  exports.Set("tarClose", Napi::Function::New(env, TarClose, "tarClose"));
}

GOCKER_MODULE(Init);

}  // namespace
}  // namespace gocker
