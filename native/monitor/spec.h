// The container's spec, as the monitor carries it out: an OCI runtime-spec config.json
// (gocker's own facts in io.gocker.* annotations), read and checked field by field. Anything
// the monitor does not understand, or that is not what it must be, is refused with what and
// where: a spec never becomes a default, a uid 0 or an unchanged capability set by accident.
#pragma once
#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace gocker_monitor {

using Strings = std::vector<std::string>;

struct Mount {
  std::string type;  // "bind" for a bind, else the filesystem's
  std::string source;
  std::string dest;
  unsigned long flags = 0;  // MS_*; MS_BIND (and MS_REC) for a bind
  std::string data;         // the filesystem's own options, comma-joined
  // The propagation asked for (shared, slave, unbindable, and their r- forms): MS_SHARED,
  // MS_SLAVE or MS_UNBINDABLE, else 0 (private, as every mount of the container's namespace
  // is once it is made private).
  unsigned long propagation = 0;
  bool propagation_recursive = false;
};

struct Device {
  std::string path;
  bool block = false;
  bool fifo = false;  // type "p": a named pipe, no numbers
  unsigned major = 0, minor = 0;
  mode_t mode = 0;  // permission bits
  bool owned = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

// One line of a user namespace's uid_map or gid_map: container IDs [container, container+size)
// are host IDs [host, host+size).
struct IdMapping {
  uint32_t container = 0, host = 0, size = 0;
};

// A runtime-spec hook: path run with args and env, killed after timeout seconds (-1: none).
struct Hook {
  std::string path;
  Strings args, env;
  int timeout = -1;
};

struct Rlimit {
  std::string name;
  int resource = -1;
  rlim_t soft = 0, hard = 0;
};

struct Spec {
  // process
  Strings args, env;
  std::string cwd;
  bool terminal = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0, ambient = 0;
  std::vector<Rlimit> rlimits;
  bool no_new_privs = false;
  int umask = -1;  // process.user.umask, -1 when not given (the monitor's own stays)
  // root, hostname, mounts, linux (a new container only)
  std::string root;
  bool root_readonly = false;
  unsigned long root_propagation = 0;  // linux.rootfsPropagation: MS_SHARED and the like, 0 for none asked
  std::string hostname;
  std::vector<Mount> mounts;
  bool own_network = true;
  int netns_fd = -1;  // a network namespace to join: linux.namespaces' network path /proc/self/fd/N
  // pid, ipc, uts: a new one each, unless the spec leaves it out (--pid/--ipc/--uts host: the
  // monitor's own, the host's) or names one to join by an fd the engine (or gocker-runtime, for
  // a pod's sandbox's) passed (container:NAME).
  bool own_pid = true, own_ipc = true, own_uts = true;
  int pidns_fd = -1, ipcns_fd = -1, utsns_fd = -1;
  // linux.namespaces' user: the container's own user namespace, made first (every other
  // namespace of the container is then its), its maps written by the monitor from outside.
  bool own_user = false;
  std::vector<IdMapping> uid_mappings, gid_mappings;
  // ... or another's joined (a pod's sandbox's, by an fd gocker-runtime opened): joined first
  // by an intermediate process, which makes the pid namespace in it (see monitor.cc).
  int userns_fd = -1;
  bool in_user() const { return own_user || userns_fd >= 0; }
  bool oom_score_adj_set = false;
  int oom_score_adj = 0;
  std::vector<std::pair<std::string, std::string>> sysctls;  // linux.sysctl: name (dotted), value
  std::vector<Device> devices;
  Strings masked, readonly;
  std::string seccomp_bpf;  // the program (struct sock_filter[]), read from its file
  unsigned seccomp_flags = 0;
  // io.gocker. annotations
  std::string overlay_root, overlay_options, rootfs_bind;
  std::string log_file;
  long long log_max_size = 0;
  long log_max_file = 1;
  std::string pid_file, exit_file, started_file;
  Strings cgroup_self, cgroup_procs;
  std::string oom_events;
  std::string device_bpf, device_cgroup;
  // --ipc shareable: the tmpfs the monitor mounts on the host for the container's /dev/shm
  // (a joiner binds the same), unmounted when the container ends
  std::string shm_path;
  long long shm_size = 0;
  bool detach = false, stdin_open = false;
  int go_fd = -1;
  int report_fd = -1;        // where "created" is said, once the pid file is written
  std::vector<int> hold_fds; // kept open while the container runs (published ports' sockets)
  std::string release_fifo;  // create: the FIFO a start writes to; else the go fd's second byte
  std::string attach_socket; // where the monitor serves the container's stdio (attach.h)
  Strings exit_command;
  std::string exit_command_if;  // run it only if this file is there at the exit (a restart policy's marker)
  // or if this one is: the engine has something of the container's to take down at its exit
  // (its published ports' rules)
  std::string exit_command_release;
  // The launching library's end of a socket pair: the exit offered there before the exit
  // command runs (HandOffExit in monitor.cc); -1: the exit command as it is.
  int exit_handoff_fd = -1;
  // at the exit, before exit.json: the cgroup directories joined (cgroup_self, cgroup_procs)
  // removed, as runc's delete removes them
  bool release_cgroup = false;
  // gocker-runtime (runc's command line, for containerd's shim): the container takes the
  // monitor's own stdio rather than relayed pipes; with -t its pty master goes to the console
  // socket the runtime connected (console_fd); and once the command runs the monitor leaves,
  // so the container's init is reparented to the shim, which reaps it (see ARCHITECTURE.md).
  bool stdio_inherit = false, hand_over = false;
  int console_fd = -1;
  // the engine's event log, where the monitor records the container's oom and die, and the
  // container's actor in it (its id; its labels, image and name)
  std::string events_file, event_id;
  std::map<std::string, std::string> event_attributes;
  Strings event_volumes;  // names of the volumes it mounts, for their unmount events at its exit
  // hooks.startContainer: run in the container (after pivot_root and the user switch, right
  // before the command), given the state on stdin: io.gocker.hooks.state, less pid and status.
  std::vector<Hook> start_container_hooks;
  std::string hook_state;
  // exec: the container's process to join
  pid_t target_pid = 0, target_parent = 0;
  std::string target_started, target_exit;
};

// Parses and checks text. exec: an exec spec (process, the container's seccomp, annotations).
// On error returns false with *error one line saying which field and why.
bool ParseSpec(const std::string& text, bool exec, Spec* spec, std::string* error);

// The exit file named by text's annotations, if it is one (for reporting a spec refused).
std::string ExitFileOf(const std::string& text);

}  // namespace gocker_monitor
