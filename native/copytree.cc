// The addon's tree copy: copyTree(srcRoot, src, dstRoot, dst, uid, gid, merge, opts) ->
// Promise<{entries, bytes, reflinked, skipped}>, in a worker thread. src and dst are resolved
// inside their roots ('/' for host paths, a container's rootfs for its side of gocker cp).
#include <fcntl.h>
#include <unistd.h>

#include "copy/copy.h"
#include "errors.h"
#include "module.h"

namespace gocker {
namespace {

class CopyWorker : public Napi::AsyncWorker {
 public:
  CopyWorker(Napi::Env env, std::string src_root, std::string src, std::string dst_root, std::string dst, copy::CopyOptions o)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), src_root_(std::move(src_root)),
        src_(std::move(src)), dst_root_(std::move(dst_root)), dst_(std::move(dst)), o_(o) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    int sr = open(src_root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (sr < 0) return Set(errno, "open", src_root_);
    int dr = open(dst_root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dr < 0) {
      close(sr);
      return Set(errno, "open", dst_root_);
    }
    try {
      copy::TreeCopier c(sr, dr, o_);
      stats_ = c.Copy(src_, dst_);
    } catch (const copy::SysFailure& f) {
      Set(f.err, f.syscall, f.path);
    }
    close(sr);
    close(dr);
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (err_) {
      deferred_.Reject(SysError(env, err_, syscall_, path_).Value());
      return;
    }
    Napi::Object r = Napi::Object::New(env);
    r.Set("entries", Napi::Number::New(env, static_cast<double>(stats_.entries)));
    r.Set("bytes", Napi::Number::New(env, static_cast<double>(stats_.bytes)));
    r.Set("reflinked", Napi::Number::New(env, static_cast<double>(stats_.reflinked)));
    Napi::Array skipped = Napi::Array::New(env, stats_.skipped.size());
    for (size_t i = 0; i < stats_.skipped.size(); i++) skipped.Set(static_cast<uint32_t>(i), Napi::String::New(env, stats_.skipped[i]));
    r.Set("skipped", skipped);
    deferred_.Resolve(r);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  void Set(int err, const char* syscall, const std::string& path) {
    err_ = err;
    syscall_ = syscall;
    path_ = path;
  }

  Napi::Promise::Deferred deferred_;
  std::string src_root_, src_, dst_root_, dst_;
  copy::CopyOptions o_;
  copy::CopyStats stats_;
  int err_ = 0;
  const char* syscall_ = "";
  std::string path_;
};

// A path as a string (UTF-8) or as a Buffer of its bytes: a container's names need not be
// UTF-8.
std::string PathArg(const Napi::Value& v) {
  if (v.IsBuffer()) {
    Napi::Buffer<char> b = v.As<Napi::Buffer<char>>();
    return std::string(b.Data(), b.Length());
  }
  return v.As<Napi::String>();
}

Napi::Value CopyTree(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  copy::CopyOptions o;
  o.uid = info[4].As<Napi::Number>().Int64Value();
  o.gid = info[5].As<Napi::Number>().Int64Value();
  o.merge = info.Length() > 6 && info[6].ToBoolean();
  // { skipDevices, stripPrivilege }: for a copy out of a container onto the host.
  if (info.Length() > 7 && info[7].IsObject()) {
    Napi::Object x = info[7].As<Napi::Object>();
    o.skip_devices = x.Get("skipDevices").ToBoolean();
    o.strip_privilege = x.Get("stripPrivilege").ToBoolean();
  }
  auto* w = new CopyWorker(env, info[0].As<Napi::String>(), PathArg(info[1]), info[2].As<Napi::String>(), PathArg(info[3]), o);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// fn(fd, path) with root open as fd (O_PATH) and path the second argument: its answer as a
// string, null when it is empty; a failure as Node's error.
template <typename F>
Napi::Value AnswerInRoot(const Napi::CallbackInfo& info, F fn) {
  Napi::Env env = info.Env();
  std::string root = info[0].As<Napi::String>();
  std::string p = info[1].As<Napi::String>();
  int fd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    SysError(env, errno, "open", root).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  try {
    std::string t = fn(fd, p);
    close(fd);
    return t.empty() ? env.Null() : Napi::String::New(env, t);
  } catch (const copy::SysFailure& f) {
    close(fd);
    SysError(env, f.err, f.syscall, f.path).ThrowAsJavaScriptException();
    return env.Undefined();
  }
}

// statIn(root, path, follow) -> 'file' | 'dir' | 'symlink' | 'other' | null
Napi::Value StatIn(const Napi::CallbackInfo& info) {
  bool follow = info[2].ToBoolean();
  return AnswerInRoot(info, [follow](int fd, const std::string& p) { return copy::StatIn(fd, p, follow); });
}

// readlinkIn(root, path) -> the target of the symlink at path inside root, or null when path
// is not a symlink (cp -L follows it in the container's root, never on the host).
Napi::Value ReadlinkIn(const Napi::CallbackInfo& info) {
  return AnswerInRoot(info, [](int fd, const std::string& p) { return copy::ReadlinkIn(fd, p); });
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("copyTree", Napi::Function::New(env, CopyTree, "copyTree"));
  exports.Set("statIn", Napi::Function::New(env, StatIn, "statIn"));
  exports.Set("readlinkIn", Napi::Function::New(env, ReadlinkIn, "readlinkIn"));
}

GOCKER_MODULE(Init);

}  // namespace
}  // namespace gocker
