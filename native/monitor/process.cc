// gocker-monitor's child: from the fork to the container's execve. It makes or joins the
// container's namespaces, has its mounts and devices made (mounts.cc, devices.cc), waits to be
// placed in its cgroups, pivots into its root, and becomes its process: rlimits, user,
// capabilities, no_new_privs, seccomp, the working directory, the command.
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "monitor.h"
#include "seccomp.h"
#include "spec.h"
#include "sys.h"
#include "util.h"

namespace gocker_monitor {

// ---- the child: everything from here to execve runs in the container's namespaces ----

const char* StageName(int s) {
  switch (s) {
    case kSync: return "sync";
    case kUnshare: return "unshare";
    case kMountPrivate: return "make mounts private";
    case kRootfs: return "mount rootfs";
    case kMount: return "mount";
    case kDevice: return "create device";
    case kHostname: return "sethostname";
    case kPivot: return "pivot_root";
    case kMask: return "mask path";
    case kReadonly: return "readonly path";
    case kRlimit: return "setrlimit";
    case kUser: return "set user";
    case kCaps: return "set capabilities";
    case kNoNewPrivs: return "no_new_privs";
    case kCwd: return "chdir to working directory";
    case kExec: return "exec";
    case kNetwork: return "set up loopback";
    case kJoinNetwork: return "join network namespace";
    case kStdio: return "stdio";
    case kCgroup: return "join cgroup";
    case kKeyring: return "join session keyring";
    case kFds: return "close inherited fds";
    case kSeccomp: return "seccomp";
    case kSysctl: return "write sysctl";
    case kOomScoreAdj: return "oom_score_adj";
    case kHook: return "hook";
  }
  return "setup";
}

int g_err_fd = -1;

// The kernel feature the last call that failed with ENOSYS needed: on an old kernel the
// error then names it ("openat2 (Linux 5.6)") rather than a bare "function not implemented".
const char* g_missing = nullptr;

[[noreturn]] void Die(int stage, int err, const std::string& detail) {
  ChildError e{};
  e.stage = stage;
  e.err = err;
  if (err == ENOSYS && g_missing) {
    snprintf(e.detail, sizeof e.detail, "%s%sthis kernel lacks %s", detail.c_str(), detail.empty() ? "" : ": ", g_missing);
  } else {
    snprintf(e.detail, sizeof e.detail, "%s", detail.c_str());
  }
  WriteAll(g_err_fd, &e, sizeof e);
  _exit(1);
}

// Closes every fd from 3 on but those in keep. The monitor holds host fds (the state dir,
// cgroup files, the CLI's pipe); a process the container can see must hold none of them,
// not even close-on-exec ones: until execve they are reachable through /proc/PID/fd and
// chdir("/proc/self/fd/N") (runc CVE-2024-21626).
bool CloseFdsExcept(std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned lo = 3;
  auto close_upto = [&](unsigned hi) -> bool {
    if (hi < lo) return true;
    if (syscall(SYS_close_range, lo, hi, 0) == 0) return true;
    if (errno != ENOSYS) return false;
    // Before Linux 5.9: one by one, up to the limit nothing above can be open.
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = lo; fd <= static_cast<long>(hi) && fd < (max > 0 ? max : 1048576); fd++) close(static_cast<int>(fd));
    return true;
  };
  for (int k : keep) {
    if (k < static_cast<int>(lo)) continue;
    if (!close_upto(static_cast<unsigned>(k) - 1)) return false;
    lo = static_cast<unsigned>(k) + 1;
  }
  return close_upto(~0U);
}

void LoopbackUp() {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) Die(kNetwork, errno);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) Die(kNetwork, errno);
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) Die(kNetwork, errno);
  close(s);
}

