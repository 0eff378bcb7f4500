// gocker-monitor: one per container, single-threaded, no Node. It reads the spec that
// TypeScript computed (all policy lives there), creates the container process, places it in
// its cgroups before letting it run, holds its stdio, waits for it, and records how it
// ended in exit.json. Being single-threaded, the child may run ordinary code between fork
// and execve, which Node's threads would not allow inside the addon.
//
// Spec: an OCI runtime-spec config.json with gocker's io.gocker.* annotations, read and
// checked whole by spec.cc before anything is made.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "attach.h"
#include "monitor.h"
#include "spec.h"
#include "util.h"

namespace gocker_monitor {

// The directory of the state files, opened before an exec joins the container's mount
// namespace (where host paths no longer resolve). -1: use the paths as they are.
int g_state_dir = -1;
// The event log, opened then for the same reason (exec -d records its exec_die there).
int g_events_fd = -1;

// Every file the monitor writes is in the runroot, which is meant to die with the machine
// (a tmpfs by default): atomic for readers through the rename, with no fsync, which on a
// disk would hold up the container's start (the pid file is written before it is released).
bool WriteFileAtomic(const std::string& path, const std::string& data) {
  int dir = AT_FDCWD;
  std::string name = path;
  if (g_state_dir >= 0) {
    dir = g_state_dir;
    name = path.substr(path.rfind('/') + 1);
  }
  std::string tmp = name + ".tmp";
  int fd = openat(dir, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  bool ok = WriteAll(fd, data.data(), data.size());
  close(fd);
  return ok && renameat(dir, tmp.c_str(), dir, name.c_str()) == 0;
}

// ---- the monitor ----

pid_t g_child = -1;

void Forward(int sig) {
  // With a pty the kernel signals the container's foreground group itself once the pty's
  // size changes; the monitor only copies the size over.
  if (sig == SIGWINCH && g_tty) {
    g_winch = 1;
    return;
  }
  if (g_child > 0) kill(g_child, sig);
}

std::string g_exit_file;

// policy: the restart policy's exit command runs once this is written (the engine applies
// the policy at the first sight of this exit, lifecycle.ts reconcile).
void WriteExit(int code, int sig, const std::string& started, const std::string& error, bool oom_killed = false, bool policy = false) {
  std::string j = "{\"exitCode\":" + std::to_string(code) + ",\"signal\":" + std::to_string(sig) +
                  ",\"oomKilled\":" + (oom_killed ? "true" : "false") + (policy ? ",\"restartPolicy\":true" : "") +
                  ",\"startedAt\":\"" + started + "\",\"finishedAt\":\"" + Now() + "\",\"error\":\"" +
                  JsonEscape(error) + "\"}\n";
  WriteFileAtomic(g_exit_file, j);
}

// The container's oom (when the kernel killed in its cgroup) and die, in the engine's event
// log: recorded where the exit is learned, so that they are there whether or not a CLI waits
// for the container (run -d, a CLI killed). One write on an O_APPEND fd: whole lines, never
// interleaved with another writer's; the engine rotates the log. Times to the microsecond,
// as the engine writes them (a double carries those exactly).
// A container's exit in the event log: its volumes' unmount (docker unmounts them in its
// cleanup, before it logs the die), its oom, its die; exec -d's exec_die (the CLI has gone).
void RecordExitEvents(const Spec& spec, int code, bool oom, bool exec) {
  if (spec.events_file.empty() || spec.event_id.empty()) return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  std::string ns = std::to_string(ts.tv_sec) + std::to_string(1000000000L + ts.tv_nsec / 1000 * 1000).substr(1);
  auto it = spec.event_attributes.find("image");
  std::string from = it == spec.event_attributes.end() ? "" : it->second;
  auto line = [&](const char* type, const std::string& id, const char* action, const std::map<std::string, std::string>& attrs, const std::string* image) {
    std::string a;
    for (const auto& kv : attrs) a += (a.empty() ? "\"" : ",\"") + JsonEscape(kv.first) + "\":\"" + JsonEscape(kv.second) + "\"";
    return std::string("{\"status\":\"") + action + "\",\"id\":\"" + JsonEscape(id) + "\"" + (image ? ",\"from\":\"" + JsonEscape(*image) + "\"" : "") +
           ",\"Type\":\"" + type + "\",\"Action\":\"" + action + "\",\"Actor\":{\"ID\":\"" + JsonEscape(id) + "\",\"Attributes\":{" + a +
           "}},\"scope\":\"local\",\"time\":" + std::to_string(ts.tv_sec) + ",\"timeNano\":" + ns + "}\n";
  };
  std::map<std::string, std::string> with_code = spec.event_attributes;
  with_code["exitCode"] = std::to_string(code);
  std::string text;
  if (exec) {
    text = line("container", spec.event_id, "exec_die", with_code, &from);
  } else {
    for (const std::string& name : spec.event_volumes) text += line("volume", name, "unmount", {{"container", spec.event_id}, {"driver", "local"}}, nullptr);
    if (oom) text += line("container", spec.event_id, "oom", spec.event_attributes, &from);
    text += line("container", spec.event_id, "die", with_code, &from);
  }
  int fd = g_events_fd >= 0 ? g_events_fd : open(spec.events_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return;
  WriteAll(fd, text.data(), text.size());
  close(fd);
  if (fd == g_events_fd) g_events_fd = -1;
}

enum Created { kReleased, kChildFailed, kNotReleased, kKilled };

// An 'x' on the go fd: the engine gave up on this start (its set-up failed) and removes the
// container itself, under the lock it holds meanwhile. The exit command (--rm's rm) is not
// run then: it would wait for that lock while the engine waits for us. The end of the fd
// alone is a CLI that died: the exit command does its cleaning then.
bool g_abandoned = false;

// A command's name as runc says it, with Go's %q (strconv.Quote): quotes and backslashes
// escaped, the named escapes, other ASCII controls and each byte that is not valid UTF-8 as
// \xNN. A valid multibyte character is kept as it is: the engine writes the ones Go would
// not print (\u202e...) in Go's escapes too, as it does every message it shows
// (escapeNonPrint), which needs Unicode's tables we do not carry here.
std::string GoQuote(const std::string& s) {
  std::string o = "\"";
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = b[i];
    if (c < 0x80) {
      i++;
      switch (c) {
        case '"': o += "\\\""; continue;
        case '\\': o += "\\\\"; continue;
        case '\a': o += "\\a"; continue;
        case '\b': o += "\\b"; continue;
        case '\f': o += "\\f"; continue;
        case '\n': o += "\\n"; continue;
        case '\r': o += "\\r"; continue;
        case '\t': o += "\\t"; continue;
        case '\v': o += "\\v"; continue;
      }
      if (c >= 0x20 && c < 0x7f) {
        o += static_cast<char>(c);
      } else {
        char x[8];
        snprintf(x, sizeof x, "\\x%02x", c);
        o += x;
      }
      continue;
    }
    // UTF-8 as Go decodes it: no overlong form, no surrogate, nothing past U+10FFFF.
    size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    bool ok = len > 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; k++) ok = (b[i + k] & 0xc0) == 0x80;
    if (ok && len == 3) ok = !(c == 0xe0 && b[i + 1] < 0xa0) && !(c == 0xed && b[i + 1] >= 0xa0);
    if (ok && len == 4) ok = !(c == 0xf0 && b[i + 1] < 0x90) && !(c == 0xf4 && b[i + 1] >= 0x90);
    if (ok) {
      o.append(s, i, len);
      i += len;
    } else {
      char x[8];
      snprintf(x, sizeof x, "\\x%02x", c);
      o += x;
      i++;
    }
  }
  return o + "\"";
}

// create: once the child has made its namespaces, the container is created: its pid goes to
// the pid file, "c" to the report fd (the engine configures it from outside then, its network
// namespace say), and it waits to be released: by a second 'g' on the go fd (run: create and
// start in one), or, after a 'w' there, by a 'g' on the release FIFO, written by `start` from
// any process at any time. Once the engine is done with it ('w' or that 'g' on the go fd; a
// 'p' or the 'g' on the FIFO when there is no go fd: gocker-runtime's create says 'p' once its
// hooks have run), 'p' on sync_fd lets the child pivot into its root and become its command's
// user before it waits for the release ('g' on sync_fd, written by main): a process that
// joined its pid namespace never finds it on the host's root with every capability for longer
// than its set-up takes. Nothing of the image's runs until the release. A child that dies
// meanwhile (rm of a created container kills it, or its set-up failed: the error pipe says
// why) is not released; neither is one whose go fd ends first (the engine gave up). Meanwhile
// the attach socket's clients are served: a created container's published ports may be
// released or held again (network disconnect, connect).
//
// init_report (a pid namespace the child joins itself): after 'p' the child forks the init into
// that namespace, says its pid there and goes; from then on *child is the init (the pid file
// says so, and a second report byte, 'i', tells gocker-runtime's create to read it again).
Created Create(const Spec& spec, pid_t* child, int init_report, int ready_fd, int go_fd, int sync_fd, gocker_monitor::AttachServer* attach, std::string* why) {
  char r = 0;
  ssize_t n;
  do {
    n = read(ready_fd, &r, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) return kChildFailed;
  WriteFileAtomic(spec.pid_file, std::to_string(*child) + "\n");
  int fifo = -1;
  if (!spec.release_fifo.empty()) {
    // Read and write: no end of file when a start's writer closes, and no wait to open.
    if ((mkfifo(spec.release_fifo.c_str(), 0600) != 0 && errno != EEXIST) ||
        (fifo = open(spec.release_fifo.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK)) < 0) {
      *why = "release fifo " + spec.release_fifo + ": " + ErrText(errno);
      return kNotReleased;
    }
  }
  if (spec.report_fd >= 0) {
    char c = 'c';
    WriteAll(spec.report_fd, &c, 1);
    if (init_report < 0) close(spec.report_fd);
  }
  int pidfd = -1;
  bool placed = false;
  // A child that fails before it forks the init stays *child, and its end is seen as before
  // (the error pipe says why).
  auto place = [&]() {
    if (placed) return;
    placed = true;
    char p = 'p';
    WriteAll(sync_fd, &p, 1);
    if (init_report < 0) return;
    pid_t init = -1;
    ssize_t r;
    do {
      r = read(init_report, &init, sizeof init);
    } while (r < 0 && errno == EINTR);
    const bool forked = r == static_cast<ssize_t>(sizeof init) && init > 0;
    if (forked) {
      WriteFileAtomic(spec.pid_file, std::to_string(init) + "\n");
      while (waitpid(*child, nullptr, 0) < 0 && errno == EINTR) {
      }
      // The init is ours now (its parent has gone): nothing else of the container's is to be
      // (its own orphans go to its namespace's init, or, with the host's, to the host's).
      if (!spec.hand_over) prctl(PR_SET_CHILD_SUBREAPER, 0);
      *child = init;
      g_child = init;
    }
    if (spec.report_fd >= 0) {
      char i = 'i';
      if (forked) WriteAll(spec.report_fd, &i, 1);
      close(spec.report_fd);
    }
    if (!forked) return;
    if (pidfd >= 0) {
      close(pidfd);
      pidfd = static_cast<int>(syscall(SYS_pidfd_open, init, 0));
    }
  };
  int source = go_fd >= 0 ? go_fd : fifo;
  if (source < 0) {
    place();
    return kReleased;  // nobody to wait for (a spec without either)
  }
  pidfd = static_cast<int>(syscall(SYS_pidfd_open, *child, 0));
  std::vector<struct pollfd> p;
  for (;;) {
    p.assign({{source, POLLIN, 0}, {pidfd, POLLIN, 0}});
    attach->PollFds(&p);
    int k = poll(p.data(), p.size(), -1);
    if (k < 0 && errno == EINTR) continue;
    if (k > 0) attach->Serve(p, 2);
    if (k < 0) {
      *why = std::string("wait for release: ") + ErrText(errno);
      break;
    }
    if (p[1].revents & POLLIN) {
      *why = "the container was killed before it was started";
      if (fifo >= 0) close(fifo);
      close(pidfd);
      return kKilled;
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char go = 0;
      ssize_t m = read(source, &go, 1);
      if (m < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (m == 1 && go == 'p' && source == fifo) {
        place();
        continue;
      }
      if (m == 1 && go == 'g') {
        place();
        if (fifo >= 0) close(fifo);
        if (pidfd >= 0) close(pidfd);
        return kReleased;
      }
      if (m == 1 && go == 'x') g_abandoned = true;
      if (m == 1 && go == 'w' && source == go_fd && fifo >= 0) {
        // Created, configured, and left for a start: from now on the FIFO releases it.
        place();
        source = fifo;
        continue;
      }
      *why = "gocker exited before the container was started";
      break;
    }
  }
  if (fifo >= 0) close(fifo);
  if (pidfd >= 0) close(pidfd);
  return kNotReleased;
}

// The exit handoff: the library that launched the container (a program that stays, with the
// engine loaded) does what the exit command would, in its own process, rather than a Node
// started for it. On the socket it gave us (io.gocker.launch.exit-handoff-fd), once exit.json
// is written: we say 'e'; it answers 'a' within kHandoffAnswerMs; we say 'k', from which the
// exit is its to handle; it says 'd' once it has. Anything else (no answer in time, the peer
// gone at any step, an unexpected byte) and the exit command runs as without the handoff, on
// the same pid: at most a late repeat of work the library began (it is idempotent, as it is
// after a CLI that saw the exit), never an exit unhandled. The library acts on 'k' alone, so
// that an answer we gave up on is never acted on too. True: handled, nothing to run.
constexpr int kHandoffAnswerMs = 2000;

bool HandOffExit(int fd) {
  // The container's pid is reaped: a signal forwarded now could reach a process reusing it.
  g_child = -1;
  auto say = [&](char c) { return send(fd, &c, 1, MSG_NOSIGNAL) == 1; };
  auto hear = [&](int timeout_ms) -> char {
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    for (;;) {
      int left = -1;
      if (timeout_ms >= 0) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long spent = (now.tv_sec - deadline.tv_sec) * 1000 + (now.tv_nsec - deadline.tv_nsec) / 1000000;
        if (spent >= timeout_ms) return 0;
        left = static_cast<int>(timeout_ms - spent);
      }
      struct pollfd p = {fd, POLLIN, 0};
      int k = poll(&p, 1, left);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) return 0;
      char c = 0;
      ssize_t n = read(fd, &c, 1);
      if (n < 0 && errno == EINTR) continue;
      return n == 1 ? c : 0;
    }
  };
  bool handled = say('e') && hear(kHandoffAnswerMs) == 'a' && say('k') && hear(-1) == 'd';
  close(fd);
  return handled;
}

}  // namespace gocker_monitor

