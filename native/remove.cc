// removeTree(path) -> Promise<void>, in a worker thread: rm -rf of a container's directories
// (upper, work, runtime files). fs.rmSync's recursive walk is JavaScript with a stat and a
// try per entry; a container's removal spent more time there than the container ran. Every
// step is relative to an open directory and never follows a symlink, and a directory on
// another filesystem is refused rather than emptied: a mount left under a container's
// directory must not take the host's files with it.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "errors.h"
#include "fsutil.h"
#include "module.h"
#include "tree.h"

namespace gocker {
namespace {

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
        if (errno != ENOTDIR && errno != ELOOP) throw TreeFailure{errno, "open", path_};
        // A file or a symlink: removed itself.
        if (unlink(path_.c_str()) != 0 && errno != ENOENT) throw TreeFailure{errno, "unlink", path_};
        return;
      }
      // Iterative, with a bounded number of descriptors: a container can nest directories
      // deeper than the stack, RLIMIT_NOFILE or PATH_MAX allow a recursive walk.
      RemoveDirTree(AT_FDCWD, path_, path_);
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

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("removeTree", Napi::Function::New(env, RemoveTree, "removeTree"));
}

GOCKER_MODULE(Init);

}  // namespace
}  // namespace gocker
