// gocker-runtime: runc's command line (the part containerd's io.containerd.runc.v2 shim and
// dockerd use, through go-runc) over gocker-monitor. A native program, not a `gocker runtime`
// subcommand: the shim runs it several times per container (create, start, state, kill,
// delete), and Node's start-up alone would be most of each call.
//
// Exit status reaches the shim as it does from runc: the monitor runs in hand-over mode, in
// which it creates the container's init as its child, holds it until `start`, and exits once
// the command has been exec'd. The init is then reparented to the nearest subreaper above it,
// which is the shim (it runs us as its child, and we leave the monitor to it): the pid in
// --pid-file is the container's init, reaped by the shim with its own exit status. See
// ARCHITECTURE.md.
#include "runtime.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

namespace gocker_runtime {

// ---- files ----

bool WriteFile(const std::string& path, const std::string& data, int flags) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC | (flags ? flags : O_TRUNC), 0644);
  if (fd < 0) return false;
  ssize_t n;
  do {
    n = write(fd, data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  int e = errno;
  close(fd);
  errno = e;
  return n == static_cast<ssize_t>(data.size());
}

void WriteFileAtomic(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp";
  if (!WriteFile(tmp, data, O_CREAT | O_TRUNC) || rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    unlink(tmp.c_str());
    Fail("write " + path + ": " + ErrText(e));
  }
}

namespace {

// ---- the command line ----

struct Globals {
  std::string root = "/run/gocker-runtime";
  std::string log, log_format = "text";
} g;

// Flags as urfave/cli (runc's) takes them: -x or --x, a value after it or after '='.
struct Args {
  std::map<std::string, std::string> values;
  std::map<std::string, bool> bools;
  Strings positional;
  bool Has(const std::string& k) const { return values.count(k) > 0; }
  std::string Get(const std::string& k, const std::string& d = "") const {
    auto it = values.find(k);
    return it == values.end() ? d : it->second;
  }
  bool Bool(const std::string& k) const { return bools.count(k) > 0 && bools.at(k); }
};

// valued: flags that take a value; boolean: those that do not; aliases: short -> long.
Args Parse(const Strings& argv, size_t from, const std::string& cmd, std::initializer_list<const char*> valued,
           std::initializer_list<const char*> boolean, std::map<std::string, std::string> aliases = {}) {
  Args a;
  bool flags_done = false;
  for (size_t i = from; i < argv.size(); i++) {
    const std::string& s = argv[i];
    if (flags_done || s.size() < 2 || s[0] != '-') {
      a.positional.push_back(s);
      // runc's exec takes the command after the id, flags and all.
      if (cmd == "exec") flags_done = true;
      continue;
    }
    if (s == "--") {
      flags_done = true;
      continue;
    }
    std::string name = s.substr(s[1] == '-' ? 2 : 1), value;
    bool has_value = false;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (aliases.count(name)) name = aliases[name];
    bool is_valued = false, is_bool = false;
    for (const char* v : valued) is_valued = is_valued || name == v;
    for (const char* b : boolean) is_bool = is_bool || name == b;
    if (is_valued) {
      if (!has_value) {
        if (i + 1 >= argv.size()) Fail("flag needs an argument: -" + name);
        value = argv[++i];
      }
      a.values[name] = value;
    } else if (is_bool) {
      a.bools[name] = !has_value || value == "true" || value == "1";
    } else {
      Fail("flag provided but not defined: -" + name);
    }
  }
  return a;
}

// runc's rule for ids: they name directories under --root.
void CheckId(const std::string& id) {
  bool ok = !id.empty() && id != "." && id != ".." && id.size() <= 1024;
  for (char c : id) ok = ok && (isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-' || c == '.');
  if (!ok) Fail("invalid container id format: " + id);
}

std::string OneId(const Args& a, const char* cmd, size_t extra_max = 0) {
  if (a.positional.empty()) Fail(std::string("\"") + cmd + "\" requires a minimum of 1 argument");
  if (a.positional.size() > 1 + extra_max) Fail(std::string("\"") + cmd + "\" requires a maximum of " + std::to_string(1 + extra_max) + " arguments");
  CheckId(a.positional[0]);
  return a.positional[0];
}

std::string MonitorPath() {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) Fail(std::string("readlink /proc/self/exe: ") + ErrText(errno));
  self[n] = 0;
  std::string dir(self);
  return dir.substr(0, dir.rfind('/')) + "/gocker-monitor";
}

// ---- processes ----

// /proc/PID/stat's start time (field 22) and state; false if there is no such process.
bool ProcStat(pid_t pid, unsigned long long* start, char* state, pid_t* ppid = nullptr) {
  std::string s;
  if (pid <= 0 || !ReadFile("/proc/" + std::to_string(pid) + "/stat", &s)) return false;
  size_t close = s.rfind(')');
  if (close == std::string::npos || close + 2 >= s.size()) return false;
  std::vector<std::string> f;
  size_t i = close + 2;
  while (i < s.size()) {
    size_t j = s.find(' ', i);
    f.push_back(s.substr(i, j == std::string::npos ? std::string::npos : j - i));
    if (j == std::string::npos) break;
    i = j + 1;
  }
  if (f.size() < 20) return false;
  *state = f[0][0];
  if (ppid) *ppid = static_cast<pid_t>(atol(f[1].c_str()));
  *start = strtoull(f[19].c_str(), nullptr, 10);
  return true;
}

// Alive and the same process (not a reused pid); a zombie has exited.
bool Alive(pid_t pid, unsigned long long start) {
  unsigned long long s;
  char st;
  return ProcStat(pid, &s, &st) && s == start && st != 'Z' && st != 'X';
}

// A pidfd of pid, if it is still the process that started at start: signals through it reach
// that process or none.
int PidFd(pid_t pid, unsigned long long start) {
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return -1;
  unsigned long long s;
  char st;
  if (!ProcStat(pid, &s, &st) || s != start) {
    close(fd);
    return -1;
  }
  return fd;
}

bool WaitExit(int pidfd, int timeout_ms) {
  struct pollfd p = {pidfd, POLLIN, 0};
  int r;
  do {
    r = poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  return r == 1;
}

int Signal(const std::string& s) {
  static const std::map<std::string, int> names = {
      {"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"ILL", SIGILL}, {"TRAP", SIGTRAP}, {"ABRT", SIGABRT}, {"BUS", SIGBUS},
      {"FPE", SIGFPE}, {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"SEGV", SIGSEGV}, {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
      {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
      {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU}, {"URG", SIGURG}, {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
      {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO}, {"PWR", SIGPWR}, {"SYS", SIGSYS}};
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() < 4) {
    int n = atoi(s.c_str());
    if (n > 0 && n < NSIG) return n;
  }
  std::string n = s;
  for (char& c : n) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  if (n.compare(0, 3, "SIG") == 0) n = n.substr(3);
  auto it = names.find(n);
  if (it == names.end()) Fail("unknown signal \"" + s + "\"");
  return it->second;
}

// ---- state: ROOT/ID ----

struct State {
  std::string id, dir, bundle, rootfs, created, oci_version;
  pid_t init = 0, monitor = 0;
  unsigned long long init_start = 0, monitor_start = 0;
  Cgroups cg;
  json annotations = json::object();
  json hooks = json::object();
};

std::string StateDir(const std::string& id) { return g.root + "/" + id; }

State Load(const std::string& id) {
  State s;
  s.id = id;
  s.dir = StateDir(id);
  std::string text;
  if (!ReadFile(s.dir + "/state.json", &text)) Fail("container does not exist");
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) Fail("container " + id + ": state.json is not JSON");
  try {
    s.bundle = j.at("bundle");
    s.rootfs = j.at("rootfs");
    s.created = j.at("created");
    s.oci_version = j.value("ociVersion", "1.0.2");
    s.init = j.at("init").get<pid_t>();
    s.init_start = j.at("init_start");
    s.monitor = j.at("monitor").get<pid_t>();
    s.monitor_start = j.at("monitor_start");
    s.cg = Cgroups::FromJson(j.at("cgroups"));
    s.annotations = j.value("annotations", json::object());
    s.hooks = j.value("hooks", json::object());
  } catch (const json::exception& e) {
    Fail("container " + id + ": state.json: " + e.what());
  }
  return s;
}

void Save(const State& s) {
  json j = {{"id", s.id}, {"bundle", s.bundle}, {"rootfs", s.rootfs}, {"created", s.created}, {"ociVersion", s.oci_version},
            {"init", s.init}, {"init_start", s.init_start}, {"monitor", s.monitor}, {"monitor_start", s.monitor_start},
            {"cgroups", s.cg.ToJson()}, {"annotations", s.annotations}, {"hooks", s.hooks}};
  WriteFileAtomic(s.dir + "/state.json", j.dump() + "\n");
}

bool Exists(const std::string& p) { return access(p.c_str(), F_OK) == 0; }

std::string Status(const State& s) {
  if (!Alive(s.init, s.init_start)) return "stopped";
  if (!Exists(s.dir + "/started")) return "created";
  if (Frozen(s.cg)) return "paused";
  return "running";
}

json StateJson(const State& s) {
  std::string status = Status(s);
  json j = {{"ociVersion", s.oci_version}, {"id", s.id}, {"pid", status == "stopped" ? 0 : s.init}, {"status", status},
            {"bundle", s.bundle},          {"rootfs", s.rootfs}, {"created", s.created}, {"owner", ""}};
  if (!s.annotations.empty()) j["annotations"] = s.annotations;
  return j;
}

// Every file of the state directory (ours alone: made 0700 by create), then it.
void RemoveStateDir(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d) {
    while (struct dirent* e = readdir(d)) {
      if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
  }
  rmdir(dir.c_str());
}

// The error the monitor recorded for a launch that did not happen.
std::string MonitorError(const std::string& exit_file, int status) {
  std::string text;
  if (ReadFile(exit_file, &text)) {
    json j = json::parse(text, nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_string() && !j["error"].get<std::string>().empty()) return j["error"];
  }
  if (WIFSIGNALED(status)) return std::string("gocker-monitor killed by signal ") + strsignal(WTERMSIG(status));
  return "gocker-monitor exited with status " + std::to_string(WEXITSTATUS(status));
}

// A connection to the console socket: the monitor's child sends the pty master on it (with
// SCM_RIGHTS, as runc does).
int ConnectConsole(const std::string& path) {
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) Fail("console socket path too long: " + path);
  memcpy(addr.sun_path, path.c_str(), path.size());
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);  // inherited by the monitor
  if (fd < 0 || connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0) Fail("connect console socket " + path + ": " + ErrText(errno));
  return fd;
}

// Runs the monitor on spec_file; report: the write end the monitor says "created" on, or -1.
// Only the fds in keep (besides stdio) reach it. quiet: its stdio is /dev/null (a terminal's
// container gets the pty; go-runc reads our own output to its end, which the monitor must not
// hold).
pid_t StartMonitor(const std::string& spec_file, bool exec, std::vector<int> keep, bool quiet) {
  std::string monitor = MonitorPath();
  pid_t pid = fork();
  if (pid < 0) Fail(std::string("fork: ") + ErrText(errno));
  if (pid == 0) {
    for (int fd : keep) fcntl(fd, F_SETFD, 0);
    if (quiet) {
      int n = open("/dev/null", O_RDWR);
      for (int fd = 0; n >= 0 && fd < 3; fd++) dup2(n, fd);
    }
    signal(SIGPIPE, SIG_DFL);
    const char* argv[] = {monitor.c_str(), exec ? "--exec" : spec_file.c_str(), exec ? spec_file.c_str() : nullptr, nullptr};
    execv(monitor.c_str(), const_cast<char**>(argv));
    fprintf(stderr, "exec %s: %s\n", monitor.c_str(), strerror(errno));
    _exit(127);
  }
  return pid;
}

// ---- hooks ----

// pid as its own pid namespace numbers it (the last of NSpid in its status), 0 if gone.
pid_t NsPid(pid_t pid) {
  std::string text;
  if (!ReadFile("/proc/" + std::to_string(pid) + "/status", &text)) return 0;
  size_t at = text.find("\nNSpid:");
  if (at == std::string::npos) return pid;
  std::string line = text.substr(at + 8, text.find('\n', at + 1) - at - 8);
  size_t last = line.find_last_of(" \t");
  return static_cast<pid_t>(atol(line.substr(last == std::string::npos ? 0 : last + 1).c_str()));
}

// The hooks of the runtime's own namespaces (runc's prestart/createRuntime, poststart,
// poststop) run here, given the container's state on stdin as runc gives it; createContainer
// too, run here but inside the container's namespaces (see RunHooks). startContainer must run
// in the container once its root is pivoted: it goes to the monitor, in the spec's hooks.
json TakeHooks(json* spec) {
  if (!spec->contains("hooks") || (*spec)["hooks"].is_null()) {
    spec->erase("hooks");
    return json::object();
  }
  json hooks = (*spec)["hooks"];
  spec->erase("hooks");
  if (!hooks.is_object()) Fail("hooks: must be an object");
  for (auto it = hooks.begin(); it != hooks.end(); ++it) {
    const std::string& k = it.key();
    if (k != "prestart" && k != "createRuntime" && k != "createContainer" && k != "startContainer" && k != "poststart" && k != "poststop") Fail("hooks." + k + ": not supported by gocker-runtime");
    if (!it->is_array()) Fail("hooks." + k + ": must be a list");
    for (size_t i = 0; i < it->size(); i++) {
      const json& h = (*it)[i];
      const std::string w = "hooks." + k + "[" + std::to_string(i) + "]";
      if (!h.is_object() || !h.contains("path") || !h["path"].is_string() || h["path"].get<std::string>().empty() || h["path"].get<std::string>()[0] != '/') Fail(w + ".path: must be an absolute path");
      for (auto f = h.begin(); f != h.end(); ++f) {
        if (f.key() != "path" && f.key() != "args" && f.key() != "env" && f.key() != "timeout") Fail(w + "." + f.key() + ": not supported by gocker-runtime");
      }
    }
  }
  if (hooks.contains("startContainer") && !hooks["startContainer"].empty()) (*spec)["hooks"] = {{"startContainer", hooks["startContainer"]}};
  hooks.erase("startContainer");
  return hooks;
}

// Joins the namespaces of process pid, as an exec into the container does (its user
// namespace first, when it has one of its own), then forks: the child is in its pid namespace
// too. Returns in the child; the parent (this process) passes on the child's exit and ends.
void EnterContainer(pid_t pid) {
  struct stat own, theirs;
  std::string dir = "/proc/" + std::to_string(pid) + "/ns/";
  int user = open((dir + "user").c_str(), O_RDONLY | O_CLOEXEC);
  if (user < 0 || fstat(user, &theirs) != 0 || stat("/proc/self/ns/user", &own) != 0) _exit(126);
  if ((own.st_ino != theirs.st_ino || own.st_dev != theirs.st_dev) && setns(user, CLONE_NEWUSER) != 0) _exit(126);
  close(user);
  for (const char* kind : {"ipc", "uts", "net", "pid", "cgroup", "mnt"}) {
    int fd = open((dir + kind).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, 0) != 0) {
      dprintf(2, "join the container's %s namespace: %s", kind, strerror(errno));
      _exit(126);
    }
    close(fd);
  }
  pid_t child = fork();
  if (child < 0) _exit(126);
  if (child == 0) return;
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    signal(WTERMSIG(status), SIG_DFL);
    raise(WTERMSIG(status));
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 126);
}

void LogWarning(const std::string& msg);

// Runs each hook of kind in turn; the first that fails (or outlives its timeout) fails the
// command with its stderr. poststart and poststop hooks are past the point where the runtime
// spec lets a hook undo anything: one that fails is a warning (on stderr and in --log), and
// the rest, and the command, go on.
// in: createContainer's, run inside that container (its cgroups, then its namespaces: the
// container's init, in its mount namespace before pivot_root, so the hook's path is the host's
// as runc has it).
void RunHooks(const json& hooks, const char* kind, const json& state, const State* into = nullptr) {
  const bool warn_only = strcmp(kind, "poststart") == 0 || strcmp(kind, "poststop") == 0;
  if (!hooks.contains(kind)) return;
  std::string input = state.dump();
  const json& list = hooks[kind];
  for (size_t i = 0; i < list.size(); i++) {
    const json& h = list[i];
    Strings args = h.contains("args") ? h["args"].get<Strings>() : Strings{h["path"].get<std::string>()};
    Strings env = h.contains("env") ? h["env"].get<Strings>() : Strings{};
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    int in[2], err[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) Fail(std::string("pipe: ") + ErrText(errno));
    std::string path = h["path"];
    pid_t pid = fork();
    if (pid < 0) Fail(std::string("fork: ") + ErrText(errno));
    if (pid == 0) {
      dup2(in[0], 0);
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      dup2(err[1], 2);
      signal(SIGPIPE, SIG_DFL);
      // Ours, not the hook's: the stdin pipe's write end would keep its EOF from coming (EnterContainer forks without exec).
      close(in[1]);
      close(err[0]);
      if (into) {
        std::string self = std::to_string(getpid());
        for (const std::string& f : ProcsFiles(into->cg)) {
          if (!WriteFile(f, self)) {
            dprintf(2, "join cgroup %s: %s", f.c_str(), strerror(errno));
            _exit(126);
          }
        }
        EnterContainer(into->init);
      }
      execve(path.c_str(), argv.data(), envp.data());
      fprintf(stderr, "exec %s: %s", path.c_str(), strerror(errno));
      _exit(127);
    }
    close(in[0]);
    close(err[1]);
    ssize_t n = write(in[1], input.data(), input.size());
    (void)n;
    close(in[1]);
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    int timeout = h.contains("timeout") && h["timeout"].is_number_unsigned() ? h["timeout"].get<int>() * 1000 : -1;
    bool done = pidfd < 0 || WaitExit(pidfd, timeout);
    if (!done) kill(pid, SIGKILL);
    if (pidfd >= 0) close(pidfd);
    int status = 0;
    waitpid(pid, &status, 0);
    std::string out;
    char buf[4096];
    while ((n = read(err[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    close(err[0]);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    std::string w = std::string(kind) + " hook #" + std::to_string(i), failed;
    if (!done) {
      failed = w + ": timeout after " + std::to_string(timeout / 1000) + "s";
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      failed = w + ": " + (WIFSIGNALED(status) ? std::string("killed by ") + strsignal(WTERMSIG(status)) : "exit status " + std::to_string(WEXITSTATUS(status))) + (out.empty() ? "" : ", stderr: " + out);
    }
    if (failed.empty()) continue;
    if (!warn_only) Fail(failed);
    LogWarning(failed);
  }
}

// ---- commands ----

int Create(const Strings& argv, size_t at) {
  Args a = Parse(argv, at, "create", {"bundle", "pid-file", "console-socket", "preserve-fds"}, {"no-pivot", "no-new-keyring"}, {{"b", "bundle"}});
  std::string id = OneId(a, "create");
  if (a.Has("preserve-fds") && a.Get("preserve-fds") != "0") Fail("--preserve-fds is not supported by gocker-runtime");
  // --no-pivot and --no-new-keyring ask for less confinement: the monitor always pivots and
  // always gives the container a keyring of its own, which no caller is worse off for.
  char bundle[PATH_MAX];
  if (!realpath(a.Get("bundle", ".").c_str(), bundle)) Fail("bundle " + a.Get("bundle", ".") + ": " + ErrText(errno));
  // Every level, as runc (the shim's is /run/containerd/runc/NAMESPACE).
  for (size_t k = 1; k <= g.root.size(); k++) {
    if (k < g.root.size() && g.root[k] != '/') continue;
    std::string part = g.root.substr(0, k);
    if (mkdir(part.c_str(), 0711) != 0 && errno != EEXIST) Fail("mkdir " + part + ": " + ErrText(errno));
  }
  State s;
  s.id = id;
  s.dir = StateDir(id);
  if (mkdir(s.dir.c_str(), 0700) != 0) {
    if (errno == EEXIST) Fail("container with id exists: " + id);
    Fail("mkdir " + s.dir + ": " + ErrText(errno));
  }
  bool made_cgroups = false;
  pid_t monitor = -1;
  try {
    std::string text;
    std::string config_file = std::string(bundle) + "/config.json";
    if (!ReadFile(config_file, &text)) Fail("open " + config_file + ": " + ErrText(errno));
    json config = json::parse(text, nullptr, false);
    if (config.is_discarded()) Fail("config.json: not JSON");
    std::vector<int> keep;
    json spec = BundleSpec(config, bundle, s.dir, &keep);
    s.hooks = TakeHooks(&spec);
    s.bundle = bundle;
    s.rootfs = spec["root"]["path"];
    s.oci_version = spec.value("ociVersion", "1.0.2");
    if (config.contains("annotations") && config["annotations"].is_object()) s.annotations = config["annotations"];
    const json* linux = spec.contains("linux") && spec["linux"].is_object() ? &spec["linux"] : nullptr;
    std::string cg_path = "/" + id;
    if (linux && linux->contains("cgroupsPath")) {
      if (!(*linux)["cgroupsPath"].is_string()) Fail("linux.cgroupsPath: must be a string");
      cg_path = (*linux)["cgroupsPath"];
    }
    const json* resources = linux && linux->contains("resources") && !(*linux)["resources"].is_null() ? &(*linux)["resources"] : nullptr;
    std::string device_program;
    s.cg = MakeCgroups(cg_path, resources, &device_program);
    made_cgroups = true;
    // Applied, here: the monitor's reader takes only what gocker's own engine sets.
    if (resources) spec["linux"].erase("resources");
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) Fail(std::string("pipe: ") + ErrText(errno));
    keep.push_back(report[1]);
    json& an = spec["annotations"];
    an["io.gocker.pid-file"] = s.dir + "/init.pid";
    an["io.gocker.exit-file"] = s.dir + "/exit.json";
    an["io.gocker.started-file"] = s.dir + "/started";
    an["io.gocker.cgroup.join-pid"] = json(ProcsFiles(s.cg)).dump();
    if (!device_program.empty()) {
      an["io.gocker.devices.bpf"] = device_program;
      an["io.gocker.devices.cgroup"] = s.cg.dirs[0];
    }
    if (spec.contains("hooks")) {
      an["io.gocker.hooks.state"] = json({{"ociVersion", s.oci_version}, {"id", s.id}, {"bundle", s.bundle}, {"annotations", s.annotations}}).dump();
    }
    an["io.gocker.launch.release-fifo"] = s.dir + "/release";
    an["io.gocker.launch.report-fd"] = std::to_string(report[1]);
    an["io.gocker.launch.stdio-inherit"] = "true";
    an["io.gocker.launch.hand-over"] = "true";
    bool terminal = spec.contains("process") && spec["process"].is_object() && spec["process"].value("terminal", false);
    if (terminal && !a.Has("console-socket")) Fail("cannot allocate tty if runc will detach without setting console socket");
    if (!terminal && a.Has("console-socket")) Fail("cannot use console socket if runc will not detach or allocate tty");
    if (terminal) {
      int c = ConnectConsole(a.Get("console-socket"));
      keep.push_back(c);
      an["io.gocker.launch.console-fd"] = std::to_string(c);
    }
    std::string spec_file = s.dir + "/config.json";
    WriteFileAtomic(spec_file, spec.dump());
    monitor = StartMonitor(spec_file, false, keep, terminal);
    for (int fd : keep) close(fd);
    char c = 0;
    ssize_t n;
    do {
      n = read(report[0], &c, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1 || c != 'c') {
      close(report[0]);
      int status = 0;
      waitpid(monitor, &status, 0);
      monitor = -1;
      Fail(MonitorError(s.dir + "/exit.json", status));
    }
    std::string pid_text;
    ReadFile(s.dir + "/init.pid", &pid_text);
    s.init = static_cast<pid_t>(atol(pid_text.c_str()));
    char st;
    if (!ProcStat(s.init, &s.init_start, &st) || !ProcStat(monitor, &s.monitor_start, &st)) Fail("the container's process went away while it was created");
    s.monitor = monitor;
    s.created = Now();
    // The container's namespaces exist and nothing of it has run: what runc's prestart and
    // createRuntime hooks see (dockerd's sets up the network namespace from here).
    json created = {{"ociVersion", s.oci_version}, {"id", s.id}, {"status", "created"}, {"pid", s.init}, {"bundle", s.bundle}, {"annotations", s.annotations}};
    RunHooks(s.hooks, "prestart", created);
    RunHooks(s.hooks, "createRuntime", created);
    // createContainer: the state as the container sees it (its init's pid in its own pid
    // namespace), status creating as runc gives it.
    json creating = created;
    creating["status"] = "creating";
    creating["pid"] = NsPid(s.init);
    RunHooks(s.hooks, "createContainer", creating, &s);
    // Done from outside: the init may now pivot into its root and become its command's user
    // before it waits for `start`, as runc's init does before its exec.fifo (the monitor reads
    // 'p' on the release FIFO, held open by it until the release).
    int placed = open((s.dir + "/release").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (placed < 0 || write(placed, "p", 1) != 1) Fail("the container's process went away while it was created");
    close(placed);
    // A pid namespace joined: the process created outside it forks the init into it now,
    // with its command's privileges, and goes ('i', the pid file says the init's pid); else
    // the monitor closed the pipe after 'c'.
    do {
      n = read(report[0], &c, 1);
    } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == 1 && c == 'i') {
      pid_text.clear();
      ReadFile(s.dir + "/init.pid", &pid_text);
      s.init = static_cast<pid_t>(atol(pid_text.c_str()));
      if (!ProcStat(s.init, &s.init_start, &st)) Fail("the container's process went away while it was created");
    }
    Save(s);
    if (a.Has("pid-file")) {
      // As runc: the pid then a rename, so the shim never reads half a number.
      char real[PATH_MAX];
      std::string pf = a.Get("pid-file");
      std::string dir = pf.substr(0, pf.rfind('/') == std::string::npos ? 0 : pf.rfind('/'));
      if (!dir.empty() && realpath(dir.c_str(), real)) pf = std::string(real) + pf.substr(pf.rfind('/'));
      WriteFileAtomic(pf, std::to_string(s.init));
    }
  } catch (...) {
    if (monitor > 0) {
      // Created but not recorded: its child dies with it (parent-death signal).
      kill(monitor, SIGKILL);
      waitpid(monitor, nullptr, 0);
    }
    if (made_cgroups) RemoveCgroups(s.cg);
    RemoveStateDir(s.dir);
    throw;
  }
  return 0;
}

int Start(const Strings& argv, size_t at) {
  Args a = Parse(argv, at, "start", {}, {});
  State s = Load(OneId(a, "start"));
  std::string status = Status(s);
  if (status == "stopped") Fail("cannot start a container that has stopped");
  if (status != "created") Fail("cannot start an already running container");
  int mon = PidFd(s.monitor, s.monitor_start);
  if (mon < 0) Fail("cannot start a container that has stopped");
  int fifo = open((s.dir + "/release").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0 || write(fifo, "g", 1) != 1) Fail("cannot start a container that has stopped");
  close(fifo);
  // The monitor goes once the command runs, or once it failed to (and says why).
  WaitExit(mon, -1);
  close(mon);
  if (!Exists(s.dir + "/started")) Fail(MonitorError(s.dir + "/exit.json", 0));
  RunHooks(s.hooks, "poststart", StateJson(s));
  return 0;
}

int StateCmd(const Strings& argv, size_t at) {
  Args a = Parse(argv, at, "state", {}, {});
  State s = Load(OneId(a, "state"));
  printf("%s\n", StateJson(s).dump(2).c_str());
  return 0;
}

// kill --all, as runc's: the cgroup frozen first, so that no process forks one the signal
// would miss, and none exits and has its pid reused between the listing and the signal. Each
// pid is held by a pidfd and checked to be in the cgroup still once held (a pid reused before
// that is someone else's, outside it; nothing inside forks while frozen). Then thawed, unless
// the container was paused already: it stays paused, but for SIGKILL and SIGTERM, which a
// frozen task would not act on until thawed. Without a freezer, signalled unfrozen (runc warns
// and goes on too).
void KillAll(const Cgroups& cg, int sig) {
  const bool paused = Frozen(cg);
  bool froze = false;
  if (!paused) {
    try {
      Freeze(cg, true);
      froze = true;
    } catch (const Failure&) {
      // no freezer on this host, or the processes would not stop: signalled as they are
    }
  }
  std::vector<std::pair<pid_t, int>> held;
  for (pid_t p : Procs(cg)) {
    int fd = static_cast<int>(syscall(SYS_pidfd_open, p, 0));
    if (fd >= 0) held.push_back({p, fd});
  }
  std::vector<pid_t> now = Procs(cg);
  for (const auto& [p, fd] : held) {
    if (std::find(now.begin(), now.end(), p) != now.end()) syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0);
    close(fd);
  }
  if (froze || (paused && (sig == SIGKILL || sig == SIGTERM))) Freeze(cg, false);
}

int Kill(const Strings& argv, size_t at) {
  Args a = Parse(argv, at, "kill", {}, {"all"}, {{"a", "all"}});
  std::string id = OneId(a, "kill", 1);
  int sig = Signal(a.positional.size() > 1 ? a.positional[1] : "SIGTERM");
  State s = Load(id);
  if (Status(s) == "stopped") Fail("container not running");
  if (a.Bool("all")) {
    KillAll(s.cg, sig);
    return 0;
  }
  int fd = PidFd(s.init, s.init_start);
  if (fd < 0 || syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0) != 0) Fail("container not running");
  close(fd);
  return 0;
}

int Delete(const Strings& argv, size_t at) {
  Args a = Parse(argv, at, "delete", {}, {"force"}, {{"f", "force"}});
  std::string id = OneId(a, "delete");
  std::string dir = StateDir(id);
  if (!Exists(dir + "/state.json")) {
    if (!Exists(dir)) Fail("container does not exist");
    RemoveStateDir(dir);  // a create that died half way
    return 0;
  }
  State s = Load(id);
  std::string status = Status(s);
  if (status != "stopped" && status != "created" && !a.Bool("force")) Fail("cannot delete container " + id + " that is not stopped: " + status);
  if (status != "stopped") {
    int fd = PidFd(s.init, s.init_start);
    KillAll(s.cg, SIGKILL);
    if (fd >= 0) {
      syscall(SYS_pidfd_send_signal, fd, SIGKILL, nullptr, 0);
      if (!WaitExit(fd, 10000)) Fail("container " + id + " did not exit after SIGKILL");
      close(fd);
    }
  }
  // A monitor of a container killed before it started goes with its child; wait for it, so
  // that nothing of ours is left once delete returns.
  int mon = PidFd(s.monitor, s.monitor_start);
  if (mon >= 0) {
    WaitExit(mon, 10000);
    close(mon);
  }
  RemoveCgroups(s.cg);
  json st = StateJson(s);
  RemoveStateDir(s.dir);
  // A failing poststop hook is a warning (RunHooks); a hook that cannot even be started
  // (no pipe, no fork) is not the delete's failure either: the container is gone.
  try {
    RunHooks(s.hooks, "poststop", st);
  } catch (const Failure& e) {
    LogWarning(e.what());
  }
  return 0;
}

int Pause(const Strings& argv, size_t at, bool pause) {
  Args a = Parse(argv, at, pause ? "pause" : "resume", {}, {});
  State s = Load(OneId(a, pause ? "pause" : "resume"));
  std::string status = Status(s);
  if (pause && status != "running") Fail(status == "paused" ? "container already paused" : "container not running");
  if (!pause && status != "paused") Fail("container not paused");
  Freeze(s.cg, pause);
  return 0;
}

int Ps(const Strings& argv, size_t at) {
  Args a = Parse(argv, at, "ps", {"format"}, {}, {{"f", "format"}});
  State s = Load(OneId(a, "ps", 64));
  std::vector<pid_t> pids = Status(s) == "stopped" ? std::vector<pid_t>() : Procs(s.cg);
  if (a.Get("format", "table") == "json") {
    printf("%s\n", json(pids).dump().c_str());
  } else if (a.Get("format", "table") == "table") {
    printf("PID\n");
    for (pid_t p : pids) printf("%d\n", p);
  } else {
    Fail("invalid format option");
  }
  return 0;
}

int List(const Strings& argv, size_t at) {
  Args a = Parse(argv, at, "list", {"format"}, {"quiet"}, {{"f", "format"}, {"q", "quiet"}});
  json out = json::array();
  DIR* d = opendir(g.root.c_str());
  Strings ids;
  if (d) {
    while (struct dirent* e = readdir(d)) {
      if (e->d_name[0] != '.' && Exists(g.root + "/" + e->d_name + "/state.json")) ids.push_back(e->d_name);
    }
    closedir(d);
  }
  std::sort(ids.begin(), ids.end());
  for (const std::string& id : ids) {
    try {
      out.push_back(StateJson(Load(id)));
    } catch (const Failure&) {
    }
  }
  if (a.Bool("quiet")) {
    for (const json& j : out) printf("%s\n", j["id"].get<std::string>().c_str());
  } else if (a.Get("format", "table") == "json") {
    printf("%s\n", out.dump().c_str());
  } else {
    printf("%-12s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
    for (const json& j : out) {
      printf("%-12s %-8d %-10s %-40s %-30s %s\n", j["id"].get<std::string>().c_str(), j["pid"].get<int>(), j["status"].get<std::string>().c_str(),
             j["bundle"].get<std::string>().c_str(), j["created"].get<std::string>().c_str(), "root");
    }
  }
  return 0;
}

int Exec(const Strings& argv, size_t at) {
  Args a = Parse(argv, at, "exec", {"process", "pid-file", "console-socket", "cwd", "preserve-fds"}, {"detach", "tty"},
                 {{"p", "process"}, {"d", "detach"}, {"t", "tty"}});
  if (a.positional.empty()) Fail("\"exec\" requires a minimum of 1 argument");
  std::string id = a.positional[0];
  CheckId(id);
  if (a.Has("preserve-fds") && a.Get("preserve-fds") != "0") Fail("--preserve-fds is not supported by gocker-runtime");
  State s = Load(id);
  std::string status = Status(s);
  if (status == "stopped") Fail("cannot exec in a stopped container");
  if (status == "paused") Fail("cannot exec in a paused container");
  if (status == "created") Fail("cannot exec in a created container: start it first");
  std::string spec_text;
  ReadFile(s.dir + "/config.json", &spec_text);
  json container = json::parse(spec_text, nullptr, false);
  if (!container.is_object()) Fail("container " + id + ": its spec is gone");
  json process;
  if (a.Has("process")) {
    std::string text;
    if (!ReadFile(a.Get("process"), &text)) Fail("open " + a.Get("process") + ": " + ErrText(errno));
    process = json::parse(text, nullptr, false);
    if (!process.is_object()) Fail("process.json: not a JSON object");
  } else {
    // runc exec ID CMD...: the container's process with another command.
    if (a.positional.size() < 2) Fail("exec: no command given (--process FILE, or a command after the id)");
    process = container["process"];
    process["args"] = Strings(a.positional.begin() + 1, a.positional.end());
    process["terminal"] = a.Bool("tty");
    if (a.Has("cwd")) process["cwd"] = a.Get("cwd");
  }
  // As at create: no AppArmor profile is nothing to apply; another the monitor refuses.
  if (process.contains("apparmorProfile") && process["apparmorProfile"].is_string() &&
      (process["apparmorProfile"].get<std::string>().empty() || process["apparmorProfile"].get<std::string>() == "unconfined")) {
    process.erase("apparmorProfile");
  }
  bool terminal = process.value("terminal", false);
  if (terminal && !a.Has("console-socket")) Fail("cannot allocate tty if runc will detach without setting console socket");
  if (!terminal && a.Has("console-socket")) Fail("cannot use console socket if runc will not detach or allocate tty");
  pid_t ppid = 0;
  unsigned long long start;
  char st;
  if (!ProcStat(s.init, &start, &st, &ppid) || start != s.init_start) Fail("cannot exec in a stopped container");
  std::string base = s.dir + "/exec-" + std::to_string(getpid());
  json an = {{"io.gocker.pid-file", base + ".pid"},
             {"io.gocker.exit-file", base + ".json"},
             {"io.gocker.cgroup.join-pid", json(ProcsFiles(s.cg)).dump()},
             {"io.gocker.exec.target-pid", std::to_string(s.init)},
             {"io.gocker.exec.target-parent", std::to_string(ppid)},
             {"io.gocker.exec.target-started", s.dir + "/started"},
             {"io.gocker.exec.target-exit", s.dir + "/exit.json"},
             {"io.gocker.launch.stdio-inherit", "true"},
             {"io.gocker.launch.hand-over", "true"}};
  json spec = {{"ociVersion", container.value("ociVersion", "1.0.2")}, {"process", process}, {"annotations", an}};
  // The container's seccomp filter binds its execs too (compiled at create).
  if (container.contains("linux") && container["linux"].contains("seccomp")) {
    spec["linux"] = {{"seccomp", container["linux"]["seccomp"]}};
    spec["annotations"]["io.gocker.seccomp.bpf"] = container["annotations"]["io.gocker.seccomp.bpf"];
  }
  std::vector<int> keep;
  if (terminal) {
    int c = ConnectConsole(a.Get("console-socket"));
    keep.push_back(c);
    spec["annotations"]["io.gocker.launch.console-fd"] = std::to_string(c);
  }
  // Not detached: the command comes to us once the monitor hands it over, and its exit
  // status is ours, as runc exec's.
  bool detach = a.Bool("detach");
  if (!detach) prctl(PR_SET_CHILD_SUBREAPER, 1);
  std::string spec_file = base + ".spec";
  int code = 0;
  try {
    WriteFileAtomic(spec_file, spec.dump());
    pid_t monitor = StartMonitor(spec_file, true, keep, terminal);
    for (int fd : keep) close(fd);
    int status = 0;
    while (waitpid(monitor, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) Fail(MonitorError(base + ".json", status));
    std::string pid_text;
    ReadFile(base + ".pid", &pid_text);
    pid_t pid = static_cast<pid_t>(atol(pid_text.c_str()));
    if (pid <= 0) Fail("exec: the process's pid was not recorded");
    if (a.Has("pid-file")) WriteFileAtomic(a.Get("pid-file"), std::to_string(pid));
    for (const char* ext : {".spec", ".pid", ".json"}) unlink((base + ext).c_str());
    if (!detach) {
      int ws = 0;
      while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
      }
      code = WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : WEXITSTATUS(ws);
    }
  } catch (...) {
    for (const char* ext : {".spec", ".pid", ".json"}) unlink((base + ext).c_str());
    throw;
  }
  return code;
}

int Update(const Strings& argv, size_t at) {
  Args a = Parse(argv, at, "update", {"resources", "r"}, {});
  std::string id = OneId(a, "update");
  if (!a.Has("resources") && !a.Has("r")) Fail("update: only --resources FILE (or - for stdin) is supported by gocker-runtime");
  std::string file = a.Has("resources") ? a.Get("resources") : a.Get("r"), text;
  if (file == "-") {
    // fd 0 itself: it may be a socket, which /dev/stdin cannot reopen.
    char buf[65536];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
      if (n > 0) text.append(buf, static_cast<size_t>(n));
    }
  } else if (!ReadFile(file, &text)) {
    Fail("open " + file + ": " + ErrText(errno));
  }
  json r = json::parse(text, nullptr, false);
  if (!r.is_object()) Fail("update: the resources are not a JSON object");
  State s = Load(id);
  if (Status(s) == "stopped") Fail("container not running");
  ApplyResources(s.cg, r, "resources", nullptr);
  return 0;
}

int Features() {
  json f = {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", "1.1.0"},
      {"hooks", {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
      {"mountOptions", {"ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "sync", "async", "dirsync", "noatime", "atime",
                        "nodiratime", "diratime", "relatime", "norelatime", "strictatime", "bind", "rbind", "private", "rprivate",
                        "shared", "rshared", "slave", "rslave"}},
      {"linux",
       {{"namespaces", {"pid", "network", "mount", "ipc", "uts", "cgroup", "user"}},
        {"capabilities", {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
                          "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
                          "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
                          "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
                          "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
                          "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
                          "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"}},
        {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}},
        {"seccomp",
         {{"enabled", true},
          {"actions", {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
                       "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"}},
          {"operators", {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"}},
          {"archs", {"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}}}},
        {"apparmor", {{"enabled", false}}},
        {"selinux", {{"enabled", false}}}}},
      {"annotations", {{"io.github.gocker.runtime", "gocker-runtime"}}}};
  printf("%s\n", f.dump(4).c_str());
  return 0;
}

// runc's logrus line, in --log-format's form.
std::string LogLine(const char* level, const std::string& msg) {
  if (g.log_format == "json") return json({{"level", level}, {"msg", msg}, {"time", Now()}}).dump() + "\n";
  return "time=\"" + Now() + "\" level=" + level + " msg=" + json(msg).dump() + "\n";
}

void LogError(const std::string& msg) {
  if (!g.log.empty()) WriteFile(g.log, LogLine("error", msg), O_CREAT | O_APPEND);
}

// A warning goes where runc's logrus puts it: the --log file, else stderr.
void LogWarning(const std::string& msg) {
  if (!g.log.empty()) {
    WriteFile(g.log, LogLine("warning", msg), O_CREAT | O_APPEND);
  } else {
    fputs(LogLine("warning", msg).c_str(), stderr);
  }
}

int Main(const Strings& argv) {
  size_t i = 1;
  // Global flags, before the command.
  for (; i < argv.size() && argv[i].size() > 1 && argv[i][0] == '-'; i++) {
    std::string s = argv[i], name = s.substr(s[1] == '-' ? 2 : 1), value;
    size_t eq = name.find('=');
    bool has_value = eq != std::string::npos;
    if (has_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto take = [&]() {
      if (has_value) return value;
      if (i + 1 >= argv.size()) Fail("flag needs an argument: -" + name);
      return argv[++i];
    };
    if (name == "root") g.root = take();
    else if (name == "log") g.log = take();
    else if (name == "log-format") g.log_format = take();
    else if (name == "criu" || name == "rootless") take();  // no checkpoints; never rootless (we refuse to run as non-root below)
    else if (name == "debug") {
    } else if (name == "systemd-cgroup") {
      if (!has_value || value == "true") Fail("--systemd-cgroup is not supported by gocker-runtime: it manages cgroups through cgroupfs only");
    } else if (name == "version" || name == "v") {
      printf("gocker-runtime version 0.1.0\nspec: 1.1.0\n");
      return 0;
    } else if (name == "help" || name == "h") {
      printf("usage: gocker-runtime [--root DIR] [--log FILE] [--log-format text|json] COMMAND [flags] ID\n"
             "commands: create start state kill delete exec ps pause resume list update features\n");
      return 0;
    } else {
      Fail("flag provided but not defined: -" + name);
    }
  }
  if (g.log_format != "text" && g.log_format != "json") Fail("unknown log-format \"" + g.log_format + "\"");
  if (i >= argv.size()) Fail("no command given: gocker-runtime COMMAND (create, start, state, kill, delete, exec, ps, pause, resume, list, features)");
  if (!g.root.empty() && g.root[0] != '/') {
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd)) g.root = std::string(cwd) + "/" + g.root;
  }
  const std::string& cmd = argv[i++];
  if (cmd == "create") return Create(argv, i);
  if (cmd == "start") return Start(argv, i);
  if (cmd == "state") return StateCmd(argv, i);
  if (cmd == "kill") return Kill(argv, i);
  if (cmd == "delete") return Delete(argv, i);
  if (cmd == "exec") return Exec(argv, i);
  if (cmd == "ps") return Ps(argv, i);
  if (cmd == "pause") return Pause(argv, i, true);
  if (cmd == "resume") return Pause(argv, i, false);
  if (cmd == "list") return List(argv, i);
  if (cmd == "update") return Update(argv, i);
  if (cmd == "features") return Features();
  if (cmd == "checkpoint" || cmd == "restore") Fail(cmd + " is not supported by gocker-runtime (no CRIU)");
  if (cmd == "run") Fail("run is not supported by gocker-runtime: create then start");
  Fail("No help topic for '" + cmd + "'");
}

}  // namespace
}  // namespace gocker_runtime

int main(int argc, char** argv) {
  using namespace gocker_runtime;
  signal(SIGPIPE, SIG_IGN);
  umask(022);
  try {
    return Main(Strings(argv, argv + argc));
  } catch (const Failure& e) {
    LogError(e.what());
    fprintf(stderr, "%s\n", e.what());
  } catch (const std::exception& e) {
    LogError(e.what());
    fprintf(stderr, "%s\n", e.what());
  }
  return 1;
}
