// removeTree(path) -> Promise<void>, in a worker thread: rm -rf of a container's directories
// (upper, work, runtime files). fs.rmSync's recursive walk is JavaScript with a stat and a
// try per entry; a container's removal spent more time there than the container ran. Every
// step is relative to an open directory and never follows a symlink, and a directory on
// another filesystem is refused rather than emptied: a mount left under a container's
// directory must not take the host's files with it.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <unordered_set>
#include <vector>

#include "errors.h"
#include "fsutil.h"
#include "module.h"
#include "tree.h"

namespace gocker {
namespace {

// rm -rf of path: a file or symlink is unlinked itself, a directory emptied and removed.
// Throws TreeFailure.
void RemovePath(const std::string& path) {
  Fd top(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (top.fd < 0) {
    if (errno == ENOENT) return;  // as rm -f: nothing there is nothing to do
    if (errno != ENOTDIR && errno != ELOOP) throw TreeFailure{errno, "open", path};
    // A file or a symlink: removed itself.
    if (unlink(path.c_str()) != 0 && errno != ENOENT) throw TreeFailure{errno, "unlink", path};
    return;
  }
  // Iterative, with a bounded number of descriptors: a container can nest directories
  // deeper than the stack, RLIMIT_NOFILE or PATH_MAX allow a recursive walk.
  RemoveDirTree(AT_FDCWD, path, path);
}

class RemoveWorker : public Napi::AsyncWorker {
 public:
  RemoveWorker(Napi::Env env, std::string path)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), path_(std::move(path)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      RemovePath(path_);
    } catch (const TreeFailure& f) {
      failure_ = f;
    }
  }

  void OnOK() override {
    if (failure_.err) deferred_.Reject(SysError(Env(), failure_.err, failure_.syscall, failure_.path).Value());
    else deferred_.Resolve(Env().Undefined());
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string path_;
  TreeFailure failure_{0, "", ""};
};

Napi::Value RemoveTree(const Napi::CallbackInfo& info) {
  auto* w = new RemoveWorker(info.Env(), info[0].As<Napi::String>());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// The same, on the calling thread: for the store's garbage collection and its tmp/ sweep,
// synchronous under the gc lock, where fs.rmSync's recursive JavaScript walk overflowed the
// stack on a layer as deep as a container can nest its directories.
Napi::Value RemoveTreeSync(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>();
  try {
    RemovePath(path);
  } catch (const TreeFailure& f) {
    ThrowSys(info.Env(), f.err, f.syscall, f.path);
  }
  return info.Env().Undefined();
}

// The bytes under path, for ps -s, system df and prune's reclaimed space, counted as docker
// counts them (moby's directory.Size, which is overlay2's DiffSize and a volume's size): the
// lstat size of everything but directories, so a symlink's is its target's length, and a
// file with several hard links once. A writable layer or a volume is the container's to
// shape, as deep as it likes, so the walk is RemoveDirTree's (iterative, relative to open
// directories, never building a full path, at most kOpenLevels descriptors) but only reads.
// Nothing on another filesystem is counted and no symlink followed. What cannot be opened or
// read (gone meanwhile, a directory the container made unreadable to root by a mount over
// it) counts as nothing, as a walk racing the container's changes can only ever give an
// estimate.
double TreeUsage(const std::string& path) {
  using tree_detail::Level;
  std::vector<Level> stack;
  tree_detail::LevelsCloser closer{stack};
  double total = 0;
  dev_t dev = 0;
  // Inodes with more than one link already counted: one filesystem, so the inode alone
  // names the file.
  std::unordered_set<ino_t> linked;

  // Opens `child` of the directory open as `at`, counts its files and pushes it with its
  // subdirectories; false when it is no directory of this filesystem (now).
  auto enter = [&](int at, const char* child) -> bool {
    int fd = openat(at, child, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st;
    if (fstat(fd, &st) != 0 || (!stack.empty() && st.st_dev != dev)) {
      close(fd);
      return false;
    }
    if (stack.empty()) dev = st.st_dev;
    stack.push_back(Level{child, st.st_dev, st.st_ino, fd, {}});
    if (stack.size() > tree_detail::kOpenLevels) {
      Level& far = stack[stack.size() - 1 - tree_detail::kOpenLevels];
      close(far.fd);
      far.fd = -1;
    }
    int dupfd = dup(fd);
    DIR* d = dupfd < 0 ? nullptr : fdopendir(dupfd);
    if (d == nullptr) {
      if (dupfd >= 0) close(dupfd);
      return true;  // entered, nothing of it read
    }
    std::vector<std::string>& subdirs = stack.back().subdirs;
    while (struct dirent* e = readdir(d)) {
      const char* n = e->d_name;
      if (tree_detail::IsDots(n)) continue;
      if (e->d_type == DT_DIR) {
        subdirs.emplace_back(n);
        continue;
      }
      struct stat cst;
      if (fstatat(fd, n, &cst, AT_SYMLINK_NOFOLLOW) != 0 || cst.st_dev != dev) continue;
      if (S_ISDIR(cst.st_mode)) {
        subdirs.emplace_back(n);
        continue;
      }
      if (cst.st_size <= 0) continue;  // a device, fifo, socket, whiteout or empty file
      if (cst.st_nlink > 1 && !linked.insert(cst.st_ino).second) continue;
      total += static_cast<double>(cst.st_size);
    }
    closedir(d);
    return true;
  };

  if (!enter(AT_FDCWD, path.c_str())) return 0;
  while (!stack.empty()) {
    Level& top = stack.back();
    if (!top.subdirs.empty()) {
      std::string child = std::move(top.subdirs.back());
      top.subdirs.pop_back();
      enter(top.fd, child.c_str());
      continue;
    }
    if (stack.size() > 1) {
      Level& up = stack[stack.size() - 2];
      // Moved away meanwhile (ESTALE): what is left above is no longer the tree asked about.
      if (up.fd < 0 && (up.fd = ReopenParent(top.fd, up.dev, up.ino)) < 0) break;
    }
    close(top.fd);
    stack.pop_back();
  }
  return total;
}

Napi::Value TreeUsageSync(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), TreeUsage(info[0].As<Napi::String>()));
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("removeTree", Napi::Function::New(env, RemoveTree, "removeTree"));
  exports.Set("removeTreeSync", Napi::Function::New(env, RemoveTreeSync, "removeTreeSync"));
  exports.Set("treeUsageSync", Napi::Function::New(env, TreeUsageSync, "treeUsageSync"));
}

GOCKER_MODULE(Init);

}  // namespace
}  // namespace gocker
