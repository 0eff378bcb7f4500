// The container's cgroups as the monitor and its child use them: v1 joined by the child
// itself, v2's device program attached, the oom kills counted, what is left killed.
#include <fcntl.h>
#include <linux/bpf.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../hex.h"
#include "monitor.h"
#include "spec.h"
#include "util.h"

namespace gocker_monitor {

// Joins the v1 hierarchies by writing "0" to their tasks files: a single-threaded task
// moving itself spares the kernel's global threadgroup lock (see lib/cgroups).
void JoinCgroupsSelf(const Spec& spec) {
  for (const std::string& f : spec.cgroup_self) {
    int fd = open(f.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) Die(kCgroup, errno, f);
    close(fd);
  }
}

// Every process still in the container's cgroup, SIGKILLed until none is left (a process
// forking meanwhile is caught by a later round). The cgroup is the one the spec joins: v2's
// cgroup.procs, or v1's beside its tasks file. Each through a pidfd taken before the list is
// read again and used only for a pid still listed: a listed process that exited, reaped by
// its namespace's init, frees its pid for any process of the host, which kill(pid) could hit
// (the pidfd holds the process it was opened for; one opened for a new holder of the pid is
// for a process the second list does not show).
void KillCgroupLeftovers(const Spec& spec) {
  std::string file;
  if (!spec.cgroup_procs.empty()) file = spec.cgroup_procs[0];
  else if (!spec.cgroup_self.empty()) file = spec.cgroup_self[0].substr(0, spec.cgroup_self[0].rfind('/')) + "/cgroup.procs";
  if (file.empty()) return;
  auto listed = [&file](std::vector<pid_t>* out) {
    std::string text;
    out->clear();
    if (!ReadFile(file, &text)) return false;
    for (const std::string& line : Split(text, '\n')) {
      pid_t p = static_cast<pid_t>(atol(line.c_str()));
      if (p > 1) out->push_back(p);
    }
    return true;
  };
  std::vector<pid_t> before, now;
  for (int round = 0; round < 200; round++) {
    if (!listed(&before) || before.empty()) return;
    std::vector<std::pair<pid_t, int>> held;
    for (pid_t p : before) {
      int fd = static_cast<int>(syscall(SYS_pidfd_open, p, 0));
      if (fd >= 0) held.push_back({p, fd});
    }
    bool reread = listed(&now);
    for (const auto& [p, fd] : held) {
      if (reread && std::find(now.begin(), now.end(), p) != now.end()) syscall(SYS_pidfd_send_signal, fd, SIGKILL, nullptr, 0);
      close(fd);
    }
    usleep(5000);
  }
}

// At the container's exit, as runc's delete: the directories of the cgroups it joined, each
// removed where it is empty, then their shared parent (lib/cgroups' release(), which the engine
// runs too when it sees the exit: whoever is first). Done before the exit is recorded, so
// that a start after it (a restart policy's, the user's) never has its new cgroup, under the
// same name, taken away. A task the kernel has not let go yet (EBUSY) is waited for briefly,
// as runc retries its removal; one that stays is left to the engine's rm.
void ReleaseCgroups(const Spec& spec) {
  Strings dirs;
  for (const Strings* files : {&spec.cgroup_self, &spec.cgroup_procs}) {
    for (const std::string& f : *files) {
      std::string d = f.substr(0, f.rfind('/'));
      if (!d.empty() && std::find(dirs.begin(), dirs.end(), d) == dirs.end()) dirs.push_back(d);
    }
  }
  for (int round = 0, delay_us = 1000; !dirs.empty() && round < 5; round++, delay_us *= 2) {
    if (round) usleep(delay_us);
    Strings busy;
    for (const std::string& d : dirs) {
      if (rmdir(d.c_str()) == 0) {
        rmdir(d.substr(0, d.rfind('/')).c_str());  // the parent: other containers' there (EBUSY), or gone
      } else if (errno == EBUSY) {
        busy.push_back(d);
      }
    }
    dirs.swap(busy);
  }
}

// The "oom_kill N" line of v1 memory.oom_control or v2 memory.events; -1 when unreadable.
long OomKills(const std::string& file) {
  std::string text;
  if (file.empty() || !ReadFile(file, &text)) return -1;
  for (const std::string& line : Split(text, '\n')) {
    if (line.compare(0, 9, "oom_kill ") == 0) return strtol(line.c_str() + 9, nullptr, 10);
  }
  return -1;
}

// cgroup v2's device control: the BPF_PROG_TYPE_CGROUP_DEVICE program TypeScript assembled
// (hex), loaded and attached to the container's cgroup before anything runs in it. An
// attach without flags replaces what a previous start of the same container left there.
bool AttachDeviceProgram(const std::string& hex, const std::string& cgroup_dir, std::string* error) {
  std::string code;
  if (!gocker::FromHex(hex, &code) || code.empty() || code.size() % sizeof(struct bpf_insn) != 0) {
    *error = "device cgroup: the program in the spec is not whole BPF instructions in hex";
    return false;
  }
  union bpf_attr load;
  memset(&load, 0, sizeof load);
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(code.data());
  load.insn_cnt = static_cast<uint32_t>(code.size() / sizeof(struct bpf_insn));
  load.license = reinterpret_cast<uint64_t>("GPL");
  int prog = static_cast<int>(syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load));
  if (prog < 0) {
    // Again with the verifier's log, for the message only (a log that does not fit is
    // itself an error, ENOSPC, so it is not asked for the first time).
    int err = errno;
    static char log[16384];
    load.log_buf = reinterpret_cast<uint64_t>(log);
    load.log_size = sizeof log;
    load.log_level = 1;
    syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
    log[sizeof log - 1] = 0;
    std::string last = log;
    while (!last.empty() && last.back() == '\n') last.pop_back();
    last = last.substr(last.rfind('\n') == std::string::npos ? 0 : last.rfind('\n') + 1);
    *error = std::string("device cgroup: load BPF program: ") + ErrText(err) + (last.empty() ? "" : ": " + last);
    return false;
  }
  int dir = open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    *error = "device cgroup: open " + cgroup_dir + ": " + ErrText(errno);
    close(prog);
    return false;
  }
  union bpf_attr attach;
  memset(&attach, 0, sizeof attach);
  attach.target_fd = static_cast<uint32_t>(dir);
  attach.attach_bpf_fd = static_cast<uint32_t>(prog);
  attach.attach_type = BPF_CGROUP_DEVICE;
  bool ok = syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof attach) == 0;
  if (!ok) *error = "device cgroup: attach BPF program to " + cgroup_dir + ": " + ErrText(errno);
  // The attachment holds the program; our fds are not needed past this.
  close(dir);
  close(prog);
  return ok;
}

}  // namespace gocker_monitor