// The container's seccomp filter (docker's default profile unless unconfined), compiled by
// TypeScript with libseccomp and carried in the spec; none for unconfined and --privileged.
void ApplySeccomp(const Spec& spec) {
  if (spec.seccomp_bpf.empty()) return;
  int e = gocker_monitor::LoadSeccomp(spec.seccomp_bpf, spec.seccomp_flags);
  if (e != 0) Die(kSeccomp, e);
}

// hooks.startContainer, each in turn, as runc runs them: in the container, after pivot_root
// and the switch to its user and capabilities, right before its command; the state on stdin
// (status created, pid as the container sees its init). The first that fails, or outlives its
// timeout, fails the start with what it printed.
void RunStartContainerHooks(const Spec& spec) {
  const std::string rest = spec.hook_state.size() > 2 ? "," + spec.hook_state.substr(1) : "}";
  const std::string state = "{\"pid\":" + std::to_string(getpid()) + ",\"status\":\"created\"" + rest;
  for (size_t i = 0; i < spec.start_container_hooks.size(); i++) {
    const gocker_monitor::Hook& h = spec.start_container_hooks[i];
    const std::string w = "startContainer hook #" + std::to_string(i);
    std::vector<char*> argv, envp;
    for (const auto& a : h.args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : h.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) Die(kHook, errno, w + ": pipe");
    pid_t pid = fork();
    if (pid < 0) Die(kHook, errno, w + ": fork");
    if (pid == 0) {
      if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0) _exit(127);
      execve(h.path.c_str(), argv.data(), envp.data());
      dprintf(2, "exec %s: %s", h.path.c_str(), strerror(errno));
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    WriteAll(in[1], state.data(), state.size());  // a hook that reads none of it is no error
    close(in[1]);
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    bool done = true;
    if (pidfd >= 0 && h.timeout > 0) {
      struct pollfd pf = {pidfd, POLLIN, 0};
      int r;
      do {
        r = poll(&pf, 1, h.timeout * 1000);
      } while (r < 0 && errno == EINTR);
      done = r == 1;
    }
    if (!done) kill(pid, SIGKILL);
    if (pidfd >= 0) close(pidfd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    std::string output;
    char buf[512];
    ssize_t n;
    while (output.size() < 200 && (n = read(out[0], buf, sizeof buf)) > 0) output.append(buf, static_cast<size_t>(n));
    close(out[0]);
    while (!output.empty() && output.back() == '\n') output.pop_back();
    if (!done) Die(kHook, 0, w + ": timeout after " + std::to_string(h.timeout) + "s");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::string how = WIFSIGNALED(status) ? std::string("killed by ") + strsignal(WTERMSIG(status)) : "exit status " + std::to_string(WEXITSTATUS(status));
      Die(kHook, 0, w + ": " + how + (output.empty() ? "" : ", output: " + output));
    }
  }
}

// process.rlimits as the spec gives them (TS has already checked them against the hard limits).
void SetRlimits(const Spec& spec) {
  for (const gocker_monitor::Rlimit& r : spec.rlimits) {
    struct rlimit rl = {r.soft, r.hard};
    if (g_sys->Setrlimit(r.resource, &rl) != 0) Die(kRlimit, errno, r.name);
  }
}

