// rm -rf of a directory tree, iterative and with a bounded number of open descriptors: a
// container (or an image) can nest directories 100,000 deep, deeper than any call stack,
// than RLIMIT_NOFILE and than PATH_MAX. Shared by removeTree (native/remove.cc) and the
// layer extractor's replacements and whiteouts; its bounded descriptors (kOpenLevels,
// ReopenParent) by the tree copy (native/copy/copy.cc).
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
};

inline bool IsDots(const char* n) { return n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0)); }

// Closes what a walk's stack still holds open, however the walk ends (a throw included).
struct LevelsCloser {
  std::vector<Level>& s;
  ~LevelsCloser() {
    for (auto& l : s) {
      if (l.fd >= 0) close(l.fd);
    }
  }
};

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

// Removes the directory `name` in `parent` and everything below it. Never follows a symlink
// and never crosses into another filesystem (EXDEV: a mount left in a container's directory
// must not take the host's files with it). `shown` names the tree in errors; full paths are
// built only then. A tree that is already gone is not an error.
inline void RemoveDirTree(int parent, const std::string& name, const std::string& shown) {
  using tree_detail::Level;
  std::vector<Level> stack;
  tree_detail::LevelsCloser closer{stack};
  auto where = [&](const std::string* leaf) {
    std::string s = shown;
    for (size_t i = 1; i < stack.size(); i++) s += "/" + stack[i].name;
    if (leaf) s += "/" + *leaf;
    return s;
  };
  dev_t dev = 0;

  // Opens `child` of the deepest level, deletes its non-directories and pushes it with its
  // subdirectories; false when it vanished meanwhile.
  auto enter = [&](int at, const std::string& child) -> bool {
    int fd = openat(at, child.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return false;
      throw TreeFailure{errno, "openat", where(stack.empty() ? nullptr : &child)};
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
      int err = errno;
      close(fd);
      throw TreeFailure{err, "fstat", where(&child)};
    }
    if (stack.empty()) dev = st.st_dev;
    if (st.st_dev != dev) {
      close(fd);
      throw TreeFailure{EXDEV, "rmdir", where(&child)};
    }
    stack.push_back(Level{child, st.st_dev, st.st_ino, fd, {}});
    if (stack.size() > tree_detail::kOpenLevels) {
      Level& far = stack[stack.size() - 1 - tree_detail::kOpenLevels];
      close(far.fd);
      far.fd = -1;
    }
    int dupfd = dup(fd);
    if (dupfd < 0) throw TreeFailure{errno, "dup", where(nullptr)};
    DIR* d = fdopendir(dupfd);
    if (d == nullptr) {
      int err = errno;
      close(dupfd);
      throw TreeFailure{err, "fdopendir", where(nullptr)};
    }
    std::vector<std::string>& subdirs = stack.back().subdirs;
    for (;;) {
      errno = 0;
      struct dirent* e = readdir(d);
      if (e == nullptr) {
        int err = errno;
        closedir(d);
        if (err != 0) throw TreeFailure{err, "readdir", where(nullptr)};
        return true;
      }
      const char* n = e->d_name;
      if (tree_detail::IsDots(n)) continue;
      bool dir = e->d_type == DT_DIR;
      if (e->d_type == DT_UNKNOWN) {
        struct stat cst;
        if (fstatat(fd, n, &cst, AT_SYMLINK_NOFOLLOW) != 0) {
          if (errno == ENOENT) continue;
          int err = errno;
          closedir(d);
          std::string leaf = n;
          throw TreeFailure{err, "fstatat", where(&leaf)};
        }
        dir = S_ISDIR(cst.st_mode);
      }
      if (dir) {
        subdirs.emplace_back(n);
      } else if (unlinkat(fd, n, 0) != 0 && errno != ENOENT) {
        int err = errno;
        closedir(d);
        std::string leaf = n;
        throw TreeFailure{err, "unlink", where(&leaf)};
      }
    }
  };

  if (!enter(parent, name)) return;
  while (!stack.empty()) {
    Level& top = stack.back();
    if (!top.subdirs.empty()) {
      std::string child = std::move(top.subdirs.back());
      top.subdirs.pop_back();
      enter(top.fd, child);
      continue;
    }
    // Empty: climb back and remove it.
    if (stack.size() == 1) {
      close(top.fd);
      stack.pop_back();
      if (unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) throw TreeFailure{errno, "rmdir", shown};
      return;
    }
    Level& up = stack[stack.size() - 2];
    if (up.fd < 0) {
      up.fd = ReopenParent(top.fd, up.dev, up.ino);
      if (up.fd < 0) throw TreeFailure{errno, "openat", where(nullptr) + "/.."};
    }
    std::string gone = std::move(top.name);
    close(top.fd);
    stack.pop_back();
    if (unlinkat(stack.back().fd, gone.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
      throw TreeFailure{errno, "rmdir", where(&gone)};
    }
  }
}

}  // namespace gocker
