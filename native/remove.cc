// removeTree(path) -> Promise<void>, in a worker thread: rm -rf of a container's directories
// (upper, work, runtime files). fs.rmSync's recursive walk is JavaScript with a stat and a
// try per entry; a container's removal spent more time there than the container ran. Every
// step is relative to an open directory and never follows a symlink, and a directory on
// another filesystem is refused rather than emptied: a mount left under a container's
// directory must not take the host's files with it.
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <unordered_set>

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
// shape, as deep as it likes, so the walk is RemoveDirTree's (TreeWalk: iterative, relative
// to open directories, never building a full path, at most kOpenLevels descriptors) but only
// reads.
// Nothing on another filesystem is counted and no symlink followed. What cannot be opened or
// read (gone meanwhile, a directory the container made unreadable to root by a mount over
// it) counts as nothing, as a walk racing the container's changes can only ever give an
// estimate.
// The walk ends, incomplete, at the first entry whose full path (path, then the names) is
// PATH_MAX bytes or longer: docker's walk (filepath.Walk, lstat of full paths) fails there
// with ENAMETOOLONG, and dockerd then shows no size at all (SizeRw -1). Walking on would only
// give a size docker never shows, at a cost of the container's choosing: a chain of a million
// directories is some 8 million system calls, minutes of a ps -s, a system df or a prune.
struct Usage {
  double bytes;
  bool complete;  // false: stopped at a path PATH_MAX long, bytes are those counted before
};

Usage TreeUsage(const std::string& path) {
  struct Counter {
    TreeWalk& walk;
    double total = 0;
    // Inodes with more than one link already counted: one filesystem, so the inode alone
    // names the file.
    std::unordered_set<ino_t> linked;
    void Fail(int, const char*, const std::string*) {}
    bool File(int fd, const char* n, const struct stat* known) {
      struct stat st;
      if (known) st = *known;
      else if (fstatat(fd, n, &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
      if (st.st_dev != walk.Dev()) return false;
      if (S_ISDIR(st.st_mode)) return true;
      if (st.st_size <= 0) return false;  // a device, fifo, socket, whiteout or empty file
      if (st.st_nlink > 1 && !linked.insert(st.st_ino).second) return false;
      total += static_cast<double>(st.st_size);
      return false;
    }
    void Left(int, const std::string&) {}
  };
  TreeWalk walk(PATH_MAX);
  Counter c{walk, 0, {}};
  walk.Run(AT_FDCWD, path, c);
  return Usage{c.total, !walk.Stopped()};
}

Napi::Value TreeUsageSync(const Napi::CallbackInfo& info) {
  Usage u = TreeUsage(info[0].As<Napi::String>());
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("bytes", Napi::Number::New(info.Env(), u.bytes));
  o.Set("complete", Napi::Boolean::New(info.Env(), u.complete));
  return o;
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("removeTree", Napi::Function::New(env, RemoveTree, "removeTree"));
  exports.Set("removeTreeSync", Napi::Function::New(env, RemoveTreeSync, "removeTreeSync"));
  exports.Set("treeUsageSync", Napi::Function::New(env, TreeUsageSync, "treeUsageSync"));
}

GOCKER_MODULE(Init);

}  // namespace
}  // namespace gocker
