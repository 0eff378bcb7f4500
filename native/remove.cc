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

#include "errors.h"
#include "fsutil.h"
#include "module.h"

namespace gocker {
namespace {

struct Failure {
  int err;
  const char* syscall;
  std::string path;
};

// Empties the directory open as dirfd (shown as path); dev is the tree's filesystem.
void Empty(int dirfd, const std::string& path, dev_t dev) {
  int dupfd = dup(dirfd);
  if (dupfd < 0) throw Failure{errno, "dup", path};
  DIR* d = fdopendir(dupfd);
  if (d == nullptr) {
    int err = errno;
    close(dupfd);
    throw Failure{err, "fdopendir", path};
  }
  for (;;) {
    errno = 0;
    struct dirent* e = readdir(d);
    if (e == nullptr) {
      int err = errno;
      closedir(d);
      if (err != 0) throw Failure{err, "readdir", path};
      return;
    }
    const char* name = e->d_name;
    if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
    std::string child = path + "/" + name;
    bool dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;
        int err = errno;
        closedir(d);
        throw Failure{err, "fstatat", child};
      }
      dir = S_ISDIR(st.st_mode);
    }
    try {
      if (dir) {
        Fd sub(openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (sub.fd < 0) {
          if (errno == ENOENT) continue;
          throw Failure{errno, "openat", child};
        }
        struct stat st;
        if (fstat(sub.fd, &st) != 0) throw Failure{errno, "fstat", child};
        if (st.st_dev != dev) throw Failure{EXDEV, "rmdir", child};
        Empty(sub.fd, child, dev);
      }
      if (unlinkat(dirfd, name, dir ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT) throw Failure{errno, dir ? "rmdir" : "unlink", child};
    } catch (...) {
      closedir(d);
      throw;
    }
  }
}

class RemoveWorker : public Napi::AsyncWorker {
 public:
  RemoveWorker(Napi::Env env, std::string path)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), path_(std::move(path)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      Fd top(open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (top.fd < 0) {
        if (errno == ENOENT) return;  // as rm -f: nothing there is nothing to do
        if (errno != ENOTDIR && errno != ELOOP) throw Failure{errno, "open", path_};
        // A file or a symlink: removed itself.
        if (unlink(path_.c_str()) != 0 && errno != ENOENT) throw Failure{errno, "unlink", path_};
        return;
      }
      struct stat st;
      if (fstat(top.fd, &st) != 0) throw Failure{errno, "fstat", path_};
      Empty(top.fd, path_, st.st_dev);
      if (rmdir(path_.c_str()) != 0 && errno != ENOENT) throw Failure{errno, "rmdir", path_};
    } catch (const Failure& f) {
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
  Failure failure_{0, "", ""};
};

Napi::Value RemoveTree(const Napi::CallbackInfo& info) {
  auto* w = new RemoveWorker(info.Env(), info[0].As<Napi::String>());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("removeTree", Napi::Function::New(env, RemoveTree, "removeTree"));
}

GOCKER_MODULE(Init);

}  // namespace
}  // namespace gocker
