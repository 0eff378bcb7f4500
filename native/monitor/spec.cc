#include "spec.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <cctype>
#include <initializer_list>
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <utility>

namespace gocker_monitor {
namespace {

using nlohmann::json;

// A field the spec got wrong: its path in the document and why.
struct Refused : std::runtime_error {
  explicit Refused(const std::string& what) : std::runtime_error(what) {}
};

std::string Shown(const json& v) {
  std::string s = v.dump(-1, ' ', true, json::error_handler_t::replace);
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

[[noreturn]] void Refuse(const std::string& where, const std::string& why) { throw Refused(where + ": " + why); }

const json& Object(const json& v, const std::string& where) {
  if (!v.is_object()) Refuse(where, "must be an object, not " + Shown(v));
  return v;
}

// Every key of o is one the monitor knows: one it would otherwise ignore may be meant to
// confine the container (hooks, user namespaces, sysctls, an AppArmor profile...).
void OnlyKeys(const json& o, const std::string& where, std::initializer_list<const char*> known) {
  for (auto it = o.begin(); it != o.end(); ++it) {
    bool ok = false;
    for (const char* k : known) ok = ok || it.key() == k;
    if (!ok) Refuse(where.empty() ? it.key() : where + "." + it.key(), "not supported by gocker-monitor");
  }
}

const json* Field(const json& o, const char* key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &*it;
}

const json& Required(const json& o, const std::string& where, const char* key) {
  const json* v = Field(o, key);
  if (!v) Refuse(where.empty() ? key : where + "." + key, "missing");
  return *v;
}

std::string Str(const json& v, const std::string& where) {
  if (!v.is_string()) Refuse(where, "must be a string, not " + Shown(v));
  const std::string& s = v.get_ref<const std::string&>();
  if (s.find('\0') != std::string::npos) Refuse(where, "may not contain a NUL byte");
  return s;
}

std::string AbsPath(const json& v, const std::string& where) {
  std::string s = Str(v, where);
  if (s.empty() || s[0] != '/') Refuse(where, "must be an absolute path, not " + Shown(v));
  return s;
}

bool Bool(const json& v, const std::string& where) {
  if (!v.is_boolean()) Refuse(where, "must be true or false, not " + Shown(v));
  return v.get<bool>();
}

uint64_t Unsigned(const json& v, const std::string& where, uint64_t max) {
  if (!v.is_number_unsigned() || v.get<uint64_t>() > max) Refuse(where, "must be a number from 0 to " + std::to_string(max) + ", not " + Shown(v));
  return v.get<uint64_t>();
}

Strings StrList(const json& v, const std::string& where) {
  if (!v.is_array()) Refuse(where, "must be a list, not " + Shown(v));
  Strings out;
  for (size_t i = 0; i < v.size(); i++) out.push_back(Str(v[i], where + "[" + std::to_string(i) + "]"));
  return out;
}

Strings PathList(const json& v, const std::string& where) {
  if (!v.is_array()) Refuse(where, "must be a list, not " + Shown(v));
  Strings out;
  for (size_t i = 0; i < v.size(); i++) out.push_back(AbsPath(v[i], where + "[" + std::to_string(i) + "]"));
  return out;
}

constexpr uint32_t kMaxId = 0xfffffffe;  // -1 means "unchanged" to set*id(2)

const std::map<std::string, int>& Capabilities() {
  static const std::map<std::string, int> m = {
      {"CAP_CHOWN", 0}, {"CAP_DAC_OVERRIDE", 1}, {"CAP_DAC_READ_SEARCH", 2}, {"CAP_FOWNER", 3}, {"CAP_FSETID", 4},
      {"CAP_KILL", 5}, {"CAP_SETGID", 6}, {"CAP_SETUID", 7}, {"CAP_SETPCAP", 8}, {"CAP_LINUX_IMMUTABLE", 9},
      {"CAP_NET_BIND_SERVICE", 10}, {"CAP_NET_BROADCAST", 11}, {"CAP_NET_ADMIN", 12}, {"CAP_NET_RAW", 13},
      {"CAP_IPC_LOCK", 14}, {"CAP_IPC_OWNER", 15}, {"CAP_SYS_MODULE", 16}, {"CAP_SYS_RAWIO", 17},
      {"CAP_SYS_CHROOT", 18}, {"CAP_SYS_PTRACE", 19}, {"CAP_SYS_PACCT", 20}, {"CAP_SYS_ADMIN", 21},
      {"CAP_SYS_BOOT", 22}, {"CAP_SYS_NICE", 23}, {"CAP_SYS_RESOURCE", 24}, {"CAP_SYS_TIME", 25},
      {"CAP_SYS_TTY_CONFIG", 26}, {"CAP_MKNOD", 27}, {"CAP_LEASE", 28}, {"CAP_AUDIT_WRITE", 29},
      {"CAP_AUDIT_CONTROL", 30}, {"CAP_SETFCAP", 31}, {"CAP_MAC_OVERRIDE", 32}, {"CAP_MAC_ADMIN", 33},
      {"CAP_SYSLOG", 34}, {"CAP_WAKE_ALARM", 35}, {"CAP_BLOCK_SUSPEND", 36}, {"CAP_AUDIT_READ", 37},
      {"CAP_PERFMON", 38}, {"CAP_BPF", 39}, {"CAP_CHECKPOINT_RESTORE", 40}};
  return m;
}

uint64_t CapSet(const json& v, const std::string& where) {
  uint64_t set = 0;
  Strings names = StrList(v, where);
  for (size_t i = 0; i < names.size(); i++) {
    auto it = Capabilities().find(names[i]);
    if (it == Capabilities().end()) Refuse(where + "[" + std::to_string(i) + "]", "unknown capability " + Shown(v[i]));
    set |= 1ULL << it->second;
  }
  return set;
}

int RlimitResource(const std::string& n) {
  static const std::map<std::string, int> m = {
      {"RLIMIT_CORE", RLIMIT_CORE}, {"RLIMIT_CPU", RLIMIT_CPU}, {"RLIMIT_DATA", RLIMIT_DATA},
      {"RLIMIT_FSIZE", RLIMIT_FSIZE}, {"RLIMIT_LOCKS", RLIMIT_LOCKS}, {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE}, {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_NPROC", RLIMIT_NPROC}, {"RLIMIT_RSS", RLIMIT_RSS}, {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
      {"RLIMIT_RTTIME", RLIMIT_RTTIME}, {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
      {"RLIMIT_AS", RLIMIT_AS}};
  auto it = m.find(n);
  return it == m.end() ? -1 : it->second;
}

void ParseProcess(const json& p, Spec* s) {
  const std::string w = "process";
  Object(p, w);
  OnlyKeys(p, w, {"terminal", "user", "args", "env", "cwd", "capabilities", "rlimits", "noNewPrivileges", "oomScoreAdj"});
  if (const json* t = Field(p, "terminal")) s->terminal = Bool(*t, w + ".terminal");
  const json& user = Object(Required(p, w, "user"), w + ".user");
  OnlyKeys(user, w + ".user", {"uid", "gid", "umask", "additionalGids"});
  if (const json* m = Field(user, "umask")) s->umask = static_cast<int>(Unsigned(*m, w + ".user.umask", 0777));
  s->uid = static_cast<uid_t>(Unsigned(Required(user, w + ".user", "uid"), w + ".user.uid", kMaxId));
  s->gid = static_cast<gid_t>(Unsigned(Required(user, w + ".user", "gid"), w + ".user.gid", kMaxId));
  if (const json* g = Field(user, "additionalGids")) {
    if (!g->is_array()) Refuse(w + ".user.additionalGids", "must be a list, not " + Shown(*g));
    for (size_t i = 0; i < g->size(); i++) s->groups.push_back(static_cast<gid_t>(Unsigned((*g)[i], w + ".user.additionalGids[" + std::to_string(i) + "]", kMaxId)));
  }
  s->args = StrList(Required(p, w, "args"), w + ".args");
  if (s->args.empty() || s->args[0].empty()) Refuse(w + ".args", "no command specified");
  if (const json* e = Field(p, "env")) s->env = StrList(*e, w + ".env");
  for (size_t i = 0; i < s->env.size(); i++) {
    if (s->env[i].find('=') == std::string::npos || s->env[i][0] == '=') Refuse(w + ".env[" + std::to_string(i) + "]", "must be NAME=VALUE, not " + Shown(s->env[i]));
  }
  s->cwd = AbsPath(Required(p, w, "cwd"), w + ".cwd");
  // Absent sets would leave the monitor's own (all of root's): only the two OCI lets a
  // runtime take as empty may be left out.
  const std::string cw = w + ".capabilities";
  const json& caps = Object(Required(p, w, "capabilities"), cw);
  OnlyKeys(caps, cw, {"bounding", "effective", "permitted", "inheritable", "ambient"});
  s->bounding = CapSet(Required(caps, cw, "bounding"), cw + ".bounding");
  s->effective = CapSet(Required(caps, cw, "effective"), cw + ".effective");
  s->permitted = CapSet(Required(caps, cw, "permitted"), cw + ".permitted");
  if (const json* c = Field(caps, "inheritable")) s->inheritable = CapSet(*c, cw + ".inheritable");
  if (const json* c = Field(caps, "ambient")) s->ambient = CapSet(*c, cw + ".ambient");
  if ((s->effective & ~s->permitted) || (s->permitted & ~s->bounding) || (s->ambient & ~(s->permitted & s->inheritable))) {
    Refuse(cw, "effective must be within permitted, permitted within bounding, ambient within permitted and inheritable");
  }
  if (const json* r = Field(p, "rlimits")) {
    if (!r->is_array()) Refuse(w + ".rlimits", "must be a list, not " + Shown(*r));
    for (size_t i = 0; i < r->size(); i++) {
      const std::string rw = w + ".rlimits[" + std::to_string(i) + "]";
      const json& o = Object((*r)[i], rw);
      OnlyKeys(o, rw, {"type", "soft", "hard"});
      Rlimit l;
      l.name = Str(Required(o, rw, "type"), rw + ".type");
      l.resource = RlimitResource(l.name);
      if (l.resource < 0) Refuse(rw + ".type", "unknown resource " + Shown(o["type"]));
      l.soft = Unsigned(Required(o, rw, "soft"), rw + ".soft", UINT64_MAX);
      l.hard = Unsigned(Required(o, rw, "hard"), rw + ".hard", UINT64_MAX);
      if (l.soft > l.hard) Refuse(rw, "soft limit above the hard one");
      s->rlimits.push_back(l);
    }
  }
  if (const json* n = Field(p, "noNewPrivileges")) s->no_new_privs = Bool(*n, w + ".noNewPrivileges");
  if (const json* o = Field(p, "oomScoreAdj")) {
    if (!o->is_number_integer() || o->get<long long>() < -1000 || o->get<long long>() > 1000) Refuse(w + ".oomScoreAdj", "must be a number from -1000 to 1000, not " + Shown(*o));
    s->oom_score_adj_set = true;
    s->oom_score_adj = static_cast<int>(o->get<long long>());
  }
}

// mount(8)'s flag words: the flag, and whether the word sets or clears it.
const std::map<std::string, std::pair<unsigned long, bool>>& FlagWords() {
  static const std::map<std::string, std::pair<unsigned long, bool>> m = {
      {"ro", {MS_RDONLY, true}}, {"rw", {MS_RDONLY, false}}, {"nosuid", {MS_NOSUID, true}}, {"suid", {MS_NOSUID, false}},
      {"nodev", {MS_NODEV, true}}, {"dev", {MS_NODEV, false}}, {"noexec", {MS_NOEXEC, true}}, {"exec", {MS_NOEXEC, false}},
      {"sync", {MS_SYNCHRONOUS, true}}, {"async", {MS_SYNCHRONOUS, false}}, {"dirsync", {MS_DIRSYNC, true}},
      {"noatime", {MS_NOATIME, true}}, {"atime", {MS_NOATIME, false}}, {"nodiratime", {MS_NODIRATIME, true}},
      {"diratime", {MS_NODIRATIME, false}}, {"relatime", {MS_RELATIME, true}}, {"norelatime", {MS_RELATIME, false}},
      {"strictatime", {MS_STRICTATIME, true}}};
  return m;
}

// The filesystem options each type may carry (words alone, and keys of key=value): what gocker
// asks of the kernel, nothing it would take from a spec without knowing.
bool DataOption(const std::string& type, const std::string& o) {
  static const std::map<std::string, std::pair<std::set<std::string>, std::set<std::string>>> known = {
      {"tmpfs", {{"inode32", "inode64", "noswap"}, {"size", "nr_blocks", "nr_inodes", "mode", "uid", "gid", "huge", "mpol"}}},
      {"devpts", {{"newinstance"}, {"ptmxmode", "mode", "gid", "uid", "max"}}},
      {"cgroup",
       {{"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio", "blkio", "perf_event", "hugetlb", "pids",
         "rdma", "misc", "xattr", "noprefix", "clone_children", "cpuset_v2_mode"},
        {"name"}}},
      {"cgroup2", {{"nsdelegate", "memory_recursiveprot", "memory_localevents", "favordynmods"}, {}}},
  };
  auto it = known.find(type);
  if (it == known.end()) return false;
  size_t eq = o.find('=');
  if (eq == std::string::npos) return it->second.first.count(o) > 0;
  return eq + 1 < o.size() && it->second.second.count(o.substr(0, eq)) > 0;
}

Mount ParseMount(const json& m, const std::string& w) {
  Object(m, w);
  OnlyKeys(m, w, {"destination", "type", "source", "options"});
  Mount out;
  out.dest = AbsPath(Required(m, w, "destination"), w + ".destination");
  Strings options;
  if (const json* o = Field(m, "options")) options = StrList(*o, w + ".options");
  // type is optional in the runtime spec: a mount without one is a bind by its options (as runc has it).
  bool bind_asked = std::find(options.begin(), options.end(), "bind") != options.end() || std::find(options.begin(), options.end(), "rbind") != options.end();
  out.type = !Field(m, "type") && bind_asked ? "bind" : Str(Required(m, w, "type"), w + ".type");
  static const std::set<std::string> types = {"bind", "proc", "sysfs", "tmpfs", "devpts", "mqueue", "cgroup", "cgroup2"};
  if (!types.count(out.type)) Refuse(w + ".type", "unsupported mount type " + Shown(m["type"]));
  bool bind = out.type == "bind";
  out.source = bind ? AbsPath(Required(m, w, "source"), w + ".source") : Str(Required(m, w, "source"), w + ".source");
  Strings data;
  bool bind_option = false, propagation_seen = false;
  for (const std::string& o : options) {
    auto f = FlagWords().find(o);
    if (f != FlagWords().end()) {
      if (f->second.second) out.flags |= f->second.first;
      else out.flags &= ~f->second.first;
    } else if (bind && (o == "bind" || o == "rbind")) {
      out.flags |= MS_BIND | (o == "rbind" ? MS_REC : 0);
      bind_option = true;
    } else if (o == "private" || o == "rprivate" || o == "shared" || o == "rshared" || o == "slave" || o == "rslave" || o == "unbindable" ||
               o == "runbindable") {
      // private: what every mount in the container is, its mount namespace made private
      // first. shared and slave keep a bind in (or under) the host mount's peer group; a
      // new filesystem's shared starts a peer group of the container's own (slave of none
      // is private).
      if (propagation_seen) Refuse(w + ".options", "more than one propagation: " + Shown(o));
      propagation_seen = true;
      bool shared = o.find("shared") != std::string::npos, slave = o.find("slave") != std::string::npos;
      out.propagation = shared ? MS_SHARED : slave ? MS_SLAVE : o.find("unbindable") != std::string::npos ? MS_UNBINDABLE : 0;
      out.propagation_recursive = o[0] == 'r';
    } else if (!bind && o.find(',') == std::string::npos && DataOption(out.type, o)) {
      data.push_back(o);
    } else {
      Refuse(w + ".options", "unknown or unsupported option " + Shown(o) + " for a " + out.type + " mount");
    }
  }
  if (bind && !bind_option) Refuse(w + ".options", "a bind mount needs \"bind\" or \"rbind\"");
  for (size_t i = 0; i < data.size(); i++) out.data += (i ? "," : "") + data[i];
  return out;
}

long long Decimal(const std::string& v, const std::string& where, long long min, long long max);

void ParseNamespaces(const json& v, Spec* s) {
  const std::string w = "linux.namespaces";
  if (!v.is_array()) Refuse(w, "must be a list, not " + Shown(v));
  std::set<std::string> seen;
  for (size_t i = 0; i < v.size(); i++) {
    const std::string nw = w + "[" + std::to_string(i) + "]";
    const json& n = Object(v[i], nw);
    OnlyKeys(n, nw, {"type", "path"});
    std::string type = Str(Required(n, nw, "type"), nw + ".type");
    static const std::set<std::string> known = {"pid", "network", "mount", "ipc", "uts", "cgroup", "user"};
    if (!known.count(type)) Refuse(nw + ".type", "unsupported namespace type " + Shown(n["type"]));
    if (!seen.insert(type).second) Refuse(nw + ".type", "namespace " + type + " given twice");
    if (const json* p = Field(n, "path")) {
      // Joined only through an fd the engine handed over open (it verified whose namespace
      // it is): a path would be opened here, after the check, and could name another
      // process's by then.
      std::string path = Str(*p, nw + ".path");
      const std::string prefix = "/proc/self/fd/";
      if (type != "network" && type != "pid" && type != "ipc" && type != "uts" && type != "user") Refuse(nw + ".path", "joining an existing " + type + " namespace is not supported by gocker-monitor");
      if (path.compare(0, prefix.size(), prefix) != 0) Refuse(nw + ".path", "must be /proc/self/fd/N (an fd the engine passed), not " + Shown(*p));
      int fd = static_cast<int>(Decimal(path.substr(prefix.size()), nw + ".path", 3, 1023));
      (type == "network" ? s->netns_fd : type == "pid" ? s->pidns_fd : type == "ipc" ? s->ipcns_fd : type == "user" ? s->userns_fd : s->utsns_fd) = fd;
    }
  }
  // The monitor always makes these: a spec without one asks for what it would not get. A
  // cgroup namespace is made whether asked for or not (a runtime spec from containerd may leave
  // it out): it only hides the host's cgroup tree, and the cgroup mounts are made inside it.
  for (const char* need : {"mount"}) {
    if (!seen.count(need)) Refuse(w, std::string("must include ") + need + ": gocker-monitor always makes a new one");
  }
  int fds[] = {s->netns_fd, s->pidns_fd, s->ipcns_fd, s->utsns_fd, s->userns_fd};
  for (int i = 0; i < 5; i++) {
    for (int j = i + 1; j < 5; j++) {
      if (fds[i] >= 0 && fds[i] == fds[j]) Refuse(w, "two namespaces joined through one fd");
    }
  }
  s->own_network = seen.count("network") > 0 && s->netns_fd < 0;
  s->own_pid = seen.count("pid") > 0 && s->pidns_fd < 0;
  s->own_ipc = seen.count("ipc") > 0 && s->ipcns_fd < 0;
  s->own_uts = seen.count("uts") > 0 && s->utsns_fd < 0;
  s->own_user = seen.count("user") > 0 && s->userns_fd < 0;
  // The user namespace is made with the pid namespace, before any other it makes. The
  // network, IPC and UTS namespaces a container joins (or keeps, the host's) belong to
  // another user namespace, where the container's root has no privilege: those joined are
  // entered before the user namespace is made (runc's order), and sysfs, which the kernel
  // gives only to the owner of the network namespace, is then the host's /sys bound (as runc
  // binds it). A pid namespace must be the container's: its root mounts proc for it.
  if (s->own_user && !s->own_pid) Refuse(w, "a user namespace needs a pid namespace of the container's own");
}

std::vector<IdMapping> ParseIdMappings(const json& v, const std::string& w) {
  if (!v.is_array()) Refuse(w, "must be a list, not " + Shown(v));
  std::vector<IdMapping> out;
  for (size_t i = 0; i < v.size(); i++) {
    const std::string mw = w + "[" + std::to_string(i) + "]";
    const json& m = Object(v[i], mw);
    OnlyKeys(m, mw, {"containerID", "hostID", "size"});
    IdMapping id;
    id.container = static_cast<uint32_t>(Unsigned(Required(m, mw, "containerID"), mw + ".containerID", kMaxId));
    id.host = static_cast<uint32_t>(Unsigned(Required(m, mw, "hostID"), mw + ".hostID", kMaxId));
    id.size = static_cast<uint32_t>(Unsigned(Required(m, mw, "size"), mw + ".size", kMaxId));
    if (id.size == 0) Refuse(mw + ".size", "must not be 0");
    if (uint64_t(id.container) + id.size - 1 > kMaxId || uint64_t(id.host) + id.size - 1 > kMaxId) Refuse(mw, "runs past the largest ID");
    out.push_back(id);
  }
  // The kernel takes at most 340 lines (since 4.15) and refuses overlaps with EINVAL: said here by field.
  if (out.size() > 340) Refuse(w, "more than 340 mappings");
  for (size_t i = 0; i < out.size(); i++) {
    for (size_t j = i + 1; j < out.size(); j++) {
      const IdMapping &a = out[i], &b = out[j];
      bool c = uint64_t(a.container) < uint64_t(b.container) + b.size && uint64_t(b.container) < uint64_t(a.container) + a.size;
      bool h = uint64_t(a.host) < uint64_t(b.host) + b.size && uint64_t(b.host) < uint64_t(a.host) + a.size;
      if (c || h) Refuse(w, "mappings " + std::to_string(i) + " and " + std::to_string(j) + " overlap");
    }
  }
  return out;
}

// linux.sysctl: only the names that are the container's own namespaces' (docker's list:
// net.* with a network namespace of its own, the IPC ones with an IPC namespace of its own),
// each a path under /proc/sys made of plain words.
void ParseSysctl(const json& v, Spec* s) {
  const std::string w = "linux.sysctl";
  Object(v, w);
  static const std::set<std::string> ipc = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                            "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string& k = it.key();
    const std::string kw = w + "." + k;
    std::string value = Str(it.value(), kw);
    bool words = !k.empty() && k.front() != '.' && k.back() != '.' && k.find("..") == std::string::npos;
    for (char c : k) words = words && (isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
    if (!words) Refuse(kw, "not a sysctl name");
    bool is_ipc = ipc.count(k) > 0 || k.compare(0, 10, "fs.mqueue.") == 0;
    bool is_net = k.compare(0, 4, "net.") == 0;
    if (!is_ipc && !is_net) Refuse(kw, "not in a namespace of the container's own");
    // Its own, or another container's it joined: never the host's (the monitor's).
    if (is_net && !s->own_network && s->netns_fd < 0) Refuse(kw, "needs a network namespace other than the host's");
    if (is_ipc && !s->own_ipc && s->ipcns_fd < 0) Refuse(kw, "needs an IPC namespace other than the host's");
    if (value.find('\n') != std::string::npos) Refuse(kw, "a value may not hold a newline");
    s->sysctls.emplace_back(k, value);
  }
}

Device ParseDevice(const json& d, const std::string& w) {
  Object(d, w);
  OnlyKeys(d, w, {"path", "type", "major", "minor", "fileMode", "uid", "gid"});
  Device out;
  out.path = AbsPath(Required(d, w, "path"), w + ".path");
  // Anywhere in the container, as runc makes them (docker's --device /dev/zero:/opt/z): under
  // /dev in the container's own tmpfs, elsewhere resolved inside the root (monitor.cc).
  if (out.path.size() < 2 || out.path.back() == '/' || out.path.find("/./") != std::string::npos ||
      out.path.find("/../") != std::string::npos || out.path.find("//") != std::string::npos ||
      (out.path.size() >= 3 && out.path.compare(out.path.size() - 3, 3, "/..") == 0) || (out.path.size() >= 2 && out.path.compare(out.path.size() - 2, 2, "/.") == 0)) {
    Refuse(w + ".path", "must name a file in the container, in its clean form, not " + Shown(d["path"]));
  }
  std::string type = Str(Required(d, w, "type"), w + ".type");
  // The runtime spec's four: "u" (unbuffered) is a character device too, as mknod has it.
  if (type != "c" && type != "u" && type != "b" && type != "p") Refuse(w + ".type", "must be \"c\", \"u\", \"b\" or \"p\", not " + Shown(d["type"]));
  out.block = type == "b";
  out.fifo = type == "p";
  if (!out.fifo || Field(d, "major") || Field(d, "minor")) {
    out.major = static_cast<unsigned>(Unsigned(Required(d, w, "major"), w + ".major", 4095));
    out.minor = static_cast<unsigned>(Unsigned(Required(d, w, "minor"), w + ".minor", 1048575));
  }
  out.mode = static_cast<mode_t>(Unsigned(Required(d, w, "fileMode"), w + ".fileMode", 07777));
  const json* uid = Field(d, "uid");
  const json* gid = Field(d, "gid");
  if (!uid != !gid) Refuse(w, "uid and gid go together");
  if (uid) {
    out.owned = true;
    out.uid = static_cast<uid_t>(Unsigned(*uid, w + ".uid", kMaxId));
    out.gid = static_cast<gid_t>(Unsigned(*gid, w + ".gid", kMaxId));
  }
  return out;
}

unsigned SeccompFlags(const json& seccomp, const std::string& w) {
  Object(seccomp, w);
  // The rules themselves reach the kernel as the program in io.gocker.seccomp.bpf, compiled
  // from them; a listener or anything newer would be ignored, so it is refused.
  OnlyKeys(seccomp, w, {"defaultAction", "defaultErrnoRet", "architectures", "flags", "syscalls"});
  Str(Required(seccomp, w, "defaultAction"), w + ".defaultAction");
  unsigned flags = 0;
  if (const json* f = Field(seccomp, "flags")) {
    Strings names = StrList(*f, w + ".flags");
    for (const std::string& n : names) {
      if (n == "SECCOMP_FILTER_FLAG_TSYNC") flags |= 1;
      else if (n == "SECCOMP_FILTER_FLAG_LOG") flags |= 2;
      else if (n == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") flags |= 4;
      else Refuse(w + ".flags", "unsupported flag " + Shown(n));
    }
  }
  return flags;
}

void ParseLinux(const json& l, bool exec, Spec* s) {
  const std::string w = "linux";
  Object(l, w);
  if (exec) {
    OnlyKeys(l, w, {"seccomp"});
  } else {
    OnlyKeys(l, w, {"namespaces", "uidMappings", "gidMappings", "devices", "resources", "cgroupsPath", "sysctl", "seccomp", "maskedPaths", "readonlyPaths", "rootfsPropagation"});
    ParseNamespaces(Required(l, w, "namespaces"), s);
    for (const char* k : {"uidMappings", "gidMappings"}) {
      const json* m = Field(l, k);
      if (!s->own_user) {
        if (m && !(m->is_array() && m->empty())) Refuse(w + "." + k, s->userns_fd >= 0 ? "given with a user namespace to join (its maps are made)" : "given without a user namespace");
        continue;
      }
      if (!m || (m->is_array() && m->empty())) Refuse(w + "." + k, "a new user namespace needs its mappings");
      (k[0] == 'u' ? s->uid_mappings : s->gid_mappings) = ParseIdMappings(*m, w + "." + k);
    }
    if (const json* p = Field(l, "rootfsPropagation")) {
      // The spec's four, and runc's recursive forms of them.
      static const std::map<std::string, unsigned long> kinds = {{"shared", MS_SHARED}, {"slave", MS_SLAVE}, {"private", MS_PRIVATE},
                                                                 {"unbindable", MS_UNBINDABLE}, {"rshared", MS_SHARED | MS_REC},
                                                                 {"rslave", MS_SLAVE | MS_REC}, {"rprivate", MS_PRIVATE | MS_REC},
                                                                 {"runbindable", MS_UNBINDABLE | MS_REC}};
      auto k = kinds.find(Str(*p, w + ".rootfsPropagation"));
      if (k == kinds.end()) Refuse(w + ".rootfsPropagation", "must be shared, slave, private or unbindable, not " + Shown(*p));
      s->root_propagation = k->second;
    }
    if (const json* sc = Field(l, "sysctl")) ParseSysctl(*sc, s);
    if (const json* d = Field(l, "devices")) {
      if (!d->is_array()) Refuse(w + ".devices", "must be a list, not " + Shown(*d));
      for (size_t i = 0; i < d->size(); i++) s->devices.push_back(ParseDevice((*d)[i], w + ".devices[" + std::to_string(i) + "]"));
    }
    // Applied by the engine, which made the cgroup the annotations name: only what it applies.
    if (const json* r = Field(l, "resources")) OnlyKeys(Object(*r, w + ".resources"), w + ".resources", {"devices", "memory", "cpu", "pids"});
    if (const json* c = Field(l, "cgroupsPath")) Str(*c, w + ".cgroupsPath");
    if (const json* m = Field(l, "maskedPaths")) s->masked = PathList(*m, w + ".maskedPaths");
    if (const json* r = Field(l, "readonlyPaths")) s->readonly = PathList(*r, w + ".readonlyPaths");
  }
  if (const json* sc = Field(l, "seccomp")) {
    s->seccomp_flags = SeccompFlags(*sc, w + ".seccomp");
    s->seccomp_bpf = "-";  // marks "required": the annotation fills it in
  }
}

// A compiled seccomp program: whole struct sock_filter instructions, no more than the kernel
// takes (BPF_MAXINSNS), from a regular file. Returns why not, or "".
std::string ReadProgram(const std::string& file, std::string* out) {
  int fd = open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return strerror(errno);
  struct stat st;
  constexpr off_t kMax = BPF_MAXINSNS * sizeof(struct sock_filter);
  std::string why;
  if (fstat(fd, &st) != 0) {
    why = strerror(errno);
  } else if (!S_ISREG(st.st_mode) || st.st_size == 0 || st.st_size > kMax || st.st_size % sizeof(struct sock_filter) != 0) {
    why = "not a BPF program (whole instructions, at most " + std::to_string(BPF_MAXINSNS) + ")";
  } else {
    out->resize(static_cast<size_t>(st.st_size));
    ssize_t n = pread(fd, &(*out)[0], out->size(), 0);
    if (n != static_cast<ssize_t>(out->size())) why = n < 0 ? strerror(errno) : "short read";
  }
  close(fd);
  return why;
}

bool IsHex(const std::string& s) {
  for (char c : s) {
    if (!isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty() && s.size() % 2 == 0;
}

long long Decimal(const std::string& v, const std::string& where, long long min, long long max) {
  if (v.empty() || v.size() > 18) Refuse(where, "must be a number, not " + Shown(v));
  for (char c : v) {
    if (c < '0' || c > '9') Refuse(where, "must be a number, not " + Shown(v));
  }
  long long n = std::stoll(v);
  if (n < min || n > max) Refuse(where, "must be from " + std::to_string(min) + " to " + std::to_string(max) + ", not " + v);
  return n;
}

// A JSON list of absolute paths, in an annotation's string.
Strings PathListIn(const std::string& v, const std::string& where) {
  json list = json::parse(v, nullptr, false);
  if (list.is_discarded()) Refuse(where, "must be a JSON list of paths, not " + Shown(v));
  return PathList(list, where);
}

// A path that goes into overlay's option string, where ',' and ':' separate.
std::string OverlayPath(const json& v, const std::string& where) {
  std::string p = AbsPath(v, where);
  if (p.find_first_of(",:") != std::string::npos) Refuse(where, "may not contain ',' or ':'");
  return p;
}

// hooks: the monitor runs startContainer, the only kind that must run inside the container
// after its root is pivoted; its caller (gocker-runtime) runs the others.
void ParseHooks(const json& h, Spec* s) {
  const std::string w = "hooks";
  Object(h, w);
  for (auto it = h.begin(); it != h.end(); ++it) {
    if (it.key() != "startContainer") Refuse(w + "." + it.key(), "not supported by gocker-monitor (its caller runs those)");
  }
  const json* list = Field(h, "startContainer");
  if (!list) return;
  if (!list->is_array()) Refuse(w + ".startContainer", "must be a list, not " + Shown(*list));
  for (size_t i = 0; i < list->size(); i++) {
    const std::string hw = w + ".startContainer[" + std::to_string(i) + "]";
    const json& x = Object((*list)[i], hw);
    OnlyKeys(x, hw, {"path", "args", "env", "timeout"});
    Hook hook;
    hook.path = AbsPath(Required(x, hw, "path"), hw + ".path");
    if (const json* a = Field(x, "args")) hook.args = StrList(*a, hw + ".args");
    if (hook.args.empty()) hook.args = {hook.path};
    if (const json* e = Field(x, "env")) hook.env = StrList(*e, hw + ".env");
    if (const json* t = Field(x, "timeout")) {
      if (!t->is_number_integer() || t->get<long long>() <= 0 || t->get<long long>() > 86400) Refuse(hw + ".timeout", "must be a number of seconds from 1 to 86400, not " + Shown(*t));
      hook.timeout = t->get<int>();
    }
    s->start_container_hooks.push_back(hook);
  }
}

void ParseAnnotations(const json& a, bool exec, Spec* s) {
  const std::string w = "annotations";
  Object(a, w);
  std::map<std::string, const json*> g;
  for (auto it = a.begin(); it != a.end(); ++it) {
    Str(it.value(), w + "." + it.key());
    if (it.key().compare(0, 10, "io.gocker.") == 0) g[it.key()] = &it.value();
  }
  std::set<std::string> used;
  auto get = [&](const char* key) -> const json* {
    auto it = g.find(key);
    if (it == g.end()) return nullptr;
    used.insert(key);
    return it->second;
  };
  auto where = [&](const char* key) { return w + "." + key; };
  auto boolean = [&](const char* key) {
    const json* v = get(key);
    if (!v) return false;
    if (*v != "true" && *v != "false") Refuse(where(key), "must be \"true\" or \"false\", not " + Shown(*v));
    return *v == "true";
  };
  const json* v;
  if ((v = get("io.gocker.pid-file"))) s->pid_file = AbsPath(*v, where("io.gocker.pid-file"));
  else Refuse(where("io.gocker.pid-file"), "missing");
  if ((v = get("io.gocker.exit-file"))) s->exit_file = AbsPath(*v, where("io.gocker.exit-file"));
  else Refuse(where("io.gocker.exit-file"), "missing");
  if ((v = get("io.gocker.started-file"))) s->started_file = AbsPath(*v, where("io.gocker.started-file"));
  if ((v = get("io.gocker.cgroup.join-self"))) s->cgroup_self = PathListIn(*v, where("io.gocker.cgroup.join-self"));
  if ((v = get("io.gocker.cgroup.join-pid"))) s->cgroup_procs = PathListIn(*v, where("io.gocker.cgroup.join-pid"));
  if ((v = get("io.gocker.seccomp.bpf"))) {
    if (s->seccomp_bpf.empty()) Refuse(where("io.gocker.seccomp.bpf"), "a program without linux.seccomp, which it must be compiled from");
    // Read now, on the host: exec joins the container's mount namespace before it loads it.
    std::string file = AbsPath(*v, where("io.gocker.seccomp.bpf"));
    std::string why = ReadProgram(file, &s->seccomp_bpf);
    if (!why.empty()) Refuse(where("io.gocker.seccomp.bpf"), file + ": " + why);
  } else if (!s->seccomp_bpf.empty()) {
    Refuse("linux.seccomp", "needs its compiled program in io.gocker.seccomp.bpf: gocker-monitor does not compile profiles");
  }
  s->detach = boolean("io.gocker.launch.detach");
  s->stdin_open = boolean("io.gocker.launch.stdin");
  s->stdio_inherit = boolean("io.gocker.launch.stdio-inherit");
  s->hand_over = boolean("io.gocker.launch.hand-over");
  if ((v = get("io.gocker.launch.console-fd"))) {
    s->console_fd = static_cast<int>(Decimal(*v, where("io.gocker.launch.console-fd"), 3, 1023));
    if (!s->terminal) Refuse(where("io.gocker.launch.console-fd"), "without process.terminal");
    if (s->console_fd == s->netns_fd || s->console_fd == s->ipcns_fd || s->console_fd == s->utsns_fd) Refuse(where("io.gocker.launch.console-fd"), "the same fd as a namespace's");
  }
  // The container's init is then the intermediate's child, not ours to wait for: only handed over.
  if (s->userns_fd >= 0 && !s->hand_over) Refuse("linux.namespaces", "joining a user namespace needs io.gocker.launch.hand-over");
  if (s->own_user && (s->netns_fd >= 0 || s->ipcns_fd >= 0 || s->utsns_fd >= 0) && !s->hand_over) {
    Refuse("linux.namespaces", "joining a namespace together with a new user namespace needs io.gocker.launch.hand-over");
  }
  if (s->hand_over && !s->stdio_inherit) Refuse(where("io.gocker.launch.hand-over"), "only with io.gocker.launch.stdio-inherit: nobody would relay the container's output");
  if (s->terminal && s->hand_over && s->console_fd < 0) Refuse(where("io.gocker.launch.hand-over"), "a terminal needs io.gocker.launch.console-fd");
  if (exec) {
    const char* need[] = {"io.gocker.exec.target-pid", "io.gocker.exec.target-parent", "io.gocker.exec.target-started", "io.gocker.exec.target-exit"};
    for (const char* k : need) {
      if (!g.count(k)) Refuse(where(k), "missing");
    }
    s->target_pid = static_cast<pid_t>(Decimal(*get(need[0]), where(need[0]), 2, 4194304));
    s->target_parent = static_cast<pid_t>(Decimal(*get(need[1]), where(need[1]), 1, 4194304));
    s->target_started = AbsPath(*get(need[2]), where(need[2]));
    s->target_exit = AbsPath(*get(need[3]), where(need[3]));
    // exec -t in the foreground: its terminal served on a socket of its own, as a
    // container's; the monitor says 'l' on the report fd once it listens, and the command is
    // released ('g' on the go fd) once the CLI is a client of it.
    const json* sock = get("io.gocker.launch.attach-socket");
    const json* go = get("io.gocker.launch.go-fd");
    const json* report = get("io.gocker.launch.report-fd");
    if (!sock != !go || !sock != !report) {
      Refuse(w, "io.gocker.launch.attach-socket, .go-fd and .report-fd go together in an exec spec");
    }
    if (sock) {
      if (s->detach) Refuse(where("io.gocker.launch.attach-socket"), "with io.gocker.launch.detach: nobody would attach");
      s->attach_socket = AbsPath(*sock, where("io.gocker.launch.attach-socket"));
      s->go_fd = static_cast<int>(Decimal(*go, where("io.gocker.launch.go-fd"), 3, 1023));
      s->report_fd = static_cast<int>(Decimal(*report, where("io.gocker.launch.report-fd"), 3, 1023));
      if (s->report_fd == s->go_fd) Refuse(where("io.gocker.launch.report-fd"), "the same fd as the go fd");
    }
  } else {
    const json* root = get("io.gocker.overlay.root");
    const json* lower = get("io.gocker.overlay.lowerdir");
    const json* upper = get("io.gocker.overlay.upperdir");
    const json* work = get("io.gocker.overlay.workdir");
    const json* bind = get("io.gocker.rootfs.bind");
    if ((root || lower || upper || work) && !(root && lower && upper && work)) Refuse(w, "io.gocker.overlay.root, .lowerdir, .upperdir and .workdir go together");
    if (!root == !bind) Refuse(w, "must say how root.path is made: io.gocker.overlay.* or io.gocker.rootfs.bind");
    if (bind) {
      s->rootfs_bind = AbsPath(*bind, where("io.gocker.rootfs.bind"));
    } else {
      s->overlay_root = AbsPath(*root, where("io.gocker.overlay.root"));
      // Short links under the store root (l/<name>): nothing that could name another place.
      std::string lw = where("io.gocker.overlay.lowerdir");
      std::string lowers = Str(*lower, lw);
      size_t i = 0;
      for (;;) {
        size_t j = lowers.find(':', i);
        std::string one = lowers.substr(i, j == std::string::npos ? std::string::npos : j - i);
        bool ok = one.size() > 2 && one.compare(0, 2, "l/") == 0;
        for (size_t k = 2; ok && k < one.size(); k++) ok = isalnum(static_cast<unsigned char>(one[k])) != 0;
        if (!ok) Refuse(lw, "must be l/<link> entries joined by ':', not " + Shown(one));
        if (j == std::string::npos) break;
        i = j + 1;
      }
      s->overlay_options = "lowerdir=" + lowers + ",upperdir=" + OverlayPath(*upper, where("io.gocker.overlay.upperdir")) +
                           ",workdir=" + OverlayPath(*work, where("io.gocker.overlay.workdir"));
    }
    if ((v = get("io.gocker.log.path"))) s->log_file = AbsPath(*v, where("io.gocker.log.path"));
    if ((v = get("io.gocker.log.max-size"))) {
      if (s->log_file.empty()) Refuse(where("io.gocker.log.max-size"), "without io.gocker.log.path");
      s->log_max_size = Decimal(*v, where("io.gocker.log.max-size"), 1, INT64_MAX / 2);
    }
    if ((v = get("io.gocker.log.max-file"))) {
      if (!s->log_max_size) Refuse(where("io.gocker.log.max-file"), "without io.gocker.log.max-size");
      s->log_max_file = static_cast<long>(Decimal(*v, where("io.gocker.log.max-file"), 1, 1000000));
    }
    if ((v = get("io.gocker.cgroup.oom-events"))) s->oom_events = AbsPath(*v, where("io.gocker.cgroup.oom-events"));
    const json* shm = get("io.gocker.shm.path");
    const json* shm_size = get("io.gocker.shm.size");
    if (!shm != !shm_size) Refuse(w, "io.gocker.shm.path and io.gocker.shm.size go together");
    if (shm) {
      s->shm_path = AbsPath(*shm, where("io.gocker.shm.path"));
      s->shm_size = Decimal(*shm_size, where("io.gocker.shm.size"), 1, INT64_MAX / 2);
    }
    const json* dbpf = get("io.gocker.devices.bpf");
    const json* dcg = get("io.gocker.devices.cgroup");
    if (!dbpf != !dcg) Refuse(w, "io.gocker.devices.bpf and io.gocker.devices.cgroup go together");
    if (dbpf) {
      s->device_bpf = Str(*dbpf, where("io.gocker.devices.bpf"));
      if (!IsHex(s->device_bpf)) Refuse(where("io.gocker.devices.bpf"), "must be a BPF program in hex");
      s->device_cgroup = AbsPath(*dcg, where("io.gocker.devices.cgroup"));
    }
    if ((v = get("io.gocker.launch.go-fd"))) s->go_fd = static_cast<int>(Decimal(*v, where("io.gocker.launch.go-fd"), 3, 1023));
    if ((v = get("io.gocker.launch.report-fd"))) s->report_fd = static_cast<int>(Decimal(*v, where("io.gocker.launch.report-fd"), 3, 1023));
    if ((v = get("io.gocker.launch.release-fifo"))) s->release_fifo = AbsPath(*v, where("io.gocker.launch.release-fifo"));
    if ((v = get("io.gocker.launch.attach-socket"))) s->attach_socket = AbsPath(*v, where("io.gocker.launch.attach-socket"));
    if (s->report_fd >= 0 && s->report_fd == s->go_fd) Refuse(where("io.gocker.launch.report-fd"), "the same fd as the go fd");
    if ((v = get("io.gocker.launch.hold-fds"))) {
      std::string hw = where("io.gocker.launch.hold-fds");
      json list = json::parse(v->get_ref<const std::string&>(), nullptr, false);
      if (list.is_discarded() || !list.is_array()) Refuse(hw, "must be a JSON list, not " + Shown(*v));
      std::set<int> taken = {s->go_fd, s->report_fd, s->netns_fd, s->pidns_fd, s->ipcns_fd, s->utsns_fd, s->console_fd};
      for (size_t i = 0; i < list.size(); i++) {
        std::string iw = hw + "[" + std::to_string(i) + "]";
        int fd = static_cast<int>(Decimal(Str(list[i], iw), iw, 3, 1023));
        if (!taken.insert(fd).second) Refuse(hw, "fd " + std::to_string(fd) + " given twice, or also as another of the launch's fds");
        s->hold_fds.push_back(fd);
      }
    }
    for (int fd : {s->netns_fd, s->pidns_fd, s->ipcns_fd, s->utsns_fd, s->userns_fd, s->console_fd}) {
      if (fd >= 0 && (fd == s->go_fd || fd == s->report_fd)) Refuse("linux.namespaces", "a namespace's or the console's fd is also the go or report fd");
    }
    if ((v = get("io.gocker.launch.exit-command"))) {
      std::string ew = where("io.gocker.launch.exit-command");
      json list = json::parse(v->get_ref<const std::string&>(), nullptr, false);
      if (list.is_discarded()) Refuse(ew, "must be a JSON list, not " + Shown(*v));
      s->exit_command = StrList(list, ew);
      if (s->exit_command.empty() || s->exit_command[0].empty() || s->exit_command[0][0] != '/') Refuse(ew, "must start with an absolute path");
    }
    if ((v = get("io.gocker.hooks.state"))) {
      std::string hw = where("io.gocker.hooks.state");
      json st = json::parse(v->get_ref<const std::string&>(), nullptr, false);
      if (st.is_discarded() || !st.is_object() || st.contains("pid") || st.contains("status")) Refuse(hw, "must be a JSON object without pid and status");
      s->hook_state = st.dump();
    }
    if (!s->start_container_hooks.empty() && s->hook_state.empty()) Refuse("hooks.startContainer", "needs io.gocker.hooks.state, the state to give it");
    if ((v = get("io.gocker.launch.exit-command-if"))) {
      if (s->exit_command.empty()) Refuse(where("io.gocker.launch.exit-command-if"), "without io.gocker.launch.exit-command");
      s->exit_command_if = AbsPath(*v, where("io.gocker.launch.exit-command-if"));
    }
    if ((v = get("io.gocker.launch.exit-command-release"))) {
      if (s->exit_command.empty()) Refuse(where("io.gocker.launch.exit-command-release"), "without io.gocker.launch.exit-command");
      s->exit_command_release = AbsPath(*v, where("io.gocker.launch.exit-command-release"));
    }
    if ((v = get("io.gocker.launch.exit-handoff-fd"))) {
      std::string hw = where("io.gocker.launch.exit-handoff-fd");
      if (s->exit_command.empty()) Refuse(hw, "without io.gocker.launch.exit-command: it is what the handoff stands in for");
      int fd = static_cast<int>(Decimal(*v, hw, 3, 1023));
      std::set<int> taken = {s->go_fd, s->report_fd, s->netns_fd, s->pidns_fd, s->ipcns_fd, s->utsns_fd, s->userns_fd, s->console_fd};
      taken.insert(s->hold_fds.begin(), s->hold_fds.end());
      if (taken.count(fd)) Refuse(hw, "fd " + std::to_string(fd) + " is also another of the launch's fds");
      // A connected Unix stream socket, or nothing is made: anything else (a file, a pipe, an
      // fd not open) would take the exit and leave it unhandled.
      struct stat st;
      int type = 0;
      socklen_t len = sizeof type;
      if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode) || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) {
        Refuse(hw, "fd " + std::to_string(fd) + " is not a stream socket");
      }
      s->exit_handoff_fd = fd;
    }
    s->release_cgroup = boolean("io.gocker.launch.release-cgroup");
  }
  if ((v = get("io.gocker.events.file"))) s->events_file = AbsPath(*v, where("io.gocker.events.file"));
  if ((v = get("io.gocker.events.actor"))) {
    // {"ID": id, "Attributes": {string: string}}, as the event log's Actor.
    std::string aw = where("io.gocker.events.actor");
    if (s->events_file.empty()) Refuse(aw, "without io.gocker.events.file");
    json actor = json::parse(v->get_ref<const std::string&>(), nullptr, false);
    if (actor.is_discarded() || !actor.is_object()) Refuse(aw, "must be a JSON object, not " + Shown(*v));
    OnlyKeys(actor, aw, {"ID", "Attributes"});
    s->event_id = Str(Required(actor, aw, "ID"), aw + ".ID");
    if (!IsHex(s->event_id)) Refuse(aw + ".ID", "must be a container id");
    const json& attrs = Required(actor, aw, "Attributes");
    Object(attrs, aw + ".Attributes");
    for (auto it = attrs.begin(); it != attrs.end(); ++it) s->event_attributes[it.key()] = Str(it.value(), aw + ".Attributes." + it.key());
  }
  // The volumes its run mounted: unmounted (docker's volume unmount events) at its exit.
  if ((v = get("io.gocker.events.volumes"))) {
    std::string vw = where("io.gocker.events.volumes");
    if (s->event_id.empty() || exec) Refuse(vw, "only with io.gocker.events.actor, in a container's spec");
    json list = json::parse(v->get_ref<const std::string&>(), nullptr, false);
    if (list.is_discarded()) Refuse(vw, "must be a JSON list, not " + Shown(*v));
    s->event_volumes = StrList(list, vw);
  }
  // Ours, and not one of those this kind of spec takes: a newer engine's, or a mistake.
  for (const auto& kv : g) {
    if (!used.count(kv.first)) Refuse(w + "." + kv.first, exec ? "not supported in an exec spec" : "not supported by gocker-monitor");
  }
}

// The document as nlohmann's DOM parser builds it, through its SAX interface, but for two
// things: a key given twice in one object is refused (which one counts would be left to the
// parser), and of linux.seccomp.syscalls only an empty list is kept. The monitor loads those
// rules compiled (io.gocker.seccomp.bpf, checked to come with them) and never reads them, and
// they are most of a spec's values: building them was a third of the parse.
class Reader : public nlohmann::json_sax<json> {
 public:
  json root;
  std::string twice;

  bool null() override { return Put(json(nullptr)); }
  bool boolean(bool v) override { return Put(json(v)); }
  bool number_integer(number_integer_t v) override { return Put(json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return Put(json(v)); }
  bool number_float(number_float_t v, const string_t&) override { return Put(json(v)); }
  bool string(string_t& v) override { return Put(json(std::move(v))); }
  bool binary(binary_t&) override { return false; }  // no such thing in JSON text
  bool start_object(std::size_t) override { return Open(json::object()); }
  bool start_array(std::size_t) override {
    if (!skip_ && stack_.size() == 3 && keys_[0] == "linux" && keys_[1] == "seccomp" && keys_[2] == "syscalls") {
      skip_ = 1;
      return true;
    }
    return Open(json::array());
  }
  bool key(string_t& k) override {
    if (skip_) return true;
    if (stack_.back()->contains(k)) {
      twice = k;
      return false;
    }
    keys_.back() = std::move(k);
    return true;
  }
  bool end_object() override { return Close(); }
  bool end_array() override {
    if (skip_ == 1) {
      skip_ = 0;
      return Put(json::array());
    }
    return Close();
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override { throw e; }

 private:
  std::vector<json*> stack_;  // the open objects and arrays, outermost first
  Strings keys_;              // the key each open object is at
  int skip_ = 0;              // how deep inside linux.seccomp.syscalls, from 1

  // A value: the root, or at the end of the open array, or at the open object's key.
  bool Put(json&& v) {
    if (skip_) return true;
    Place(std::move(v));
    return true;
  }
  json* Place(json&& v) {
    if (stack_.empty()) return &(root = std::move(v));
    json& top = *stack_.back();
    if (top.is_array()) {
      top.push_back(std::move(v));
      return &top.back();
    }
    return &(top[keys_.back()] = std::move(v));
  }
  bool Open(json&& v) {
    if (skip_) {
      skip_++;
      return true;
    }
    stack_.push_back(Place(std::move(v)));
    keys_.emplace_back();
    return true;
  }
  bool Close() {
    if (skip_) {
      skip_--;
      return true;
    }
    stack_.pop_back();
    keys_.pop_back();
    return true;
  }
};

}  // namespace

bool ParseSpec(const std::string& text, bool exec, Spec* s, std::string* error) {
  try {
    Reader reader;
    bool whole = json::sax_parse(text, &reader);
    if (!reader.twice.empty()) Refuse("\"" + reader.twice + "\"", "given twice in one object");
    if (!whole) Refuse("the spec", "not JSON");
    json& doc = reader.root;
    Object(doc, "the spec");
    if (exec) OnlyKeys(doc, "", {"ociVersion", "process", "linux", "annotations"});
    else OnlyKeys(doc, "", {"ociVersion", "process", "root", "hostname", "mounts", "linux", "hooks", "annotations"});
    std::string version = Str(Required(doc, "", "ociVersion"), "ociVersion");
    if (version.compare(0, 2, "1.") != 0) Refuse("ociVersion", "unsupported version " + Shown(version));
    ParseProcess(Required(doc, "", "process"), s);
    if (!exec) {
      const json& root = Object(Required(doc, "", "root"), "root");
      OnlyKeys(root, "root", {"path", "readonly"});
      s->root = AbsPath(Required(root, "root", "path"), "root.path");
      if (const json* r = Field(root, "readonly")) s->root_readonly = Bool(*r, "root.readonly");
      if (const json* h = Field(doc, "hostname")) s->hostname = Str(*h, "hostname");
      if (const json* m = Field(doc, "mounts")) {
        if (!m->is_array()) Refuse("mounts", "must be a list, not " + Shown(*m));
        for (size_t i = 0; i < m->size(); i++) s->mounts.push_back(ParseMount((*m)[i], "mounts[" + std::to_string(i) + "]"));
      }
      ParseLinux(Required(doc, "", "linux"), false, s);
      if (const json* h = Field(doc, "hooks")) ParseHooks(*h, s);
      // Without a UTS namespace of its own, sethostname would rename the host.
      if (!s->own_uts && !s->hostname.empty()) Refuse("hostname", "set without a uts namespace of the container's own");
    } else if (const json* l = Field(doc, "linux")) {
      ParseLinux(*l, true, s);
    }
    ParseAnnotations(Required(doc, "", "annotations"), exec, s);
    return true;
  } catch (const Refused& e) {
    *error = e.what();
  } catch (const json::exception& e) {
    // nlohmann's message, less its "[json.exception.parse_error.101] " tag.
    std::string m = e.what();
    size_t tag = m.find("] ");
    *error = "not JSON: " + (tag == std::string::npos ? m : m.substr(tag + 2));
  } catch (const std::exception& e) {
    *error = e.what();
  }
  return false;
}

std::string ExitFileOf(const std::string& text) {
  json doc = json::parse(text, nullptr, false);
  if (!doc.is_object()) return "";
  auto a = doc.find("annotations");
  if (a == doc.end() || !a->is_object()) return "";
  auto f = a->find("io.gocker.exit-file");
  if (f == a->end() || !f->is_string()) return "";
  const std::string& p = f->get_ref<const std::string&>();
  return !p.empty() && p[0] == '/' && p.find('\0') == std::string::npos ? p : "";
}

}  // namespace gocker_monitor
