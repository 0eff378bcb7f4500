// The walk of a directory tree, iterative and with a bounded number of open descriptors: a
// container (or an image) can nest directories 100,000 deep, deeper than any call stack,
// than RLIMIT_NOFILE and than PATH_MAX. TreeWalk is rm -rf's (RemoveDirTree: removeTree in
// native/remove.cc, the layer extractor's replacements and whiteouts) and the size count's
// (TreeUsage, native/remove.cc); its bounded descriptors (kOpenLevels, ReopenParent) are the
// tree copy's (native/copy/copy.cc) and the tar writer's (native/tarwrite.cc), whose walks
// are their own: both hold two kinds of state a level (the copy a descriptor on each side,
// the archive its path and a pull-driven position between reads).
#pragma once
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace gocker {

struct TreeFailure {
  int err;
  const char* syscall;
  std::string path;  // shown + the names below it
};

namespace tree_detail {

// Directories below this depth give up their descriptor while the walk is deeper, and are
// reopened through ".." on the way back (checked to be the same directory): the walk holds
// at most this many descriptors (plus one for reading), however deep the tree.
constexpr size_t kOpenLevels = 32;

struct Level {
  std::string name;  // in the level above
  dev_t dev;
  ino_t ino;
  int fd;
  std::vector<std::string> subdirs;  // still to be emptied and removed
  size_t len;  // of its path: the top's as Run was given it, then "/" and each name
};

inline bool IsDots(const char* n) { return n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0)); }

}  // namespace tree_detail

// The directory above the one open as fd, opened through "..", which is its parent wherever
// it has been moved: accepted only if it is the very directory (dev, ino) a walk came down
// through. -1 with errno (ESTALE: another directory) otherwise. How a walk that gave up a
// level's descriptor (tree_detail::kOpenLevels) gets it back on the way up.
inline int ReopenParent(int fd, dev_t dev, ino_t ino) {
  int p = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (p < 0) return -1;
  struct stat st;
  if (fstat(p, &st) != 0 || st.st_dev != dev || st.st_ino != ino) {
    close(p);
    errno = ESTALE;
    return -1;
  }
  return p;
}

// The iterative walk of a directory tree that RemoveDirTree and TreeUsage (native/remove.cc)
// share: depth first, each directory opened relative to its parent's descriptor and never
// through a symlink, only the deepest kOpenLevels held open (the others given up and reopened
// through ReopenParent on the way back), no full path built. What it does with the entries is
// the visitor's, V, with these hooks:
//   Fail(err, syscall, leaf): something failed (leaf: the entry's name, or null for the
//     deepest directory itself); may throw, else the walk leaves out what failed. Nothing that
//     vanished meanwhile (ENOENT) is a failure.
//   File(fd, name, st): a non-directory entry of the directory open as fd; st its lstat when
//     the walk has one, else null. True when it is a directory after all (replaced meanwhile),
//     to be walked.
//   Left(fd, name): the directory `name` in the directory open as fd has been walked and its
//     descriptor closed (for the top: name and the parent Run was given).
// Never crosses into another filesystem: such a directory is EXDEV's Fail and left out.
// With a path_max, the walk ends at the first entry whose path (the top's as Run was given
// it, then "/" and each name) is path_max bytes or longer, and Stopped() says so: how far a
// walk by full paths gets (docker's size walk, filepath.Walk, fails with ENAMETOOLONG at
// PATH_MAX), without walking the rest of a tree the container may have made endless.
class TreeWalk {
 public:
  TreeWalk() = default;
  explicit TreeWalk(size_t path_max) : path_max_(path_max) {}
  TreeWalk(const TreeWalk&) = delete;
  TreeWalk& operator=(const TreeWalk&) = delete;
  // Whatever ends the walk (a throw included): what it still holds open is closed.
  ~TreeWalk() {
    for (auto& l : stack_) {
      if (l.fd >= 0) close(l.fd);
    }
  }

