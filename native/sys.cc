// Small syscall-level primitives: uname, statfs, mount/umount, namespace probes,
// d_type probe, file locks and a terminal's raw mode. Policy (what to probe, what it means) is in lib/.
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include "errors.h"
#include "module.h"

namespace gocker {
namespace {

// The system calls gocker's containment rests on, each tried with arguments that can only
// fail: ENOSYS says the kernel lacks it, any other error that it is there. (Before the first
// container needs one, so info can name what is missing.)
Napi::Value KernelFeatures(const Napi::CallbackInfo& info) {
  struct Probe {
    const char* name;
    long (*call)();
  };
  static const Probe kProbes[] = {
      {"openat2", [] { return syscall(SYS_openat2, -1, "", nullptr, 0); }},
      {"close_range", [] { return syscall(SYS_close_range, 2U, 1U, 0); }},
      {"mount_setattr", [] { return syscall(SYS_mount_setattr, -1, "", 0, nullptr, 0); }},
      {"open_tree", [] { return syscall(SYS_open_tree, -1, "", 0); }},
      {"pidfd_open", [] { return syscall(SYS_pidfd_open, 0, 0); }},
      {"seccomp", [] { return syscall(SYS_seccomp, 0xffff, 0, nullptr); }},
  };
  Napi::Object out = Napi::Object::New(info.Env());
  for (const Probe& p : kProbes) {
    errno = 0;
    bool present = !(p.call() < 0 && errno == ENOSYS);
    out.Set(p.name, Napi::Boolean::New(info.Env(), present));
  }
  return out;
}

Napi::Value Uname(const Napi::CallbackInfo& info) {
  struct utsname u;
  if (uname(&u) != 0) ThrowSys(info.Env(), errno, "uname");
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("sysname", u.sysname);
  o.Set("nodename", u.nodename);
  o.Set("release", u.release);
  o.Set("version", u.version);
  o.Set("machine", u.machine);
  return o;
}

Napi::Value Statfs(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>();
  struct statfs s;
  if (statfs(path.c_str(), &s) != 0) ThrowSys(info.Env(), errno, "statfs", path);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("type", Napi::Number::New(info.Env(), static_cast<double>(static_cast<unsigned long>(s.f_type))));
  o.Set("bsize", Napi::Number::New(info.Env(), static_cast<double>(s.f_bsize)));
  o.Set("blocks", Napi::Number::New(info.Env(), static_cast<double>(s.f_blocks)));
  o.Set("bfree", Napi::Number::New(info.Env(), static_cast<double>(s.f_bfree)));
  o.Set("bavail", Napi::Number::New(info.Env(), static_cast<double>(s.f_bavail)));
  o.Set("files", Napi::Number::New(info.Env(), static_cast<double>(s.f_files)));
  o.Set("ffree", Napi::Number::New(info.Env(), static_cast<double>(s.f_ffree)));
  return o;
}

// mount(source, target, fstype, flags, data, cwd?): flags is the numeric MS_* mask. With cwd, relative paths in the source
// and the options (overlay's short l/ links, which keep 60 layers within the page the kernel
// allows for options) are resolved from cwd, by a thread with a working directory of its own
// (unshare(CLONE_FS)): the process's never changes, whatever else runs meanwhile.
Napi::Value Mount(const Napi::CallbackInfo& info) {
  std::string source = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  std::string target = info[1].As<Napi::String>();
  std::string fstype = info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "";
  unsigned long flags = info[3].IsNumber() ? static_cast<unsigned long>(info[3].As<Napi::Number>().Int64Value()) : 0;
  std::string data = info[4].IsString() ? info[4].As<Napi::String>().Utf8Value() : "";
  std::string cwd = info.Length() > 5 && info[5].IsString() ? info[5].As<Napi::String>().Utf8Value() : "";
  int err = 0;
  const char* what = "mount";
  auto mountIt = [&] {
    if (mount(source.empty() ? nullptr : source.c_str(), target.c_str(), fstype.empty() ? nullptr : fstype.c_str(), flags,
              data.empty() ? nullptr : data.c_str()) != 0) {
      err = errno;
    }
  };
  if (cwd.empty()) {
    mountIt();
  } else {
    std::thread t([&] {
      if (unshare(CLONE_FS) != 0) {
        err = errno;
        what = "unshare(CLONE_FS)";
      } else if (chdir(cwd.c_str()) != 0) {
        err = errno;
        what = "chdir";
      } else {
        mountIt();
      }
    });
    t.join();
  }
  if (err != 0) ThrowSys(info.Env(), err, what, std::string(what) == "chdir" ? cwd : target);
  return info.Env().Undefined();
}

Napi::Value Umount(const Napi::CallbackInfo& info) {
  std::string target = info[0].As<Napi::String>();
  int flags = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;
  if (umount2(target.c_str(), flags) != 0) ThrowSys(info.Env(), errno, "umount2", target);
  return info.Env().Undefined();
}

// Can this process create a namespace of this CLONE_NEW* kind? Tried in a forked
// child so the caller's own namespaces never change. The child only calls
// async-signal-safe functions (Node is multi-threaded).
Napi::Value ProbeNamespace(const Napi::CallbackInfo& info) {
  int flag = info[0].As<Napi::Number>().Int32Value();
  pid_t pid = fork();
  if (pid < 0) ThrowSys(info.Env(), errno, "fork");
  if (pid == 0) {
    _exit(unshare(flag) == 0 ? 0 : (errno & 0x7f));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) ThrowSys(info.Env(), errno, "waitpid");
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : EFAULT;
  if (code == 0) return Napi::Boolean::New(info.Env(), true);
  return SysError(info.Env(), code, "unshare").Value();
}

// Does the filesystem under dir fill in d_type? overlayfs needs it (Docker's
// overlay2 refuses xfs with ftype=0 for the same reason). dir must hold a file.
Napi::Value SupportsDType(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>();
  DIR* d = opendir(path.c_str());
  if (d == nullptr) ThrowSys(info.Env(), errno, "opendir", path);
  bool ok = true;
  while (struct dirent* e = readdir(d)) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (e->d_type == DT_UNKNOWN) ok = false;
  }
  closedir(d);
  return Napi::Boolean::New(info.Env(), ok);
}

// flock on an open fd (Node has no flock). Blocking; the caller opens the fd.
Napi::Value Flock(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  int op = info[1].As<Napi::Number>().Int32Value();
  for (;;) {
    if (flock(fd, op) == 0) return Napi::Boolean::New(info.Env(), true);
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK && (op & LOCK_NB)) return Napi::Boolean::New(info.Env(), false);
    ThrowSys(info.Env(), errno, "flock");
  }
}

