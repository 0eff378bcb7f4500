// Starting and waiting for gocker's helper processes (the monitor), without Node's
// child_process: loading it (with net, stream and dgram behind it) and forking the whole
// Node process cost a container start several milliseconds. posix_spawn uses
// clone(CLONE_VM | CLONE_VFORK), safe in a multi-threaded process; the exit is watched
// through a pidfd on Node's own event loop, so no thread waits and no SIGCHLD handler is
// needed. Plus the two small primitives the start path needs: random bytes and sha256.
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <map>
#include <string>
#include <vector>

#include "errors.h"
#include "hex.h"
#include "module.h"

extern char** environ;

namespace gocker {
namespace {

// spawn(file, args, stdio, setsid) -> pid. stdio: the child's fds 0, 1, 2 (and on, for
// more), each the caller's own fd to pass on, or -1 for /dev/null. The child starts with
// every signal at its default and none blocked (Node ignores SIGPIPE, and that would be
// inherited).
Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string file = info[0].As<Napi::String>();
  Napi::Array jsArgs = info[1].As<Napi::Array>();
  Napi::Array stdio = info[2].As<Napi::Array>();
  bool newSession = info[3].ToBoolean();
  std::vector<std::string> args;
  for (uint32_t i = 0; i < jsArgs.Length(); i++) args.push_back(jsArgs.Get(i).As<Napi::String>());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (uint32_t i = 0; i < stdio.Length(); i++) {
    int fd = stdio.Get(i).As<Napi::Number>().Int32Value();
    // dup2 onto itself too: glibc then clears FD_CLOEXEC, which Node sets on its stdio.
    if (fd < 0) posix_spawn_file_actions_addopen(&actions, static_cast<int>(i), "/dev/null", i == 0 ? O_RDONLY : O_WRONLY, 0);
    else posix_spawn_file_actions_adddup2(&actions, fd, static_cast<int>(i));
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (newSession ? POSIX_SPAWN_SETSID : 0));
  pid_t pid = -1;
  int err = posix_spawn(&pid, file.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) ThrowSys(env, err, "posix_spawn", file);
  return Napi::Number::New(env, pid);
}

// A process being waited for: its pidfd polled on the loop, the callback called once. reap:
// our child (the monitor this CLI started), reaped and its status given; otherwise any
// process (another CLI's monitor), whose pidfd turns readable when it exits, whoever reaps it.
struct ExitWatch {
  uv_poll_t poll;
  pid_t pid;
  int pidfd;
  bool reap;
  napi_env env;
  Napi::FunctionReference callback;
  Napi::AsyncContext* context;
};

// The watches not yet fired: children by pid (unrefExit finds them there), others by their
// pidfd (unwatchPidfd). A fired one is gone.
std::map<pid_t, ExitWatch*>& Watches() {
  static std::map<pid_t, ExitWatch*> m;
  return m;
}

std::map<int, ExitWatch*>& PidfdWatches() {
  static std::map<int, ExitWatch*> m;
  return m;
}

void OnClosed(uv_handle_t* handle) {
  ExitWatch* w = static_cast<ExitWatch*>(handle->data);
  close(w->pidfd);
  delete w;
}

void OnEnvCleanup(void* arg);

// Releases what holds on to JavaScript (while the environment still exists) and closes the
// poll handle; the watch is freed once libuv has closed it. cleanup: called from the
// environment's cleanup, whose hook is then already being run.
void Retire(ExitWatch* w, bool cleanup = false) {
  uv_poll_stop(&w->poll);
  if (w->reap) {
    Watches().erase(w->pid);
  } else {
    PidfdWatches().erase(w->pidfd);
  }
  if (!cleanup) napi_remove_env_cleanup_hook(w->env, OnEnvCleanup, w);
  w->callback.Reset();
  delete w->context;
  w->context = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), OnClosed);
}

// The environment is going away with the watch not fired (run -d: the monitor outlives the
// CLI): no callback may run into a stopping environment.
void OnEnvCleanup(void* arg) { Retire(static_cast<ExitWatch*>(arg), true); }