  template <class V>
  void Run(int parent, const std::string& name, V& v) {
    if (!Enter(parent, name, v) || stopped_) return;
    while (!stack_.empty()) {
      tree_detail::Level& top = stack_.back();
      if (!top.subdirs.empty()) {
        std::string child = std::move(top.subdirs.back());
        top.subdirs.pop_back();
        Enter(top.fd, child, v);  // may push: `top` is not used after it
        if (stopped_) return;  // what it still holds is closed by the destructor
        continue;
      }
      if (stack_.size() == 1) {
        close(top.fd);
        stack_.pop_back();
        v.Left(parent, name);
        return;
      }
      tree_detail::Level& up = stack_[stack_.size() - 2];
      if (up.fd < 0) {
        up.fd = ReopenParent(top.fd, up.dev, up.ino);
        if (up.fd < 0) {
          int err = errno;
          if (err != ESTALE) {
            static const std::string kUp = "..";
            v.Fail(err, "openat", &kUp);
            return;
          }
          // `top` was moved out of `up` meanwhile (a running container's rename): the walk
          // goes on in the levels still here, found again from the top down.
          Refind(v);
          continue;
        }
      }
      std::string gone = std::move(top.name);
      close(top.fd);
      stack_.pop_back();
      v.Left(stack_.back().fd, gone);
    }
  }

  // How deep the walk is: 0 once the top has been left, 1 in the top itself.
  size_t Depth() const { return stack_.size(); }
  // Whether the walk ended at a path path_max long (the constructor's), short of the rest.
  bool Stopped() const { return stopped_; }
  // The filesystem walked (the top's).
  dev_t Dev() const { return dev_; }
  // "/a/b/leaf": the names below the top down to the deepest directory, and leaf; for errors.
  std::string Below(const std::string* leaf) const {
    std::string s;
    for (size_t i = 1; i < stack_.size(); i++) s += "/" + stack_[i].name;
    if (leaf) s += "/" + *leaf;
    return s;
  }

 private:
  // The level kOpenLevels above the deepest gives up its descriptor; never the top, which
  // the walk goes back to when a level it gave up has been moved away (Refind).
  void GiveUpFar() {
    if (stack_.size() <= tree_detail::kOpenLevels + 1) return;
    tree_detail::Level& far = stack_[stack_.size() - 1 - tree_detail::kOpenLevels];
    if (far.fd >= 0) close(far.fd);
    far.fd = -1;
  }