// getxattr(path, name) -> Buffer | null (null: no such attribute, or none on that
// filesystem). lib/container/changes.ts reads overlay's opaque marker on every directory
// of a container's upper dir through /proc/self/fd/N: a getfattr process for each was
// 13 ms a directory, 13 s for a tree 1,000 deep.
Napi::Value GetXattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  std::string name = info[1].As<Napi::String>();
  for (;;) {
    ssize_t n = getxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (n < 0) {
      if (errno == ENODATA || errno == ENOTSUP) return env.Null();
      ThrowSys(env, errno, "getxattr", path);
    }
    std::string buf(static_cast<size_t>(n), '\0');
    ssize_t m = getxattr(path.c_str(), name.c_str(), buf.data(), buf.size());
    if (m < 0 && errno == ERANGE) continue;  // grew in between
    if (m < 0) {
      if (errno == ENODATA || errno == ENOTSUP) return env.Null();
      ThrowSys(env, errno, "getxattr", path);
    }
    return Napi::Buffer<char>::Copy(env, buf.data(), static_cast<size_t>(m));
  }
}

// ttyMakeRaw(fd) -> Buffer (the settings before) | null (not a terminal): cfmakeraw, as
// docker's CLI makes its terminal raw (moby/term). Node's setRawMode leaves ONLCR on, so the
// "\r\n" a container's pty already made would reach the screen as "\r\r\n".
Napi::Value TtyMakeRaw(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  struct termios saved;
  if (tcgetattr(fd, &saved) != 0) {
    if (errno == ENOTTY || errno == EBADF) return env.Null();
    ThrowSys(env, errno, "tcgetattr");
  }
  struct termios raw = saved;
  cfmakeraw(&raw);
  if (tcsetattr(fd, TCSANOW, &raw) != 0) ThrowSys(env, errno, "tcsetattr");
  return Napi::Buffer<char>::Copy(env, reinterpret_cast<const char*>(&saved), sizeof saved);
}

// ttyRestore(fd, saved): the settings ttyMakeRaw returned, back.
Napi::Value TtyRestore(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Buffer<char> b = info[1].As<Napi::Buffer<char>>();
  struct termios saved;
  if (b.Length() != sizeof saved) throw CodedError(env, "ENATIVE", "ttyRestore: not the settings ttyMakeRaw returned");
  memcpy(&saved, b.Data(), sizeof saved);
  if (tcsetattr(fd, TCSANOW, &saved) != 0 && errno != ENOTTY && errno != EBADF && errno != EIO) ThrowSys(env, errno, "tcsetattr");
  return env.Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("ttyMakeRaw", Napi::Function::New(env, TtyMakeRaw, "ttyMakeRaw"));
  exports.Set("ttyRestore", Napi::Function::New(env, TtyRestore, "ttyRestore"));
  exports.Set("uname", Napi::Function::New(env, Uname, "uname"));
  exports.Set("kernelFeatures", Napi::Function::New(env, KernelFeatures, "kernelFeatures"));
  exports.Set("statfs", Napi::Function::New(env, Statfs, "statfs"));
  exports.Set("mount", Napi::Function::New(env, Mount, "mount"));
  exports.Set("umount", Napi::Function::New(env, Umount, "umount"));
  exports.Set("probeNamespace", Napi::Function::New(env, ProbeNamespace, "probeNamespace"));
  exports.Set("supportsDType", Napi::Function::New(env, SupportsDType, "supportsDType"));
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
  exports.Set("getxattr", Napi::Function::New(env, GetXattr, "getxattr"));
}

GOCKER_MODULE(Init);

}  // namespace
}  // namespace gocker