void OnReadable(uv_poll_t* handle, int status, int events) {
  ExitWatch* w = static_cast<ExitWatch*>(handle->data);
  int wstatus = 0;
  pid_t r = 0;
  if (w->reap) {
    do {
      r = waitpid(w->pid, &wstatus, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return;  // woken early: not exited yet
  }
  uv_poll_stop(handle);
  Napi::Env env(w->env);
  Napi::HandleScope scope(env);
  std::vector<napi_value> args;
  if (w->reap) {
    Napi::Value code = env.Null(), signal = env.Null();
    // r < 0: reaped by someone else (a SIGCHLD handler of an embedding program): no status.
    if (r > 0 && WIFEXITED(wstatus)) {
      code = Napi::Number::New(env, WEXITSTATUS(wstatus));
    } else if (r > 0 && WIFSIGNALED(wstatus)) {
      signal = Napi::Number::New(env, WTERMSIG(wstatus));
    }
    args = {code, signal};
  }
  // Out of the maps before the callback: one that watches again gets a watch of its own.
  Napi::FunctionReference cb = std::move(w->callback);
  Napi::AsyncContext* context = w->context;
  w->context = nullptr;
  Retire(w);
  // MakeCallback, not Call: promises resolved in the callback settle before the loop goes on.
  // A C++ exception must not leave a libuv callback: one thrown by the callback is the
  // program's uncaught exception, as from any event.
  try {
    cb.MakeCallback(Napi::Object::New(env), args, *context);
  } catch (const Napi::Error& e) {
    napi_fatal_exception(env, e.Value());
  }
  delete context;
}

// Starts polling pidfd on Node's loop; the watch owns the fd from here (closed when it ends).
// The loop stays alive meanwhile, as for a ChildProcess, until unrefExit.
ExitWatch* StartWatch(Napi::Env env, int pidfd, pid_t pid, bool reap, Napi::Function cb) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    close(pidfd);
    throw CodedError(env, "ENATIVE", "watchExit: no event loop");
  }
  ExitWatch* w = new ExitWatch();
  w->pid = pid;
  w->pidfd = pidfd;
  w->reap = reap;
  w->env = env;
  w->callback = Napi::Persistent(cb);
  w->context = new Napi::AsyncContext(env, reap ? "gocker:watchExit" : "gocker:watchPidfd");
  w->poll.data = w;
  int err = uv_poll_init(loop, &w->poll, pidfd);
  if (err != 0) {
    close(pidfd);
    w->callback.Reset();
    delete w->context;
    delete w;
    ThrowSys(env, -err, "uv_poll_init");
  }
  err = uv_poll_start(&w->poll, UV_READABLE, OnReadable);
  if (err != 0) {
    w->callback.Reset();
    delete w->context;
    w->context = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), OnClosed);
    ThrowSys(env, -err, "uv_poll_start");
  }
  if (reap) {
    Watches()[pid] = w;
  } else {
    PidfdWatches()[pidfd] = w;
  }
  napi_add_env_cleanup_hook(env, OnEnvCleanup, w);
  return w;
}

// watchExit(pid, cb): cb(code, signal) once the child exits (and is reaped). pidfd_open is
// Linux 5.3; gocker already needs 5.6 (openat2).
Napi::Value WatchExit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pid_t pid = info[0].As<Napi::Number>().Int32Value();
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) ThrowSys(env, errno, "pidfd_open");
  fcntl(pidfd, F_SETFD, FD_CLOEXEC);
  StartWatch(env, pidfd, pid, true, info[1].As<Napi::Function>());
  return env.Undefined();
}

// unrefExit(pid): the watch on pid no longer keeps the event loop alive (run -d: the CLI
// exits and leaves the monitor running); it still reaps the child if it exits meanwhile.
Napi::Value UnrefExit(const Napi::CallbackInfo& info) {
  auto it = Watches().find(info[0].As<Napi::Number>().Int32Value());
  if (it != Watches().end()) uv_unref(reinterpret_cast<uv_handle_t*>(&it->second->poll));
  return info.Env().Undefined();
}

// watchPidfd(fd, cb): cb() once the process behind the pidfd (any process, not reaped here)
// has exited; the fd is the watch's from then on. A `gocker wait` sleeps on this.
Napi::Value WatchPidfd(const Napi::CallbackInfo& info) {
  StartWatch(info.Env(), info[0].As<Napi::Number>().Int32Value(), 0, false, info[1].As<Napi::Function>());
  return info.Env().Undefined();
}

// unwatchPidfd(fd): the watch ends without its callback, and the fd is closed.
Napi::Value UnwatchPidfd(const Napi::CallbackInfo& info) {
  auto it = PidfdWatches().find(info[0].As<Napi::Number>().Int32Value());
  if (it != PidfdWatches().end()) Retire(it->second);
  return info.Env().Undefined();
}

