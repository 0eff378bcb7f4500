// exec: the monitor in --exec mode joins a running container's namespaces (proved to be that
// container's command's), and runs from a sealed copy of itself while it does.
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "monitor.h"
#include "spec.h"
#include "sys.h"
#include "util.h"

namespace gocker_monitor {

// exec: the new process is in the container's namespaces but its pid one (the monitor joined
// them before forking); it waits to be placed in the cgroups, then joins the pid namespace
// for the command's process it forks in Become.
[[noreturn]] void ExecChild(const Spec& spec, int sync_fd, int pty_sock, int pidns, int report_fd) {
  WaitForParent(sync_fd);
  JoinNewKeyring();
  // Our children are born into the container's pid namespace; we stay outside it.
  if (setns(pidns, CLONE_NEWPID) != 0) Die(kUnshare, errno, "setns pid");
  close(pidns);
  Become(spec, pty_sock, report_fd);
}

// The parent pid of a process (/proc/PID/stat's fourth field, after the parenthesised name,
// which may itself hold spaces and parentheses); -1 when unknown.
pid_t ParentOf(pid_t pid) {
  std::string stat;
  if (!ReadFile("/proc/" + std::to_string(pid) + "/stat", &stat)) return -1;
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  Strings f = Split(stat.substr(close + 2), ' ');
  return f.size() > 1 ? static_cast<pid_t>(atol(f[1].c_str())) : -1;
}

// Joins the namespaces of a running container's init. The mount namespace goes last: after
// it, /proc is the container's, and root and cwd are the container's root. The pid
// namespace is only opened (*pidns): the child joins it, for its own child (see Become).
//
// The target is named by a pid the CLI read from the container's files: a pidfd taken
// first, and found alive once the namespace files are open, proves they are that process's
// (its pid cannot have been reused while it lives). And it must be the container's command,
// not the monitor's child still setting up (whose root is not yet the container's): the
// container's started file is there, its exit file not.
bool JoinNamespaces(const Spec& spec, int* pidns, std::string* error) {
  pid_t target = spec.target_pid;
  int pidfd = target > 1 ? static_cast<int>(syscall(SYS_pidfd_open, target, 0)) : -1;
  if (pidfd < 0 || access(spec.target_started.c_str(), F_OK) != 0 || access(spec.target_exit.c_str(), F_OK) == 0 ||
      ParentOf(target) != spec.target_parent) {
    *error = "container is not running";
    return false;
  }
  const char* kinds[] = {"ipc", "uts", "net", "pid", "cgroup", "mnt"};
  int fds[6];
  for (int i = 0; i < 6; i++) {
    std::string p = "/proc/" + std::to_string(target) + "/ns/" + kinds[i];
    fds[i] = open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) {
      *error = "open " + p + ": " + strerror(errno);
      return false;
    }
  }
  // The user namespace too, before the check below: which of the others are joined as the
  // host's root depends on it, so it must be the same process's.
  struct stat own_user, their_user;
  std::string up = "/proc/" + std::to_string(target) + "/ns/user";
  int userfd = open(up.c_str(), O_RDONLY | O_CLOEXEC);
  if (userfd < 0 || fstat(userfd, &their_user) != 0 || stat("/proc/self/ns/user", &own_user) != 0) {
    *error = "open " + up + ": " + strerror(errno);
    return false;
  }
  if (syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) != 0) {
    *error = "container is not running";
    return false;
  }
  close(pidfd);
  // A container in a user namespace of its own: that first, and every other namespace of the
  // container is then its (runc's order); the process's credentials are then set in it. But
  // for those it joined instead (a pod sandbox's network namespace, made by another user
  // namespace): where the container's root has no privilege, they are entered before, as
  // runc's nsexec enters them.
  const bool other_user = their_user.st_ino != own_user.st_ino || their_user.st_dev != own_user.st_dev;
  bool joined[6] = {};
  for (int i = 0; other_user && i < 6; i++) {
    if (i == 3) continue;
    struct stat owner_st;
    int owner = ioctl(fds[i], NS_GET_USERNS);
    bool theirs = owner >= 0 && fstat(owner, &owner_st) == 0 && owner_st.st_ino == their_user.st_ino && owner_st.st_dev == their_user.st_dev;
    if (owner >= 0) close(owner);
    if (theirs) continue;
    if (g_sys->Setns(fds[i], 0) != 0) {
      *error = std::string("setns ") + kinds[i] + ": " + strerror(errno);
      return false;
    }
    close(fds[i]);
    joined[i] = true;
  }
  if (other_user && g_sys->Setns(userfd, CLONE_NEWUSER) != 0) {
    *error = std::string("setns user: ") + strerror(errno);
    return false;
  }
  close(userfd);
  for (int i = 0; i < 6; i++) {
    if (joined[i]) continue;
    if (i == 3) {
      *pidns = fds[i];
      continue;
    }
    if (g_sys->Setns(fds[i], 0) != 0) {
      *error = std::string("setns ") + kinds[i] + ": " + strerror(errno);
      return false;
    }
    close(fds[i]);
  }
  return true;
}

constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
constexpr const char* kEnvFdVar = "GOCKER_MONITOR_ENV_FD";

// The environment ExecSealedCopy put aside (KeepSavedEnvironment found it), NUL-separated in
// a memfd; ours when there is none.
static int g_saved_env = -1;

std::vector<std::string> SavedEnvironment() {
  std::vector<std::string> env;
  std::string raw;
  char buf[65536];
  ssize_t n;
  for (off_t at = 0; g_saved_env >= 0 && (n = pread(g_saved_env, buf, sizeof buf, at)) > 0; at += n) raw.append(buf, static_cast<size_t>(n));
  if (g_saved_env < 0) {
    for (char** e = environ; *e; e++) env.emplace_back(*e);
    return env;
  }
  for (size_t at = 0; at < raw.size();) {
    size_t end = raw.find('\0', at);
    if (end == std::string::npos) end = raw.size();
    env.push_back(raw.substr(at, end - at));
    at = end + 1;
  }
  return env;
}

// The saved environment's fd, taken only in the sealed copy ExecSealedCopy made, and only a
// memfd sealed as it sealed it (a caller's own variable of that name names nothing of ours);
// ours alone: not the container's, nor the exit command's.
void KeepSavedEnvironment() {
  const char* fd_text = getenv(kEnvFdVar);
  if (!fd_text || !RunningSealed()) return;
  char* end = nullptr;
  long fd = strtol(fd_text, &end, 10);
  if (*fd_text == '\0' || *end != '\0' || fd < 3 || fd > 1 << 20) return;
  int seals = fcntl(static_cast<int>(fd), F_GET_SEALS);
  if (seals < 0 || (seals & kSeals) != kSeals) return;
  fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
  g_saved_env = static_cast<int>(fd);
}

bool RunningSealed() {
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  int seals = fcntl(fd, F_GET_SEALS);
  close(fd);
  return seals >= 0 && (seals & kSeals) == kSeals;
}

// exec: a process the container can see runs this program until its execve, and
// /proc/PID/exe of it would name our binary on the host: opened there (by a container root
// with CAP_SYS_PTRACE, which non-dumpable does not stop) and written once we are gone, it
// would run as root at the next exec (runc CVE-2019-5736). So exec mode runs from a sealed
// memfd copy, as runc did: no write can reach it, and it is no path on the host. The binary
// is static and about 1 MB; the copy costs well under a millisecond, once per exec.
// A read-only bind of the binary (runc's later answer) would need a mount namespace of our
// own, which setns into the container's replaces. Returns only on failure.
// The copy starts with none of the caller's environment (a shell's secrets, say): the processes
// it forks into a container (exec's command, a joined pid namespace's init) are seen there
// before their execve, through /proc/PID/environ and their memory. exec runs nothing else;
// keep_env (a container's monitor) puts it into a sealed memfd, read back only for the exit
// command (SavedEnvironment), and the copy has that fd's number alone.
std::string ExecSealedCopy(char** argv, bool keep_env) {
  int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (src < 0) return std::string("open /proc/self/exe: ") + strerror(errno);
  struct stat st;
  int mfd = memfd_create("gocker-monitor", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0 || fstat(src, &st) != 0) return std::string("memfd_create: ") + strerror(errno);
  off_t done = 0;
  while (done < st.st_size) {
    ssize_t n = sendfile(mfd, src, &done, static_cast<size_t>(st.st_size - done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::string("copy the monitor to a memfd: ") + strerror(n < 0 ? errno : EIO);
  }
  close(src);
  if (fcntl(mfd, F_ADD_SEALS, kSeals) != 0) return std::string("seal the monitor's memfd: ") + strerror(errno);
  std::string env_var;
  char* no_env[2] = {nullptr, nullptr};
  if (keep_env) {
    // Kept across the exec, and above stdio (a monitor started with one of 0-2 closed must
    // not hand it to the container as that).
    int made = memfd_create("gocker-monitor-env", MFD_ALLOW_SEALING);
    int efd = made < 0 ? -1 : fcntl(made, F_DUPFD, 3);
    if (made >= 0 && made != efd) close(made);
    if (efd < 0) return std::string("memfd_create: ") + strerror(errno);
    for (char** e = environ; *e; e++) {
      if (!WriteAll(efd, *e, strlen(*e) + 1)) return std::string("save the environment: ") + strerror(errno);
    }
    if (fcntl(efd, F_ADD_SEALS, kSeals) != 0) return std::string("seal the environment's memfd: ") + strerror(errno);
    env_var = std::string(kEnvFdVar) + "=" + std::to_string(efd);
    no_env[0] = env_var.data();
  }
  fexecve(mfd, argv, no_env);
  return std::string("fexecve the monitor's memfd: ") + strerror(errno);
}

}  // namespace gocker_monitor