// The bounding set cut to the spec's, and no ambient capability left, while we are still
// root with every capability (dropping one needs CAP_SETPCAP).
void DropBoundingSet(const Spec& spec) {
  const uint64_t keep = spec.bounding;
  int last_cap = 40;
  {
    std::string s;
    if (ReadFile("/proc/sys/kernel/cap_last_cap", &s)) last_cap = atoi(s.c_str());
  }
  for (int cap = 0; cap <= last_cap; cap++) {
    if (!(keep & (1ULL << cap)) && g_sys->Prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) Die(kCaps, errno);
  }
  g_sys->Prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

// After the switch to the spec's user.
void SetCapabilities(const Spec& spec) {
  // The sets as the spec has them (docker's: root keeps the chosen set in effective and
  // permitted, others get none), then the ambient ones, which must be in both of those.
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  data[0].effective = static_cast<uint32_t>(spec.effective);
  data[1].effective = static_cast<uint32_t>(spec.effective >> 32);
  data[0].permitted = static_cast<uint32_t>(spec.permitted);
  data[1].permitted = static_cast<uint32_t>(spec.permitted >> 32);
  data[0].inheritable = static_cast<uint32_t>(spec.inheritable);
  data[1].inheritable = static_cast<uint32_t>(spec.inheritable >> 32);
  if (g_sys->Capset(&hdr, data) != 0) Die(kCaps, errno);
  for (int cap = 0; cap < 64; cap++) {
    if ((spec.ambient & (1ULL << cap)) && g_sys->Prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) Die(kCaps, errno, "ambient");
  }
}

// Forks the process that goes on, says its pid on report_fd and goes; returns in the child.
// (Its parent from then on is the nearest subreaper: the monitor, or the shim above it.)
static void ForkAndGo(int report_fd, int stage, const char* what) {
  pid_t child = fork();
  if (child < 0) Die(stage, errno, what);
  if (child == 0) {
    close(report_fd);
    return;
  }
  WriteAll(report_fd, &child, sizeof child);
  _exit(0);
}

// The last steps, shared by run and exec: terminal, limits, user, capabilities, cwd, execve.
// report_fd (exec): the process that does all this is not in the container's pid namespace,
// and forks the one that execs the command into it only once it has no more privileges than
// the command will have; that one's pid goes to the monitor on report_fd. A process the
// container can see never holds more: non-dumpable does not keep out a container root with
// CAP_SYS_PTRACE, which has it in the host's user namespace.
[[noreturn]] void Become(const Spec& spec, int pty_sock, int report_fd, int release_fd, int init_report_fd) {
  // release_fd (a container's init): everything up to the command's privileges is done
  // before the release, so that a process which joined the pid namespace, however
  // privileged, only ever sees this one as the command's. The pty's master goes to the
  // monitor after it (the monitor takes it once it has released us), so the pty is opened
  // then, with the command's privileges; a console's slave is open already (SendConsole).
  const bool pty_later = release_fd >= 0 && pty_sock >= 0;
  int pty = pty_sock >= 0 && !pty_later ? OpenPty(pty_sock, spec.console_fd >= 0) : -1;
  if (!g_console_slave.empty() && (pty = open(g_console_slave.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) Die(kStdio, errno, g_console_slave);
  if (pty >= 0 && report_fd < 0) TakePty(pty);

  SetRlimits(spec);
  DropBoundingSet(spec);

  // A container's working directory is created if the image lacks it (as root, before the
  // user switch), as docker does; an exec's must be there already, a directory, as runc's
  // chdir wants it (report_fd: an exec): nothing of the container is made for it. It is
  // resolved inside the container's root, symlinks included, and never through a magic link
  // (/proc/self/fd/N, /proc/PID/cwd): those could name a directory outside the root, which
  // chdir would happily enter (runc CVE-2024-21626).
  const std::string& cwd = spec.cwd;
  int cwd_fd;
  {
    int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) Die(kCwd, errno, "/");
    cwd_fd = report_fd >= 0
      ? static_cast<int>(Openat2(root, cwd.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS))
      : OpenDest(root, cwd, false, false);
    if (cwd_fd < 0) Die(kCwd, errno, cwd);
    close(root);
  }

  const uid_t uid = spec.uid;
  const gid_t gid = spec.gid;
  const std::vector<gid_t>& groups = spec.groups;
  // Loading a filter takes CAP_SYS_ADMIN or no_new_privs. Without no_new_privs it goes in
  // here, before the user switch and capset drop our capabilities (as runc); the profile
  // allows the few calls left. With it, right before execve (exec: before the fork), the
  // latest point.
  const bool nnp = spec.no_new_privs;
  if (!nnp) ApplySeccomp(spec);
  if (setgroups(groups.size(), groups.data()) != 0) Die(kUser, errno, "setgroups");
  if (setresgid(gid, gid, gid) != 0) Die(kUser, errno, "setgid");
  // A user but root keeps the permitted set the spec gives it only with keepcaps across the
  // switch (which then empties effective; capset below sets it again).
  if (uid != 0 && spec.permitted && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) Die(kUser, errno, "keepcaps");
  if (setresuid(uid, uid, uid) != 0) Die(kUser, errno, "setuid");
  if (uid != 0 && spec.permitted && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) Die(kUser, errno, "keepcaps");
  // A change of credentials clears the parent-death signal: set it again, then make sure
  // the monitor did not die before it was set (getppid() is 0 in a new pid namespace, so
  // ask the error pipe: its write end reports POLLERR once the monitor's read end is gone).
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) Die(kUser, errno, "pdeathsig");
  {
    struct pollfd pf = {g_err_fd, POLLOUT, 0};
    if (poll(&pf, 1, 0) == 1 && (pf.revents & POLLERR)) _exit(1);
  }

  SetCapabilities(spec);
  if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) Die(kNoNewPrivs, errno);

  // As the user, so that its permissions apply; then checked: a cwd the root cannot reach
  // reads "(unreachable)/..." (the kernel's getcwd), never a path starting with '/'. Said in
  // runc's words (verifyCwd), as err 0: the words are the whole error.
  if (fchdir(cwd_fd) != 0) Die(kCwd, errno, cwd);
  close(cwd_fd);
  {
    char buf[4096];
    long n = syscall(SYS_getcwd, buf, sizeof buf);
    if (n <= 0) Die(kCwd, 0, "failed to verify if current working directory is safe: " + ErrText(errno));
    if (buf[0] != '/') Die(kCwd, 0, "current working directory is outside of container mount namespace root -- possible container breakout detected");
  }

  if (spec.umask >= 0) umask(static_cast<mode_t>(spec.umask));

  bool filtered = !nnp;
  if (release_fd >= 0) {
    if (init_report_fd >= 0) {
      // A pid namespace joined (--pid container:NAME, a pod's): we made all of the above
      // outside it, on the host's root at first and with every capability, where none of
      // its processes could reach us; the init it sees is forked now, with nothing more
      // than the command's, the filter included (as exec's command). Its pid goes to the
      // monitor, a subreaper, whose child it becomes once we have gone.
      if (nnp) ApplySeccomp(spec);
      filtered = true;
      ForkAndGo(init_report_fd, kUnshare, "fork into the pid namespace");
    }
    // As runc's exec.fifo: the wait for `start` comes once our root, masks, limits, user,
    // capabilities and (without no_new_privs) filter are the command's.
    WaitForParent(release_fd, 'g');
    if (init_report_fd >= 0 && !spec.hand_over) {
      // Our parent was the process that forked us, which has gone: the monitor, that
      // reaped it before it released us, is ours now, and its death must end us too.
      if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) Die(kUser, errno, "pdeathsig");
      struct pollfd pf = {g_err_fd, POLLOUT, 0};
      if (poll(&pf, 1, 0) == 1 && (pf.revents & POLLERR)) _exit(1);
    }
    if (pty_later) TakePty(OpenPty(pty_sock, false));
  }
  if (report_fd < 0) RunStartContainerHooks(spec);

  const Strings& args = spec.args;
  const Strings& envs = spec.env;
  std::vector<char*> argv, envp;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : envs) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  if (args.empty()) Die(kExec, ENOENT, "no command specified");

  if (report_fd >= 0) {
    // exec: everything is dropped but the filter (when it waits for no_new_privs): then the
    // command's process, in the container's pid namespace; we go, and the monitor (a
    // subreaper) becomes its parent.
    if (nnp) ApplySeccomp(spec);
    ForkAndGo(report_fd, kExec, "fork");
    if (pty >= 0) TakePty(pty);
  }

  // Every fd but stdio closes on exec (the error pipe too, which is how the parent learns
  // that execve succeeded).
  syscall(SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
  // Handed over (gocker-runtime): the monitor goes once we run, and the command must outlive it.
  if (spec.hand_over && report_fd < 0 && prctl(PR_SET_PDEATHSIG, 0) != 0) Die(kUser, errno, "pdeathsig");
  if (!filtered && report_fd < 0) ApplySeccomp(spec);

  const std::string& file = args[0];
  if (file.find('/') != std::string::npos) {
    execve(file.c_str(), argv.data(), envp.data());
    Die(kExec, errno, file);
  }
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (auto& e : envs) {
    if (e.compare(0, 5, "PATH=") == 0) path = e.substr(5);
  }
  int saw_eacces = 0;
  for (const std::string& dir : Split(path, ':')) {
    std::string cand = (dir.empty() ? "." : dir) + "/" + file;
    execve(cand.c_str(), argv.data(), envp.data());
    if (errno == EACCES) saw_eacces = EACCES;
    else if (errno != ENOENT && errno != ENOTDIR) Die(kExec, errno, file);
  }
  Die(kExec, saw_eacces ? EACCES : ENOENT, file);
}