// pidfdOpen(pid) -> fd: a handle on exactly this process, which no recycling of its pid can
// redirect; pidfdSignal(fd, sig) -> false when it has exited. kill(2) on a pid read, then
// checked, then signalled leaves a window in which the pid can be someone else's.
Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  pid_t pid = info[0].As<Napi::Number>().Int32Value();
  if (pid <= 0) ThrowSys(info.Env(), EINVAL, "pidfd_open");
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) ThrowSys(info.Env(), errno, "pidfd_open");
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value PidfdSignal(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  int sig = info[1].As<Napi::Number>().Int32Value();
  if (syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0) == 0) return Napi::Boolean::New(info.Env(), true);
  if (errno == ESRCH) return Napi::Boolean::New(info.Env(), false);
  ThrowSys(info.Env(), errno, "pidfd_send_signal");
}

// pipe() -> [read fd, write fd], both close-on-exec (spawn passes one on by dup2): Node
// makes pipes only through child_process or net.
Napi::Value Pipe(const Napi::CallbackInfo& info) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) ThrowSys(info.Env(), errno, "pipe2");
  Napi::Array a = Napi::Array::New(info.Env(), 2);
  a.Set(0u, Napi::Number::New(info.Env(), fds[0]));
  a.Set(1u, Napi::Number::New(info.Env(), fds[1]));
  return a;
}

// socketPair() -> [ours, theirs]: a Unix stream pair, both ends close-on-exec and ours
// non-blocking: the exit handoff (lib/container/exit-handoff.ts), theirs passed to a monitor
// by spawn's dup2 (which clears close-on-exec on the copy only), so that no other child of
// this process inherits either end.
Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) ThrowSys(info.Env(), errno, "socketpair");
  int flags = fcntl(fds[0], F_GETFL);
  if (flags < 0 || fcntl(fds[0], F_SETFL, flags | O_NONBLOCK) != 0) {
    int err = errno;
    close(fds[0]);
    close(fds[1]);
    ThrowSys(info.Env(), err, "fcntl");
  }
  Napi::Array a = Napi::Array::New(info.Env(), 2);
  a.Set(0u, Napi::Number::New(info.Env(), fds[0]));
  a.Set(1u, Napi::Number::New(info.Env(), fds[1]));
  return a;
}

// A readable watch on an fd the caller owns: its callback called each time the fd is
// readable (or its peer has gone), until unwatchReadable. Unref'd from the start: a watch
// keeps the program alive only when refReadable says so; it may end with one armed (its
// peer then sees the end).
struct ReadWatch {
  uv_poll_t poll;
  int fd;
  napi_env env;
  Napi::FunctionReference callback;
  Napi::AsyncContext* context;
};

std::map<int, ReadWatch*>& ReadWatches() {
  static std::map<int, ReadWatch*> m;
  return m;
}

void OnReadWatchClosed(uv_handle_t* handle) { delete static_cast<ReadWatch*>(handle->data); }

void OnReadWatchCleanup(void* arg);

void RetireReadWatch(ReadWatch* w, bool cleanup = false) {
  uv_poll_stop(&w->poll);
  ReadWatches().erase(w->fd);
  if (!cleanup) napi_remove_env_cleanup_hook(w->env, OnReadWatchCleanup, w);
  w->callback.Reset();
  delete w->context;
  w->context = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), OnReadWatchClosed);
}

void OnReadWatchCleanup(void* arg) { RetireReadWatch(static_cast<ReadWatch*>(arg), true); }

void OnWatchedReadable(uv_poll_t* handle, int status, int events) {
  ReadWatch* w = static_cast<ReadWatch*>(handle->data);
  Napi::Env env(w->env);
  Napi::HandleScope scope(env);
  try {
    // The callback reads (or unwatches): the watch, and its context, stay until then.
    w->callback.MakeCallback(Napi::Object::New(env), {}, *w->context);
  } catch (const Napi::Error& e) {
    napi_fatal_exception(env, e.Value());
  }
}

