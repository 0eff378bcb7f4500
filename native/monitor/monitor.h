// What the monitor's files share. The monitor is one program, split by concern:
//   monitor.cc  main: the pipes, the fork, the release, the wait, exit.json and the events
//   process.cc  the child: namespaces, user, capabilities, rlimits, seccomp, hooks, execve
//   mounts.cc   mount destinations resolved inside the root, binds, their flags
//   devices.cc  the container's device nodes
//   cgroups.cc  joining cgroups, the v2 device program, oom counts, leftover processes
//   io.cc       the container's stdio: the pty, the relays, the json-file log and its rotation
//   exec.cc     exec: joining a running container's namespaces, the sealed copy of ourselves
//   sys.cc      the system calls the policy above makes, behind sys.h's interface (a test fakes them)
//   attach.cc   the attach socket; spec.cc the spec's reader; seccomp.cc the filter's loader
#pragma once
#include <signal.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "attach.h"
#include "spec.h"

namespace gocker_monitor {

// ---- the child's failure report: everything from fork to execve ----

// What the child was doing when it failed, for the error the monitor records.
enum Stage {
  kSync = 1, kUnshare, kMountPrivate, kRootfs, kMount, kDevice, kHostname, kPivot, kMask,
  kReadonly, kRlimit, kUser, kCaps, kNoNewPrivs, kCwd, kExec, kNetwork, kStdio, kCgroup, kKeyring, kFds, kSeccomp, kJoinNetwork, kSysctl, kOomScoreAdj, kHook,
};

// The child's report on the error pipe: one write, whole.
struct ChildError {
  int stage;
  int err;
  char detail[256];
};

const char* StageName(int s);
// The child's end of the error pipe.
extern int g_err_fd;
// The kernel feature the last call that failed with ENOSYS needed (see Die).
extern const char* g_missing;
// Reports the failure on g_err_fd and exits the child.
[[noreturn]] void Die(int stage, int err, const std::string& detail = "");

// ---- process.cc: the child ----

bool CloseFdsExcept(std::vector<int> keep);
void LoopbackUp();
void ApplySeccomp(const Spec& spec);
void RunStartContainerHooks(const Spec& spec);
void SetRlimits(const Spec& spec);
void DropBoundingSet(const Spec& spec);
void SetCapabilities(const Spec& spec);
[[noreturn]] void Become(const Spec& spec, int pty_sock, int report_fd = -1, int release_fd = -1, int init_report_fd = -1);
void JoinNewKeyring();
void ApplyOomScoreAdj(const Spec& spec);
void WaitForParent(int sync_fd, char want = 0);
bool WriteIdMaps(pid_t pid, const Spec& spec, std::string* why);
void EnterUserNamespace(const Spec& spec, int relay_fd);
void BecomeNamespaceRoot(int maps_fd);
void JoinGivenNamespaces(const Spec& spec);
void JoinThenMakeUser(const Spec& spec, int maps_fd, int relay_fd);
[[noreturn]] void Child(const Spec& spec, int sync_fd, int pty_sock, int ready_fd, int join_pidns = -1, int init_report_fd = -1);

// ---- mounts.cc ----

long Openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve, mode_t mode = 0);
std::string FdPath(int fd);
bool HasSubmounts(int fd);
bool MountedOn(int top, int under);
bool SetBindFlags(int fd, unsigned long flags, bool recursive);
int OpenDest(int root, const std::string& dest, bool as_file, bool no_symlinks, int depth = 0);
std::map<size_t, int> ClonePropagating(const std::vector<Mount>& mounts);
void DoMount(int root, const Mount& m, int clone = -1);
extern int g_proc_pidns;
bool ProcTakesPidns(int pidns_fd);
bool CgroupMount(const Mount& m);
int MountRootfs(const Spec& spec);
void PivotRoot(const Spec& spec, int root);
void MaskPaths(const Spec& spec);
void ReadonlyPaths(const Spec& spec);

// ---- devices.cc ----

void MakeDevice(int root, const Device& d, bool in_user);
void BindHostDevice(const Device& d, int dir, const std::string& name);
void MakeDevLinks(int root);

// ---- cgroups.cc ----

void JoinCgroupsSelf(const Spec& spec);
void KillCgroupLeftovers(const Spec& spec);
void ReleaseCgroups(const Spec& spec);
long OomKills(const std::string& file);
bool AttachDeviceProgram(const std::string& hex, const std::string& cgroup_dir, std::string* error);

// ---- io.cc: the pty, the relays, the log ----

std::string SendPty(int master, int sock);
int OpenPty(int sock, bool console);
// gocker-runtime's console socket: the slave's path, opened in Become.
extern std::string g_console_slave;
void SendConsole(int root, int sock);
void TakePty(int t);
int RecvFd(int sock);
// SIGWINCH seen (the relay copies the size over); the container has a pty.
extern volatile sig_atomic_t g_winch;
extern bool g_tty;
void CopyWinsize(int from, int to);
long long MonotonicMs();
void RelayPty(int master, bool forward_stdin, int log_fd, int pidfd);

struct LogRotation {
  int fd = -1;
  std::string path;
  long long max_size = 0;  // 0: never rotated
  long max_file = 1;
  long long size = 0;
};
extern LogRotation g_rotation;
void RotateLog();
// A string as a JSON string literal's content (the log's lines, exit.json, the events).
std::string JsonEscape(const std::string& s);
void LogLine(int log_fd, const char* stream, const std::string& line);
void LogLines(int log_fd, const char* stream, std::string* pending);
// The log LogOutput writes to.
extern int g_log_fd;
void LogOutput(const char* stream, const char* data, size_t len, bool flush);
void SetNonBlocking(int fd);
void Pump(int out_fd, int err_fd, int in_fd, int log_fd, bool tee, int pidfd);

// ---- exec.cc ----

[[noreturn]] void ExecChild(const Spec& spec, int sync_fd, int pty_sock, int pidns, int report_fd);
pid_t ParentOf(pid_t pid);
bool JoinNamespaces(const Spec& spec, int* pidns, std::string* error);
bool RunningSealed();
std::string ExecSealedCopy(char** argv, bool keep_env = false);
std::vector<std::string> SavedEnvironment();
void KeepSavedEnvironment();

// ---- monitor.cc: the state files ----

// The directory of the state files and the event log, opened before an exec joins the
// container's mount namespace; -1: use the paths as they are.
extern int g_state_dir;
extern int g_events_fd;
bool WriteFileAtomic(const std::string& path, const std::string& data);

}  // namespace gocker_monitor