// A session keyring of our own: the one inherited is the host's (the CLI's), and keys are
// not namespaced, so a container would otherwise read or link keys there (as runc does).
// Anonymous: nothing else is to join it. Before the seccomp filter, which refuses keyctl.
void JoinNewKeyring() {
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr) < 0 && errno != ENOSYS) Die(kKeyring, errno);
}

// process.oomScoreAdj, before anything of the container's runs (exec: for its command too).
void ApplyOomScoreAdj(const Spec& spec) {
  if (!spec.oom_score_adj_set) return;
  std::string v = std::to_string(spec.oom_score_adj);
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0 || !WriteAll(fd, v.data(), v.size())) Die(kOomScoreAdj, errno, "oom_score_adj");
  close(fd);
}

// Blocks until the monitor says `want` on sync_fd: 'p', placed in our cgroups (and, for a
// container, configured from outside), or 'g', released; 0: any byte. The fd is closed after
// the last byte it brings (the release, or exec's one byte).
void WaitForParent(int sync_fd, char want) {
  char c;
  ssize_t n;
  do {
    n = read(sync_fd, &c, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) Die(kSync, n < 0 ? errno : EPIPE);
  if (want && c != want) Die(kSync, EPROTO);
  if (want != 'p') close(sync_fd);
}

// The child's uid_map and gid_map, written from the host's user namespace (we have
// CAP_SETUID and CAP_SETGID there, so any host IDs may be mapped, and setgroups stays allowed).
bool WriteIdMaps(pid_t pid, const Spec& spec, std::string* why) {
  for (bool uid : {true, false}) {
    std::string text;
    for (const gocker_monitor::IdMapping& m : uid ? spec.uid_mappings : spec.gid_mappings) {
      text += std::to_string(m.container) + " " + std::to_string(m.host) + " " + std::to_string(m.size) + "\n";
    }
    std::string file = "/proc/" + std::to_string(pid) + (uid ? "/uid_map" : "/gid_map");
    int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
    // One write: the kernel takes a map whole, once.
    if (fd < 0 || write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      *why = std::string(uid ? "linux.uidMappings" : "linux.gidMappings") + ": " + strerror(errno);
      if (fd >= 0) close(fd);
      return false;
    }
    close(fd);
  }
  return true;
}

// A user namespace joined (a pod's sandbox's): this process, the monitor's child, enters it
// and becomes its root, makes the container's pid namespace there (a pid namespace belongs to
// the user namespace of whoever makes it, and the container's root may mount proc only for
// its own), forks the container's init into it, says the init's pid and goes: the init, handed
// over, is reparented to the shim above the monitor, which reaps it.
// The intermediate's last step: forks the container's init, says its pid on relay_fd and
// goes; returns in the init.
static void ForkInitAndGo(int relay_fd) { ForkAndGo(relay_fd, kUnshare, "fork"); }

void EnterUserNamespace(const Spec& spec, int relay_fd) {
  if (setns(spec.userns_fd, CLONE_NEWUSER) != 0) Die(kUnshare, errno, "setns user");
  close(spec.userns_fd);
  if (setresgid(0, 0, 0) != 0) Die(kUser, errno, "setgid 0 in the user namespace");
  if (setresuid(0, 0, 0) != 0) Die(kUser, errno, "setuid 0 in the user namespace");
  if (spec.own_pid && unshare(CLONE_NEWPID) != 0) Die(kUnshare, errno, "pid namespace");
  ForkInitAndGo(relay_fd);
}

// In a new user namespace, once the monitor has written its maps: root of it (its 0, which
// the maps make a host ID), with every capability in it, before anything else is made.
void BecomeNamespaceRoot(int maps_fd) {
  char c;
  ssize_t n;
  do {
    n = read(maps_fd, &c, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) Die(kUser, n < 0 ? errno : EPIPE, "user namespace maps");
  close(maps_fd);
  if (setresgid(0, 0, 0) != 0) Die(kUser, errno, "setgid 0 in the user namespace");
  if (setresuid(0, 0, 0) != 0) Die(kUser, errno, "setuid 0 in the user namespace");
}

// The network, IPC and UTS namespaces the spec joins, once: by Child, or before a new user
// namespace is made (JoinThenMakeUser). netns_fd: another container's network namespace
// (--network container:NAME), opened by the CLI from that container's verified process;
// ipcns_fd the same for --ipc container:; utsns_fd a pod's sandbox's (gocker-runtime opened
// each from the spec's path).
void JoinGivenNamespaces(const Spec& spec) {
  static bool joined = false;
  if (joined) return;
  joined = true;
  if (spec.netns_fd >= 0) {
    if (setns(spec.netns_fd, CLONE_NEWNET) != 0) Die(kJoinNetwork, errno);
    close(spec.netns_fd);
  }
  if (spec.ipcns_fd >= 0) {
    if (setns(spec.ipcns_fd, CLONE_NEWIPC) != 0) Die(kUnshare, errno, "setns ipc");
    close(spec.ipcns_fd);
  }
  if (spec.utsns_fd >= 0) {
    if (setns(spec.utsns_fd, CLONE_NEWUTS) != 0) Die(kUnshare, errno, "setns uts");
    close(spec.utsns_fd);
  }
}

// A new user namespace with network, IPC or UTS namespaces joined (runc's order, in its
// nsexec): each of those belongs to the user namespace that made it (the host's, a pod
// sandbox's), where the new namespace's root has no privilege, so they are joined first, by
// this process, the monitor's child, while it is still the host's root. Then the user
// namespace is made, the monitor told ('u' on relay_fd) to write its maps, and, root of it,
// the pid namespace is made in it and the container's init forked there, handed over as in
// EnterUserNamespace: the init's pid goes on relay_fd, and this intermediate goes.
void JoinThenMakeUser(const Spec& spec, int maps_fd, int relay_fd) {
  JoinGivenNamespaces(spec);
  if (unshare(CLONE_NEWUSER) != 0) Die(kUnshare, errno, "user namespace");
  char u = 'u';
  if (!WriteAll(relay_fd, &u, 1)) Die(kUser, errno, "user namespace maps");
  BecomeNamespaceRoot(maps_fd);
  if (unshare(CLONE_NEWPID) != 0) Die(kUnshare, errno, "pid namespace");
  ForkInitAndGo(relay_fd);
}

[[noreturn]] void Child(const Spec& spec, int sync_fd, int pty_sock, int ready_fd, int join_pidns, int init_report_fd) {
  // A pid namespace to join: set for the children we make, not for us (the kernel moves no
  // process into one), while we hold every capability; we make no child until Become forks
  // the init, once it has the command's privileges. Until then no process of that namespace
  // sees us: one with CAP_SYS_PTRACE would otherwise reach the host through our /proc/N/root
  // for as long as the set-up below takes. The container's /proc is that namespace's
  // (DoMount), and the fd closes at the command's execve.
  if (join_pidns >= 0) {
    if (setns(join_pidns, CLONE_NEWPID) != 0) Die(kUnshare, errno, "join pid namespace");
    g_proc_pidns = join_pidns;
  }
  // The namespaces, the root filesystem, the mounts before the cgroup ones, /dev's nodes and
  // the hostname are made while the monitor (and, on a first start, the CLI) is still
  // preparing the cgroups: as runc, the container's namespaces but its cgroup one come
  // before it is placed in its cgroups.
  int ns = CLONE_NEWNS | (spec.own_uts ? CLONE_NEWUTS : 0) | (spec.own_ipc ? CLONE_NEWIPC : 0);
  JoinGivenNamespaces(spec);
  bool own_net = spec.own_network;
  if (own_net) ns |= CLONE_NEWNET;
  if (unshare(ns) != 0) Die(kUnshare, errno);
  if (own_net) LoopbackUp();
  ApplyOomScoreAdj(spec);
  const std::vector<Mount>& mounts = spec.mounts;
  std::map<size_t, int> clones = ClonePropagating(mounts);
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) Die(kMountPrivate, errno);

  int root = MountRootfs(spec);

  size_t first_cgroup = 0;
  auto clone_of = [&clones](size_t i) { auto it = clones.find(i); return it == clones.end() ? -1 : it->second; };
  for (; first_cgroup < mounts.size() && !CgroupMount(mounts[first_cgroup]); first_cgroup++) DoMount(root, mounts[first_cgroup], clone_of(first_cgroup));

  for (const Device& d : spec.devices) MakeDevice(root, d, spec.in_user());
  MakeDevLinks(root);
  const std::string& hostname = spec.hostname;
  if (!hostname.empty() && sethostname(hostname.c_str(), hostname.size()) != 0) Die(kHostname, errno);
  JoinNewKeyring();

  if (spec.console_fd >= 0) {
    SendConsole(root, pty_sock);
    pty_sock = -1;
  }
  // Our namespaces are there (the monitor reports the container created, and whoever
  // created it may configure them from outside, its network namespace say) and nothing of
  // the container's has run: we wait until that is done and we are placed in our cgroups.
  // Not yet for the release: until the pivot below our root is the host's and we hold every
  // capability, and a process of a pid namespace we joined may reach us through /proc.
  char ready = 'r';
  if (!WriteAll(ready_fd, &ready, 1)) Die(kSync, errno);
  close(ready_fd);
  // Placed in our cgroups (v2 by the monitor, v1 by ourselves), then the cgroup namespace:
  // its root is the cgroup we are in.
  WaitForParent(sync_fd, 'p');
  JoinCgroupsSelf(spec);
  if (unshare(CLONE_NEWCGROUP) != 0) Die(kUnshare, errno, "cgroup namespace");
  for (size_t i = first_cgroup; i < mounts.size(); i++) DoMount(root, mounts[i], clone_of(i));

  PivotRoot(spec, root);

  // linux.sysctl, through the container's own /proc (its namespaces' values), before
  // /proc/sys is made read-only and before anything of the image's runs.
  for (const auto& kv : spec.sysctls) {
    std::string file = "/proc/sys/" + kv.first;
    for (size_t i = 10; i < file.size(); i++) {
      if (file[i] == '.') file[i] = '/';
    }
    int fd = open(file.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || !WriteAll(fd, kv.second.data(), kv.second.size())) Die(kSysctl, errno, kv.first);
    close(fd);
  }

  MaskPaths(spec);
  ReadonlyPaths(spec);

  Become(spec, pty_sock, -1, sync_fd, init_report_fd);
}

}  // namespace gocker_monitor