  // The deepest level has been moved out of the one above it, which gave up its descriptor:
  // the levels above are opened again by name from the deepest one still open (the top at
  // worst), each checked to be the directory the walk came down through (device, inode).
  // The walk goes on at the last one found: only what moved is lost, the directories still
  // to walk in the levels above it are not. A level whose name now holds another directory
  // gives that name back to its parent, to be walked as new.
  template <class V>
  void Refind(V& v) {
    close(stack_.back().fd);
    stack_.back().fd = -1;
    size_t i = stack_.size() - 1;
    while (stack_[i - 1].fd < 0) i--;  // the top's is never given up
    for (; i + 1 < stack_.size(); i++) {
      tree_detail::Level& l = stack_[i];
      int fd = openat(stack_[i - 1].fd, l.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      struct stat st;
      if (fd >= 0 && (fstat(fd, &st) != 0 || st.st_dev != l.dev || st.st_ino != l.ino)) {
        close(fd);
        fd = -1;
        errno = ESTALE;
      }
      if (fd < 0) {
        int err = errno;
        std::string name = l.name;
        Truncate(i);
        if (err == ESTALE) stack_.back().subdirs.push_back(std::move(name));
        else if (err != ENOENT && err != ENOTDIR && err != ELOOP) v.Fail(err, "openat", &name);
        return;
      }
      l.fd = fd;
      // At most kOpenLevels of them open again, as on the way down.
      if (i > tree_detail::kOpenLevels && stack_[i - tree_detail::kOpenLevels].fd >= 0) {
        close(stack_[i - tree_detail::kOpenLevels].fd);
        stack_[i - tree_detail::kOpenLevels].fd = -1;
      }
    }
    Truncate(stack_.size() - 1);  // the moved one, walked through already
  }

  // Leaves the levels from n down, closing what they hold: they are no longer in the tree.
  void Truncate(size_t n) {
    for (size_t j = n; j < stack_.size(); j++) {
      if (stack_[j].fd >= 0) close(stack_[j].fd);
    }
    stack_.resize(n);
  }

  // Opens `child` of the directory open as `at`, gives its non-directories to File and pushes
  // it with its subdirectories; false when it was not entered.
  template <class V>
  bool Enter(int at, const std::string& child, V& v) {
    int fd = openat(at, child.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno != ENOENT) v.Fail(errno, "openat", stack_.empty() ? nullptr : &child);
      return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
      int err = errno;
      close(fd);
      v.Fail(err, "fstat", &child);
      return false;
    }
    if (stack_.empty()) dev_ = st.st_dev;
    if (st.st_dev != dev_) {
      close(fd);
      v.Fail(EXDEV, "rmdir", &child);
      return false;
    }
    size_t len = stack_.empty() ? child.size() : stack_.back().len + 1 + child.size();
    stack_.push_back(tree_detail::Level{child, st.st_dev, st.st_ino, fd, {}, len});
    GiveUpFar();
    // Read with getdents64 itself, not a DIR stream: fdopendir's dup, fstat and two fcntls
    // and closedir were five of the thirteen system calls a level of a deep chain cost, and
    // such a walk is all system calls. The names are read once: the offset this moves is
    // never used again.
    if (buf_.empty()) buf_.resize(32 << 10);
    for (;;) {
      ssize_t got = getdents64(fd, buf_.data(), buf_.size());
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        if (got < 0) v.Fail(errno, "readdir", nullptr);
        return true;
      }
      for (ssize_t off = 0; off < got;) {
        const auto* e = reinterpret_cast<const struct dirent64*>(buf_.data() + off);
        off += e->d_reclen;
        const char* n = e->d_name;
        if (tree_detail::IsDots(n)) continue;
        if (path_max_ && len + 1 + strlen(n) >= path_max_) {
          stopped_ = true;
          return true;
        }
        // Found in a listing this walk is still reading: `subdirs` of the level just pushed.
        std::vector<std::string>& subdirs = stack_.back().subdirs;
        if (e->d_type == DT_DIR) {
          subdirs.emplace_back(n);
          continue;
        }
        struct stat cst;
        const struct stat* known = nullptr;
        if (e->d_type == DT_UNKNOWN) {
          if (fstatat(fd, n, &cst, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno != ENOENT) {
              int err = errno;
              std::string leaf = n;
              v.Fail(err, "fstatat", &leaf);
            }
            continue;
          }
          if (S_ISDIR(cst.st_mode)) {
            subdirs.emplace_back(n);
            continue;
          }
          known = &cst;
        }
        if (v.File(fd, n, known)) subdirs.emplace_back(n);
      }
    }
  }

  std::vector<tree_detail::Level> stack_;
  dev_t dev_ = 0;
  size_t path_max_ = 0;  // none
  bool stopped_ = false;
  std::vector<char> buf_;  // getdents64's
};

// Removes the directory `name` in `parent` and everything below it. Never follows a symlink
// and never crosses into another filesystem (EXDEV: a mount left in a container's directory
// must not take the host's files with it). `shown` names the tree in errors; full paths are
// built only then. A tree that is already gone is not an error. A directory moved out of
// the tree while it is being emptied is left where it went, and the removal goes on above it,
// as docker's (Go's os.RemoveAll, which holds every level open) does; moved back into a
// directory already read, it makes that one's rmdir fail (ENOTEMPTY), as there.
inline void RemoveDirTree(int parent, const std::string& name, const std::string& shown) {
  struct Remover {
    TreeWalk& walk;
    const std::string& shown;
    void Fail(int err, const char* syscall, const std::string* leaf) {
      throw TreeFailure{err, syscall, shown + walk.Below(leaf)};
    }
    bool File(int fd, const char* n, const struct stat*) {
      if (unlinkat(fd, n, 0) != 0 && errno != ENOENT) {
        int err = errno;
        std::string leaf = n;
        Fail(err, "unlink", &leaf);
      }
      return false;
    }
    void Left(int fd, const std::string& n) {
      if (unlinkat(fd, n.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
        int err = errno;
        throw TreeFailure{err, "rmdir", walk.Depth() == 0 ? shown : shown + walk.Below(&n)};
      }
    }
  };
  TreeWalk walk;
  Remover r{walk, shown};
  walk.Run(parent, name, r);
}

}  // namespace gocker