int main(int argc, char** argv) {
  using namespace gocker_monitor;
  bool exec_mode = argc == 3 && strcmp(argv[1], "--exec") == 0;
  if (argc != 2 && !exec_mode) {
    fprintf(stderr, "usage: gocker-monitor [--exec] SPEC\n");
    return 125;
  }
  if (exec_mode && !RunningSealed()) {
    fprintf(stderr, "gocker-monitor: %s\n", ExecSealedCopy(argv).c_str());
    return 125;
  }
  // Not dumpable until the container's command replaces us: no process in the container
  // may open /proc/PID/fd, /proc/PID/exe or /proc/PID/mem of the child before its execve
  // (which makes it dumpable again), nor ptrace it. The fork inherits it.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  const char* spec_file = argv[argc - 1];
  std::string raw;
  if (!ReadFile(spec_file, &raw)) {
    fprintf(stderr, "gocker-monitor: cannot read spec %s: %s\n", spec_file, strerror(errno));
    return 125;
  }
  Spec spec;
  std::string refused;
  if (!gocker_monitor::ParseSpec(raw, exec_mode, &spec, &refused)) {
    // Nothing is made from a spec refused. Said on stderr, to whoever ran us with that file,
    // and, where the spec names a readable exit file, there too (a detached start has no
    // stderr to tell): without the file's path there, as the engine says it to a user, to
    // whom the spec file is none of theirs (`start` said the stored config.json's).
    fprintf(stderr, "gocker-monitor: invalid spec %s: %s\n", spec_file, refused.c_str());
    g_exit_file = gocker_monitor::ExitFileOf(raw);
    if (!g_exit_file.empty()) WriteExit(125, 0, Now(), "invalid spec: " + refused);
    return 125;
  }
  // A container's init that joins another's pid namespace is seen there until its execve
  // (from its fork into it, or, with a user namespace or before Linux 6.15, from its parent's
  // fork): our binary on the host, as /proc/PID/exe of it, must not be what a process there
  // opens and writes once we are gone (runc CVE-2019-5736), and the caller's environment is
  // none of theirs. As exec mode, from a sealed copy, with the environment put aside.
  if (!exec_mode && spec.pidns_fd >= 0 && !RunningSealed()) {
    fprintf(stderr, "gocker-monitor: %s\n", ExecSealedCopy(argv, true).c_str());
    return 125;
  }
  KeepSavedEnvironment();
  g_exit_file = spec.exit_file;
  // In its own user namespace the child's root is not the host's: it cannot open the v1
  // tasks files to move itself, so we move it, as we do on v2.
  if (spec.in_user()) {
    spec.cgroup_procs.insert(spec.cgroup_procs.end(), spec.cgroup_self.begin(), spec.cgroup_self.end());
    spec.cgroup_self.clear();
  }
  bool detach = spec.detach;
  pid_t parent = getppid();
  if (detach) setsid();

  // hold_fds: what the CLI gave us to keep while the container runs (the sockets holding its
  // published ports); not for the exit command, nor anything it starts.
  for (int fd : spec.hold_fds) fcntl(fd, F_SETFD, FD_CLOEXEC);
  // The exit handoff's socket: ours alone, not the container's (it closes every fd it was not
  // given) nor the exit command's.
  if (spec.exit_handoff_fd >= 0) fcntl(spec.exit_handoff_fd, F_SETFD, FD_CLOEXEC);
  int sync[2], errp[2], ready[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, in[2] = {-1, -1};
  int userns[2] = {-1, -1};  // the monitor says 'm' on it once the child's maps are written
  int relay[2] = {-1, -1};   // a joined user namespace: the intermediate says the init's pid on it
  // A new user namespace made after joining others (JoinThenMakeUser), by an intermediate too.
  const bool user_after_joins = !exec_mode && spec.own_user && (spec.netns_fd >= 0 || spec.ipcns_fd >= 0 || spec.utsns_fd >= 0);
  const bool intermediate = spec.userns_fd >= 0 || user_after_joins;
  if (pipe2(sync, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0 || (!exec_mode && pipe2(ready, O_CLOEXEC) != 0) ||
      (spec.own_user && pipe2(userns, O_CLOEXEC) != 0) || (intermediate && pipe2(relay, O_CLOEXEC) != 0)) {
    WriteExit(125, 0, Now(), std::string("pipe: ") + strerror(errno));
    return 125;
  }
  // Containers log whether detached or not (docker logs works after a foreground run);
  // exec's output is not logged. Either way the container gets pipes (or a pty) that we
  // relay, never the CLI's own stdio: see Pump.
  g_tty = spec.terminal;
  bool logging = !exec_mode && !spec.log_file.empty();
  bool piped = !g_tty && !spec.stdio_inherit;
  // attach: a container's stdio is served on its attach socket (attach.cc); -i then keeps
  // its stdin open for the clients, detached or not. exec relays to the CLI alone, but for
  // exec -t in the foreground, whose terminal is served the same way (and so outlives the
  // CLI's detach).
  bool attachable = !spec.attach_socket.empty();
  bool piped_stdin = piped && spec.stdin_open && (!detach || attachable);
  int log_fd = -1;
  if (logging || detach) {
    log_fd = logging ? open(spec.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640) : open("/dev/null", O_WRONLY | O_CLOEXEC);
  }
  if (logging && log_fd >= 0 && spec.log_max_size > 0) {
    struct stat st;
    g_rotation.fd = log_fd;
    g_rotation.path = spec.log_file;
    g_rotation.max_size = spec.log_max_size;
    g_rotation.max_file = spec.log_max_file;
    g_rotation.size = fstat(log_fd, &st) == 0 ? st.st_size : 0;
  }
  if ((log_fd < 0 && (logging || detach)) || (piped && (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)) ||
      (piped_stdin && pipe2(in, O_CLOEXEC) != 0)) {
    WriteExit(125, 0, Now(), std::string("log: ") + strerror(errno));
    return 125;
  }
  int master = -1;
  int pty_sock[2] = {-1, -1};
  if (g_tty && spec.console_fd >= 0) {
    pty_sock[1] = spec.console_fd;  // the child sends the master to the runtime's caller
  } else if (g_tty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pty_sock) != 0) {
    WriteExit(125, 0, Now(), std::string("socketpair: ") + strerror(errno));
    return 125;
  }
  // exec: the cgroup files are opened now, before joining the container's namespaces hides
  // the host's /sys/fs/cgroup; cgroup_procs: we write the child's pid, cgroup_self (v1
  // tasks): the child writes "0" itself. run: the child joins v1 itself once released, and
  // the v2 files are opened after the fork (the CLI may still be making the cgroups).
  std::vector<int> cg_fds, cg_self_fds;
  std::string cg_error;
  auto open_cgroup_files = [&](const Strings& files, std::vector<int>* fds) {
    for (const std::string& f : files) {
      int fd = open(f.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0 && cg_error.empty()) cg_error = "cgroup " + f + ": " + strerror(errno);
      fds->push_back(fd);
    }
  };
  if (exec_mode) {
    open_cgroup_files(spec.cgroup_procs, &cg_fds);
    open_cgroup_files(spec.cgroup_self, &cg_self_fds);
  }
  int own_pidns = -1;  // to leave the container's pid namespace for the exit command
  // A container's pid namespace joined by its child rather than by us (see Child): not with a
  // user namespace, whose intermediate forks the init already (EnterUserNamespace,
  // JoinThenMakeUser) and which must be joined first.
  // Only where procfs can be told to show that namespace (Linux 6.15); before, the child is
  // in it from its fork on, as runc's init is.
  const bool late_pidns = !exec_mode && spec.pidns_fd >= 0 && !intermediate && !spec.own_user && ProcTakesPidns(spec.pidns_fd);
  int pidns = -1, report[2] = {-1, -1};
  gocker_monitor::AttachServer attach;
  if (exec_mode) {
    // exec -t's socket: bound on the host's path before we join the container's mount
    // namespace, where neither the path nor our /proc/self would be ours.
    std::string listen_error;
    if (attachable && !attach.Listen(spec.attach_socket, &listen_error)) {
      WriteExit(125, 0, Now(), listen_error);
      return 125;
    }
    const std::string& ef = spec.exit_file;
    g_state_dir = open(ef.substr(0, ef.rfind('/')).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (!spec.events_file.empty()) g_events_fd = open(spec.events_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    std::string why;
    // process.oomScoreAdj of an exec: set here, on the host's /proc (the container's has no
    // /proc/self for a process outside its pid namespace), and inherited by the command.
    if (spec.oom_score_adj_set) {
      std::string v = std::to_string(spec.oom_score_adj);
      int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
      if (fd < 0 || !WriteAll(fd, v.data(), v.size())) {
        WriteExit(125, 0, Now(), std::string("oom_score_adj: ") + strerror(errno));
        return 125;
      }
      close(fd);
    }
    if (!JoinNamespaces(spec, &pidns, &why)) {
      WriteExit(125, 0, Now(), why);
      return 125;
    }
    // The command is our grandchild (see Become): once its parent has gone, it is ours to
    // wait for. The report pipe brings its pid. Handed over, it goes to the nearest subreaper
    // above us instead: containerd's shim, which waits for it.
    if ((!spec.hand_over && prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) || pipe2(report, O_CLOEXEC) != 0) {
      WriteExit(125, 0, Now(), std::string("exec: ") + strerror(errno));
      return 125;
    }
  } else if (late_pidns) {
    // The child joins it (Child), and forks the init into it only once it has the command's
    // privileges (Become): the init is our grandchild, whose pid the report pipe brings, and
    // ours to wait for once its parent has gone. Handed over, the shim's, as for exec.
    if ((!spec.hand_over && prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) || pipe2(report, O_CLOEXEC) != 0) {
      WriteExit(125, 0, Now(), std::string("join pid namespace: ") + strerror(errno));
      return 125;
    }
  } else if ((own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0 ||
             (spec.pidns_fd >= 0 ? setns(spec.pidns_fd, CLONE_NEWPID) : spec.own_pid && !spec.in_user() ? unshare(CLONE_NEWPID) : 0) != 0) {
    // CLONE_NEWPID applies to the children we create from now on: the container is PID 1
    // (or, --pid container:NAME, one more process of that container's namespace; --pid
    // host, one of the host's).
    WriteExit(125, 0, Now(), std::string(spec.pidns_fd >= 0 ? "join pid namespace: " : "unshare pid namespace: ") + strerror(errno));
    return 125;
  }
  if (spec.pidns_fd >= 0 && !late_pidns) close(spec.pidns_fd);
  // --ipc shareable: its /dev/shm is a tmpfs on the host, which the container binds and a
  // container joining its IPC namespace binds too; it lives as long as this monitor.
  if (!exec_mode && !spec.shm_path.empty()) {
    std::string opts = "mode=1777,size=" + std::to_string(spec.shm_size);
    if ((mkdir(spec.shm_path.c_str(), 0700) != 0 && errno != EEXIST) ||
        mount("shm", spec.shm_path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts.c_str()) != 0) {
      WriteExit(125, 0, Now(), "shm " + spec.shm_path + ": " + strerror(errno));
      return 125;
    }
  }
  std::string started = Now();
  // A user namespace of its own: made with the pid namespace by the clone, so that the pid
  // namespace (and every one the child makes) is the user namespace's, as runc's are; a raw
  // clone, which glibc's fork cannot pass flags to (we are single-threaded: no lock to reset).
  pid_t pid = spec.own_user && !user_after_joins ? static_cast<pid_t>(syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWPID | SIGCHLD, nullptr, nullptr, nullptr, nullptr)) : fork();
  if (pid < 0) {
    if (!spec.shm_path.empty()) umount2(spec.shm_path.c_str(), MNT_DETACH);
    WriteExit(125, 0, started, std::string("fork: ") + strerror(errno));
    return 125;
  }
  if (pid == 0) {
    close(sync[1]);
    close(errp[0]);
    g_err_fd = errp[1];
    if (user_after_joins) {
      close(userns[1]);
      close(relay[0]);
      JoinThenMakeUser(spec, userns[0], relay[1]);  // returns in the container's init, the intermediate's child
    } else if (spec.own_user) {
      close(userns[1]);
      BecomeNamespaceRoot(userns[0]);
    }
    if (spec.userns_fd >= 0) {
      close(relay[0]);
      EnterUserNamespace(spec, relay[1]);  // returns in the container's init, the intermediate's child
    }
    // exec: into the container's cgroups before anything else. (A failure to open one is
    // the parent's to report: it kills us.)
    for (int fd : cg_self_fds) {
      if (fd >= 0 && write(fd, "0", 1) != 1) Die(kCgroup, errno);
    }
    // From here on we hold nothing of the host's but pipes and a socket to the monitor.
    if (!CloseFdsExcept({sync[0], errp[1], ready[1], pty_sock[1], out[1], err[1], in[0], pidns, report[1], spec.netns_fd, spec.ipcns_fd, spec.utsns_fd, late_pidns ? spec.pidns_fd : -1})) Die(kFds, errno);
    g_state_dir = -1;
    // (Not the init of a joined user namespace: its parent, the intermediate, is gone already.)
    if (!intermediate) prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (g_tty) {
      // stdio comes from the pty in Child()
    } else if (spec.stdio_inherit) {
      // the monitor's own, which its caller (containerd's shim) gave it for the container
    } else {
      if (!piped_stdin) {
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (devnull < 0 || dup2(devnull, 0) < 0) Die(kStdio, errno);
      } else if (dup2(in[0], 0) < 0) {
        Die(kStdio, errno);
      }
      if (dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) Die(kStdio, errno);
    }
    // Signals the monitor ignores or forwards must be default again in the container.
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (pty_sock[0] >= 0) close(pty_sock[0]);
    if (exec_mode) ExecChild(spec, sync[0], pty_sock[1], pidns, report[1]);
    Child(spec, sync[0], pty_sock[1], ready[1], late_pidns ? spec.pidns_fd : -1, report[1]);
  }
  // The user namespace's maps, written from the host to the process that made it (which waits
  // for 'm'); one that cannot be written kills it, and the exit file says why.
  auto write_maps = [&]() -> bool {
    std::string why;
    char m = 'm';
    if (WriteIdMaps(pid, spec, &why) && WriteAll(userns[1], &m, 1)) {
      close(userns[1]);
      return true;
    }
    if (why.empty()) why = std::string("user namespace: ") + strerror(errno);
    kill(pid, SIGKILL);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    if (!spec.shm_path.empty()) umount2(spec.shm_path.c_str(), MNT_DETACH);
    WriteExit(125, 0, started, why);
    return false;
  };
  if (user_after_joins) {
    // The intermediate's user namespace, once it has made it ('u'): its maps are written
    // here, from the host, as for a clone's; nothing said is a failure, on the error pipe.
    close(relay[1]);
    relay[1] = -1;
    close(userns[0]);
    char u = 0;
    ssize_t r;
    do {
      r = read(relay[0], &u, 1);
    } while (r < 0 && errno == EINTR);
    if (r == 1 && u == 'u') {
      if (!write_maps()) return 125;
    } else {
      close(userns[1]);
    }
  }
  if (intermediate) {
    // The intermediate's report: the init's pid (in our pid namespace), or nothing when it
    // failed, which it said on the error pipe.
    if (relay[1] >= 0) close(relay[1]);
    pid_t init = -1;
    ssize_t r;
    do {
      r = read(relay[0], &init, sizeof init);
    } while (r < 0 && errno == EINTR);
    close(relay[0]);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    if (r != static_cast<ssize_t>(sizeof init) || init <= 0) {
      ChildError ce{};
      close(errp[1]);
      std::string why = "join user namespace: the intermediate process failed";
      if (read(errp[0], &ce, sizeof ce) == static_cast<ssize_t>(sizeof ce)) {
        ce.detail[sizeof ce.detail - 1] = '\0';
        why = std::string(StageName(ce.stage)) + (ce.detail[0] ? std::string(" ") + ce.detail : "") + ": " + ErrText(ce.err);
      }
      if (!spec.shm_path.empty()) umount2(spec.shm_path.c_str(), MNT_DETACH);
      WriteExit(125, 0, started, why);
      return 125;
    }
    pid = init;
  }
  g_child = pid;
  if (spec.own_user && !user_after_joins) {
    close(userns[0]);
    if (!write_maps()) return 125;
  }
  for (int fd : cg_self_fds) {
    if (fd >= 0) close(fd);
  }
  if (pidns >= 0) close(pidns);
  if (late_pidns) close(spec.pidns_fd);
  if (report[1] >= 0) close(report[1]);
  close(sync[0]);
  close(errp[1]);
  if (ready[1] >= 0) close(ready[1]);
  if (piped) {
    close(out[1]);
    close(err[1]);
  }
  if (piped_stdin) close(in[0]);
  // The CLI may go away while we still relay to it: a failed write, not a death.
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = Forward;
  sa.sa_flags = SA_RESTART;
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) sigaction(s, &sa, nullptr);

  for (int fd : {spec.netns_fd, spec.ipcns_fd, spec.utsns_fd, spec.userns_fd}) {
    if (fd >= 0) close(fd);
  }
  if (spec.stdio_inherit) {
    // The container's stdio is its own now: ours must not keep the caller's pipes open after
    // the container closes them (the shim waits for their end).
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; devnull >= 0 && fd < 3; fd++) dup2(devnull, fd);
    if (devnull > 2) close(devnull);
  }
  std::string error;
  int early_code = 0;
  // go_fd: the CLI started us before it made the container's cgroups (so that the child's
  // namespaces and mounts are made meanwhile) and says 'g' on this fd once they are ready;
  // 'x' instead means it gave up (and removes the container itself), end of file that it died.
  // Without a release FIFO, a second 'g' on it releases the container once it is created.
  int go_fd = spec.go_fd;
  auto read_go = [&]() {
    char go = 0;
    ssize_t r;
    do {
      r = read(go_fd, &go, 1);
    } while (r < 0 && errno == EINTR);
    if (r == 1 && go == 'x') g_abandoned = true;
    return r == 1 && go == 'g';
  };
  // exec's go fd (with an attach socket) is read once, after the socket listens.
  if (go_fd >= 0 && !exec_mode && !read_go()) {
    error = "gocker exited before the container was started";
    early_code = 125;
  }
  if (go_fd >= 0 && early_code) {
    close(go_fd);
    go_fd = -1;
  }
  if (!exec_mode && !early_code) open_cgroup_files(spec.cgroup_procs, &cg_fds);
  // ---- attach: listening before the container is created, so a client that connects
  // before its release (run -it, start -a) sees everything it prints.
  if (attachable && !exec_mode && !early_code && !attach.Listen(spec.attach_socket, &error)) early_code = 125;
  attach.Hold(spec.hold_fds);
  // exec -t: 'l' once the socket listens (or the end of the pipe: the exit file says why),
  // and the CLI says 'g' once it is a client, so that it sees all the command prints.
  if (exec_mode && go_fd >= 0) {
    if (spec.report_fd >= 0) {
      char l = 'l';
      if (!early_code) WriteAll(spec.report_fd, &l, 1);
      close(spec.report_fd);
    }
    if (!early_code && !read_go()) {
      error = "gocker exited before the command was started";
      early_code = 125;
    }
    close(go_fd);
    go_fd = -1;
  }
  // ---- end attach
  const std::string& oom_file = spec.oom_events;
  long oom_before = early_code ? -1 : OomKills(oom_file);
  if (!early_code && !spec.device_bpf.empty() && !AttachDeviceProgram(spec.device_bpf, spec.device_cgroup, &error)) early_code = 125;
  // Into the cgroups before the child runs anything of its own.
  if (!early_code && !cg_error.empty()) {
    error = cg_error;
    early_code = 125;
  }
  for (int fd : cg_fds) {
    std::string p = std::to_string(pid);
    if (!early_code && !WriteAll(fd, p.data(), p.size())) {
      error = std::string("cgroup: ") + strerror(errno);
      early_code = 125;
    }
    if (fd >= 0) close(fd);
  }
  bool never_created = false;
  if (!exec_mode && !early_code) {
    std::string why;
    switch (Create(spec, &pid, late_pidns ? report[0] : -1, ready[0], go_fd, sync[1], &attach, &why)) {
      case kReleased:
        break;
      case kChildFailed:  // the error pipe says why
        // create: a container that never came to be, which the engine removes; dockerd logs
        // no die (nor create) for a create that failed.
        never_created = !spec.release_fifo.empty();
        break;
      case kNotReleased:
        error = why;
        early_code = 125;
        break;
      case kKilled:
        error = why;
        early_code = 128 + SIGKILL;
        break;
    }
  }
  if (late_pidns) close(report[0]);
  const bool released = !exec_mode && !early_code && !never_created;  // a container's run, which ends in a die event
  if (ready[0] >= 0) close(ready[0]);
  if (go_fd >= 0) close(go_fd);
  started = Now();
  if (early_code) {
    kill(pid, SIGKILL);
  } else {
    char go = 'g';
    WriteAll(sync[1], &go, 1);
  }
  close(sync[1]);
  if (g_tty && spec.console_fd >= 0) {
    close(spec.console_fd);
  } else if (g_tty) {
    close(pty_sock[1]);
    master = RecvFd(pty_sock[0]);  // -1 when the child failed before: the error pipe says why
    if (attachable) {
      if (master >= 0) attach.Prime(master);  // the size the clients waiting asked for
    } else if (master >= 0 && isatty(0)) {
      CopyWinsize(0, master);
    }
    char ack = 'a';
    WriteAll(pty_sock[0], &ack, 1);
    close(pty_sock[0]);
  }
  bool no_command = false;
  if (exec_mode) {
    // The command's process, forked by the child once it had dropped what the command may
    // not have; the child itself is over.
    pid_t command = -1;
    ssize_t r;
    do {
      r = read(report[0], &command, sizeof command);
    } while (r < 0 && errno == EINTR);
    close(report[0]);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    no_command = r != static_cast<ssize_t>(sizeof command) || command <= 0;
    if (!no_command) {
      pid = command;
      g_child = pid;
      WriteFileAtomic(spec.pid_file, std::to_string(pid) + "\n");
    }
  }
  // The command's exit, for the relays: they stop there, whoever else holds its pipes.
  int pidfd = no_command ? -1 : static_cast<int>(syscall(SYS_pidfd_open, pid, 0));

  ChildError ce{};
  ssize_t n;
  do {
    n = read(errp[0], &ce, sizeof ce);
    // Written by a process the container may reach (ptrace): its text ends within the record.
    if (n == static_cast<ssize_t>(sizeof ce)) ce.detail[sizeof ce.detail - 1] = '\0';
  } while (n < 0 && errno == EINTR);
  close(errp[0]);
  // The error pipe closed without a report: execve succeeded. Said in a file of its own, so
  // `run -d` can tell "started" from "about to fail" without guessing how long to wait.
  bool exec_started = n == 0 && !early_code && !no_command;
  if (exec_started && !spec.started_file.empty()) WriteFileAtomic(spec.started_file, std::to_string(pid) + "\n");
  if (n == static_cast<ssize_t>(sizeof ce)) {
    // Not found -> 127, not executable -> 126, as docker.
    if (ce.stage == kExec && (ce.err == ENOENT || ce.err == ENOTDIR)) {
      early_code = 127;
      error = "exec: " + GoQuote(ce.detail) + ": executable file not found in $PATH";
      if (strchr(ce.detail, '/')) error = "exec: " + GoQuote(ce.detail) + ": no such file or directory";
      if (!strcmp(ce.detail, "no command specified")) early_code = 125, error = "no command specified";
    } else if (ce.stage == kExec && (ce.err == EACCES || ce.err == ENOEXEC || ce.err == EISDIR)) {
      early_code = 126;
      error = "exec: " + GoQuote(ce.detail) + ": " + ErrText(ce.err == EISDIR ? EACCES : ce.err);
    } else if (ce.stage == kCwd && ce.err != ENOSYS) {
      // runc's words: its chdir's failure, naming the cwd with %q (the spec's, which the
      // child's detail may have cut short), or its verifyCwd's (err 0). An exec's is 126, the
      // code dockerd gives an exec that did not start.
      early_code = exec_mode ? 126 : 125;
      error = ce.err == 0 ? std::string(ce.detail) : "chdir to cwd (" + GoQuote(spec.cwd) + ") set in config.json failed: " + ErrText(ce.err);
    } else if (ce.stage == kHook && ce.err == 0) {
      early_code = 125;
      error = ce.detail;  // says which hook, and how it failed
    } else {
      early_code = 125;
      error = std::string(StageName(ce.stage)) + (ce.detail[0] ? std::string(" ") + ce.detail : "") + ": " + ErrText(ce.err);
    }
  }
  if (no_command && !early_code) {
    early_code = 125;
    error = "exec: the command's process was not started";
  }
  // Handed over: the command runs, and its parent from now on is the subreaper above us (the
  // shim), which reaps it and so learns its exit status: nothing is left for us to do.
  if (spec.hand_over && exec_started) return 0;

  if (attachable) {
    // ---- attach: the CLI's own stdio only for a foreground run without -t; with -t the
    // CLI attaches through the socket as any other client.
    gocker_monitor::AttachIo io;
    io.tty = g_tty;
    io.out = g_tty ? master : out[0];
    io.err = g_tty ? -1 : err[0];
    io.in = g_tty ? (spec.stdin_open ? master : -1) : (piped_stdin ? in[1] : -1);
    if (!g_tty && !detach) {
      io.local_out = 1;
      io.local_err = 2;
      io.local_in = piped_stdin ? 0 : -1;
    }
    io.pidfd = pidfd;
    g_log_fd = log_fd;
    if (log_fd >= 0) io.log = LogOutput;
    attach.Relay(io);
    // ---- end attach
  } else if (g_tty && master >= 0 && detach) {
    Pump(master, -1, -1, log_fd, false, pidfd);
  } else if (g_tty && master >= 0) {
    RelayPty(master, spec.stdin_open, log_fd, pidfd);
  } else if (piped) {
    Pump(out[0], err[0], piped_stdin ? in[1] : -1, log_fd, !detach, pidfd);
  }

  int status = 0;
  // Handed over, the container's init is never ours to reap, even when it failed before its
  // command ran: the shim learns of its end only by reaping it itself, once we are gone.
  while (!(spec.hand_over && !exec_mode) && waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) break;
  }
  // Without a pid namespace of its own (--pid host, or another container's) nothing ends
  // what the command left running when it ends: as runc, what is left in its cgroup is
  // killed before the exit is reported.
  if (!exec_mode && !spec.own_pid) KillCgroupLeftovers(spec);
  if (!exec_mode && !spec.shm_path.empty()) umount2(spec.shm_path.c_str(), MNT_DETACH);
  int code, sig = 0;
  if (early_code) {
    code = early_code;
  } else if (WIFSIGNALED(status)) {
    sig = WTERMSIG(status);
    code = 128 + sig;
  } else {
    code = WEXITSTATUS(status);
  }
  long oom_after = OomKills(oom_file);
  // What the container held while it ran goes at its exit, whoever watches: its cgroup here
  // (its OOM kills counted above), read before it goes.
  if (released && spec.release_cgroup) ReleaseCgroups(spec);
  // --rm: what removes the container once it has exited (podman's exit command). In the
  // foreground the CLI removes it itself, unless the CLI is gone (we were reparented).
  // exit-command-if: the restart policies' command, needed only once the container has a
  // policy, which `update --restart` may give it while it runs: the marker says so, and an
  // exit without one costs no process. exit-command-release: the same command, to take down
  // what only the engine can (its published ports' rules), marked when there is such a thing.
  // Decided before the exit is written, which says whether a policy's command follows it:
  // from the exit on, the engine shows the container restarting when the policy restarts it
  // (as dockerd marks it at the exit), not exited for the time the command takes to start,
  // when `rm` removed it.
  Strings exit_cmd = spec.exit_command;
  auto marked = [](const std::string& f) { return !f.empty() && access(f.c_str(), F_OK) == 0; };
  bool policy_marked = marked(spec.exit_command_if);
  bool wanted = (spec.exit_command_if.empty() && spec.exit_command_release.empty()) || policy_marked || marked(spec.exit_command_release);
  bool run_exit_cmd = !exit_cmd.empty() && wanted && !g_abandoned && (detach || getppid() != parent);
  bool policy = run_exit_cmd && released && exec_started && policy_marked;
  WriteExit(code, sig, started, error, oom_before >= 0 && oom_after > oom_before, policy);
  if (released) RecordExitEvents(spec, code, oom_before >= 0 && oom_after > oom_before, false);
  // exec -d: its exec_die, which a CLI in the foreground records itself.
  // exec -t through the attach socket too: its CLI may have detached.
  if (exec_mode && (detach || attachable) && exec_started) RecordExitEvents(spec, code, false, true);
  attach.Finish(code);  // attach: after exit.json, which a client may read on the exit frame
  // exec -d: the CLI has gone once the command started; the monitor takes its files with it.
  // One that did not start keeps its result, for the CLI waiting to say why.
  if (exec_mode && (detach || attachable) && g_state_dir >= 0) {
    std::string base = g_exit_file.substr(g_exit_file.rfind('/') + 1);
    base = base.substr(0, base.rfind('.'));
    for (const char* ext : {".pid", ".spec"}) unlinkat(g_state_dir, (base + ext).c_str(), 0);
    // exec -t's CLI may have detached: nobody else would take its started file.
    if (attachable) unlinkat(g_state_dir, (base + ".started").c_str(), 0);
    if (exec_started) unlinkat(g_state_dir, (base + ".json").c_str(), 0);
  }
  // Offered to the library that launched it first: handled there, there is nothing to run.
  if (run_exit_cmd && spec.exit_handoff_fd >= 0 && HandOffExit(spec.exit_handoff_fd)) return code;
  if (run_exit_cmd) {
    // Our children still go to the container's pid namespace, which died with it: neither
    // a fork nor the threads Node starts would work there. Back to our own first.
    if (own_pidns >= 0) setns(own_pidns, CLONE_NEWPID);
    // Nothing of the container's stdio: a foreground CLI's own (reparented: it is gone, but
    // what it wrote to may still be read, a pipe's reader waiting for its end) is not held
    // for the time the command takes.
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
      for (int fd = 0; fd < 3; fd++) dup2(null, fd);
      close(null);
    }
    std::vector<char*> args, envp;
    for (std::string& a : exit_cmd) args.push_back(a.data());
    args.push_back(nullptr);
    std::vector<std::string> env = SavedEnvironment();
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    execve(args[0], args.data(), envp.data());
  }
  return code;
}