// watchReadable(fd, cb)
Napi::Value WatchReadable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (ReadWatches().count(fd)) throw CodedError(env, "ENATIVE", "watchReadable: fd already watched");
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) throw CodedError(env, "ENATIVE", "watchReadable: no event loop");
  ReadWatch* w = new ReadWatch();
  w->fd = fd;
  w->env = env;
  w->callback = Napi::Persistent(info[1].As<Napi::Function>());
  w->context = new Napi::AsyncContext(env, "gocker:watchReadable");
  w->poll.data = w;
  int err = uv_poll_init(loop, &w->poll, fd);
  if (err != 0) {
    w->callback.Reset();
    delete w->context;
    delete w;
    ThrowSys(env, -err, "uv_poll_init");
  }
  uv_unref(reinterpret_cast<uv_handle_t*>(&w->poll));
  err = uv_poll_start(&w->poll, UV_READABLE | UV_DISCONNECT, OnWatchedReadable);
  if (err != 0) {
    w->callback.Reset();
    delete w->context;
    w->context = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), OnReadWatchClosed);
    ThrowSys(env, -err, "uv_poll_start");
  }
  ReadWatches()[fd] = w;
  napi_add_env_cleanup_hook(env, OnReadWatchCleanup, w);
  return env.Undefined();
}

// refReadable(fd, on): whether the watch keeps the event loop alive (a handoff under way: for
// the few ms until the monitor's next byte).
Napi::Value RefReadable(const Napi::CallbackInfo& info) {
  auto it = ReadWatches().find(info[0].As<Napi::Number>().Int32Value());
  if (it != ReadWatches().end()) {
    uv_handle_t* h = reinterpret_cast<uv_handle_t*>(&it->second->poll);
    if (info[1].ToBoolean()) {
      uv_ref(h);
    } else {
      uv_unref(h);
    }
  }
  return info.Env().Undefined();
}

// unwatchReadable(fd): the watch ends (the fd stays open, the caller's to close, after this).
Napi::Value UnwatchReadable(const Napi::CallbackInfo& info) {
  auto it = ReadWatches().find(info[0].As<Napi::Number>().Int32Value());
  if (it != ReadWatches().end()) RetireReadWatch(it->second);
  return info.Env().Undefined();
}

// randomHex(bytes): getrandom(2), hex. For ids: node:crypto costs a start 2.5 ms to load.
Napi::Value RandomHex(const Napi::CallbackInfo& info) {
  uint32_t n = info[0].As<Napi::Number>().Uint32Value();
  std::vector<unsigned char> buf(n);
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(buf.data() + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) ThrowSys(info.Env(), errno, "getrandom");
    got += static_cast<size_t>(r);
  }
  return Napi::String::New(info.Env(), Hex(buf.data(), buf.size()));
}

// sha256(data: string | Buffer) -> hex, with the OpenSSL inside Node.
Napi::Value Sha256(const Napi::CallbackInfo& info) {
  std::string text;
  const unsigned char* p;
  size_t len;
  if (info[0].IsBuffer()) {
    Napi::Buffer<unsigned char> b = info[0].As<Napi::Buffer<unsigned char>>();
    p = b.Data();
    len = b.Length();
  } else {
    text = info[0].As<Napi::String>().Utf8Value();
    p = reinterpret_cast<const unsigned char*>(text.data());
    len = text.size();
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdLen = 0;
  if (EVP_Digest(p, len, md, &mdLen, EVP_sha256(), nullptr) != 1) throw CodedError(info.Env(), "ENATIVE", "sha256 failed");
  return Napi::String::New(info.Env(), Hex(md, mdLen));
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("spawn", Napi::Function::New(env, Spawn, "spawn"));
  exports.Set("pipe", Napi::Function::New(env, Pipe, "pipe"));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
  exports.Set("pidfdSignal", Napi::Function::New(env, PidfdSignal, "pidfdSignal"));
  exports.Set("watchExit", Napi::Function::New(env, WatchExit, "watchExit"));
  exports.Set("unrefExit", Napi::Function::New(env, UnrefExit, "unrefExit"));
  exports.Set("watchPidfd", Napi::Function::New(env, WatchPidfd, "watchPidfd"));
  exports.Set("unwatchPidfd", Napi::Function::New(env, UnwatchPidfd, "unwatchPidfd"));
  exports.Set("socketPair", Napi::Function::New(env, SocketPair, "socketPair"));
  exports.Set("watchReadable", Napi::Function::New(env, WatchReadable, "watchReadable"));
  exports.Set("refReadable", Napi::Function::New(env, RefReadable, "refReadable"));
  exports.Set("unwatchReadable", Napi::Function::New(env, UnwatchReadable, "unwatchReadable"));
  exports.Set("randomHex", Napi::Function::New(env, RandomHex, "randomHex"));
  exports.Set("sha256", Napi::Function::New(env, Sha256, "sha256"));
}

GOCKER_MODULE(Init);

}  // namespace
}  // namespace gocker
