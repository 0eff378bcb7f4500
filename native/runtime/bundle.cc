// A bundle's config.json as the monitor's spec. The monitor reads and checks every field (it
// fails closed, naming what it does not support); this only does what needs the bundle or the
// host: root.path made absolute, namespace paths opened, the /sys/fs/cgroup mount spelled as
// this host's hierarchies, linux.seccomp compiled. gocker's own io.gocker.* annotations are
// added by the caller, and refused from the bundle: they name host files the monitor writes.
#include <fcntl.h>
#include <linux/magic.h>
#include <seccomp.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <map>

#include "../seccomp_bpf.h"
#include "runtime.h"

namespace gocker_runtime {
namespace {

bool HasOption(const json& m, const char* o) {
  auto it = m.find("options");
  if (it == m.end() || !it->is_array()) return false;
  for (const json& v : *it) {
    if (v.is_string() && v.get<std::string>() == o) return true;
  }
  return false;
}

// A runtime spec's /sys/fs/cgroup (type cgroup or cgroup2, no hierarchy named) as the mounts
// that show this host's hierarchies: the monitor makes them inside the container's cgroup
// namespace, so each shows the container's own cgroup as its root.
void SpellCgroupMount(json* doc) {
  auto ms = doc->find("mounts");
  if (ms == doc->end() || !ms->is_array()) return;
  json out = json::array();
  bool ro = false, changed = false;
  for (const json& m : *ms) {
    bool cg = m.is_object() && m.value("destination", "") == "/sys/fs/cgroup" && (m.value("type", "") == "cgroup" || m.value("type", "") == "cgroup2");
    if (!cg) {
      out.push_back(m);
      continue;
    }
    changed = true;
    ro = HasOption(m, "ro");
    std::vector<Hierarchy> hs = Hierarchies();
    json base = json::array({"nosuid", "noexec", "nodev"});
    if (hs.size() == 1 && hs[0].type == "cgroup2" && hs[0].mountpoint == "/sys/fs/cgroup") {
      if (ro) base.push_back("ro");
      out.push_back({{"destination", "/sys/fs/cgroup"}, {"type", "cgroup2"}, {"source", "cgroup"}, {"options", base}});
      continue;
    }
    json tmpfs = base;
    tmpfs.push_back("mode=755");
    out.push_back({{"destination", "/sys/fs/cgroup"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", tmpfs}});
    for (const Hierarchy& h : hs) {
      json o = base;
      for (const std::string& x : h.options) o.push_back(x);
      out.push_back({{"destination", h.mountpoint}, {"type", h.type}, {"source", "cgroup"}, {"options", o}});
    }
  }
  if (!changed) return;
  *ms = out;
  // The tmpfs holds the hierarchies' mount points, so it is made read-only (with them) once
  // they are mounted: as a read-only path.
  if (ro) {
    json& l = (*doc)["linux"];
    if (!l.contains("readonlyPaths")) l["readonlyPaths"] = json::array();
    if (l["readonlyPaths"].is_array()) l["readonlyPaths"].push_back("/sys/fs/cgroup");
  }
}

// The devices the runtime spec says a runtime supplies whatever the spec lists (runc makes them
// too): those linux.devices does not have already.
void AddDefaultDevices(json* doc) {
  if (!doc->contains("linux") || !(*doc)["linux"].is_object()) return;
  json& l = (*doc)["linux"];
  if (!l.contains("devices") || l["devices"].is_null()) l["devices"] = json::array();
  if (!l["devices"].is_array()) return;  // the monitor says what is wrong with it
  static const struct {
    const char* path;
    unsigned major, minor;
  } kDefaults[] = {{"/dev/null", 1, 3}, {"/dev/zero", 1, 5}, {"/dev/full", 1, 7}, {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0}};
  for (const auto& d : kDefaults) {
    bool have = false;
    for (const json& x : l["devices"]) have = have || (x.is_object() && x.value("path", "") == d.path);
    if (!have) l["devices"].push_back({{"path", d.path}, {"type", "c"}, {"major", d.major}, {"minor", d.minor}, {"fileMode", 0666}, {"uid", 0}, {"gid", 0}});
  }
  // And the device cgroup lets them, and the container's ptys (/dev/pts/*, /dev/ptmx), be
  // opened, as runc adds them after a spec's own rules: dockerd's spec leaves them to it.
  if (l.contains("resources") && l["resources"].is_object() && l["resources"].contains("devices") && l["resources"]["devices"].is_array()) {
    json& rules = l["resources"]["devices"];
    for (const auto& d : kDefaults) rules.push_back({{"allow", true}, {"type", "c"}, {"major", d.major}, {"minor", d.minor}, {"access", "rwm"}});
    rules.push_back({{"allow", true}, {"type", "c"}, {"major", 5}, {"minor", 2}, {"access", "rwm"}});
    rules.push_back({{"allow", true}, {"type", "c"}, {"major", 136}, {"access", "rwm"}});
    // The spec's own device nodes are made by the container's init while the monitor places
    // it in its cgroups, whose rules (set before the monitor starts) may deny them: runc sets
    // the rules only once the nodes are made. Making them ('m') is let here, so that it does
    // not depend on which comes first; reading and writing them stays with the spec's rules.
    for (const json& d : l["devices"]) {
      if (!d.is_object() || !d.contains("major") || !d.contains("minor") || !d["major"].is_number_integer() || !d["minor"].is_number_integer()) continue;
      // One node's numbers, in the kernel's range: a negative one would be the rule's '*'
      // (every device of the type), which the monitor's reader refuses anyway.
      long long major = d["major"].get<long long>(), minor = d["minor"].get<long long>();
      if (major < 0 || major > 4095 || minor < 0 || minor > 1048575) continue;
      std::string type = d.value("type", "");
      if (type != "c" && type != "u" && type != "b") continue;
      rules.push_back({{"allow", true}, {"type", type == "b" ? "b" : "c"}, {"major", d["major"]}, {"minor", d["minor"]}, {"access", "m"}});
    }
  }
}

uint32_t Action(const json& v, const json* errno_ret, const std::string& w) {
  if (!v.is_string()) Fail(w + ": must be a string");
  std::string a = v.get<std::string>();
  uint32_t ret = EPERM;
  if (errno_ret && !errno_ret->is_null()) {
    if (!errno_ret->is_number_unsigned() || errno_ret->get<unsigned long long>() > 4095) Fail(w + ": errnoRet must be a number from 0 to 4095");
    ret = errno_ret->get<uint32_t>();
  }
  if (a == "SCMP_ACT_KILL" || a == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (a == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (a == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (a == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(ret);
  if (a == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(ret);
  if (a == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (a == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  Fail(w + ": action " + v.dump() + " is not supported by gocker-runtime");
}

}  // namespace

void CompileSeccomp(const json& sc, const std::string& file) {
  const std::string w = "linux.seccomp";
  if (!sc.is_object()) Fail(w + ": must be an object");
  for (auto it = sc.begin(); it != sc.end(); ++it) {
    static const char* known[] = {"defaultAction", "defaultErrnoRet", "architectures", "flags", "syscalls"};
    bool ok = false;
    for (const char* k : known) ok = ok || it.key() == k;
    if (!ok) Fail(w + "." + it.key() + ": not supported by gocker-runtime");
  }
  if (!sc.contains("defaultAction")) Fail(w + ".defaultAction: missing");
  const json* def_ret = sc.contains("defaultErrnoRet") ? &sc["defaultErrnoRet"] : nullptr;
  uint32_t def = Action(sc["defaultAction"], def_ret, w + ".defaultAction");
  Strings arches;
  if (sc.contains("architectures") && !sc["architectures"].is_null()) {
    for (const json& a : sc["architectures"]) {
      if (!a.is_string()) Fail(w + ".architectures: must be a list of strings");
      arches.push_back(a.get<std::string>());
    }
  }
  static const std::map<std::string, scmp_compare> ops = {{"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
                                                          {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
                                                          {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
  std::vector<gocker::SeccompRule> rules;
  if (sc.contains("syscalls") && !sc["syscalls"].is_null()) {
    const json& list = sc["syscalls"];
    if (!list.is_array()) Fail(w + ".syscalls: must be a list");
    for (size_t i = 0; i < list.size(); i++) {
      const std::string sw = w + ".syscalls[" + std::to_string(i) + "]";
      const json& s = list[i];
      if (!s.is_object()) Fail(sw + ": must be an object");
      for (auto it = s.begin(); it != s.end(); ++it) {
        if (it.key() != "names" && it.key() != "action" && it.key() != "errnoRet" && it.key() != "args") Fail(sw + "." + it.key() + ": not supported by gocker-runtime");
      }
      if (!s.contains("names") || !s["names"].is_array()) Fail(sw + ".names: must be a list");
      uint32_t action = Action(s.value("action", json()), s.contains("errnoRet") ? &s["errnoRet"] : nullptr, sw + ".action");
      // The default already: libseccomp refuses such a rule, and it changes nothing (runc skips it too).
      if (action == def) continue;
      std::vector<scmp_arg_cmp> args;
      if (s.contains("args") && !s["args"].is_null()) {
        for (size_t j = 0; j < s["args"].size(); j++) {
          const json& a = s["args"][j];
          const std::string aw = sw + ".args[" + std::to_string(j) + "]";
          if (!a.is_object() || !a.contains("index") || !a["index"].is_number_unsigned() || a["index"].get<unsigned>() > 5) Fail(aw + ".index: must be 0 to 5");
          auto op = ops.find(a.value("op", ""));
          if (op == ops.end()) Fail(aw + ".op: unknown operator");
          scmp_arg_cmp c{};
          c.arg = a["index"].get<unsigned>();
          c.op = op->second;
          for (const char* k : {"value", "valueTwo"}) {
            if (a.contains(k) && !a[k].is_number_unsigned()) Fail(aw + "." + k + ": must be a number from 0 to 2^64-1, not " + a[k].dump());
          }
          c.datum_a = a.contains("value") ? a["value"].get<uint64_t>() : 0;
          c.datum_b = a.contains("valueTwo") ? a["valueTwo"].get<uint64_t>() : 0;
          args.push_back(c);
        }
      }
      for (const json& n : s["names"]) {
        if (!n.is_string()) Fail(sw + ".names: must be strings");
        rules.push_back({n.get<std::string>(), action, args});
      }
    }
  }
  std::string program, error;
  int err_no = 0;
  if (!gocker::CompileSeccomp(def, arches, rules, &program, &error, &err_no)) Fail(w + ": " + error);
  WriteFileAtomic(file, program);
}

json BundleSpec(const json& config, const std::string& bundle, const std::string& state_dir, std::vector<int>* fds) {
  if (!config.is_object()) Fail("config.json: must be a JSON object");
  json doc = config;
  if (doc.contains("annotations") && doc["annotations"].is_object()) {
    for (auto it = doc["annotations"].begin(); it != doc["annotations"].end(); ++it) {
      if (it.key().compare(0, 10, "io.gocker.") == 0) Fail("annotations." + it.key() + ": reserved for gocker, not allowed in a bundle");
    }
  } else if (!doc.contains("annotations") || doc["annotations"].is_null()) {
    doc["annotations"] = json::object();
  }
  if (!doc.contains("root") || !doc["root"].is_object() || !doc["root"].contains("path") || !doc["root"]["path"].is_string()) Fail("root.path: missing");
  std::string root = doc["root"]["path"].get<std::string>();
  if (root.empty() || root[0] != '/') root = bundle + "/" + root;
  char real[PATH_MAX];
  if (!realpath(root.c_str(), real)) Fail("rootfs (" + root + ") does not exist: " + ErrText(errno));
  doc["root"]["path"] = real;
  doc["annotations"]["io.gocker.rootfs.bind"] = real;
  if (doc.contains("linux") && doc["linux"].is_object()) {
    json& l = doc["linux"];
    if (l.contains("namespaces") && l["namespaces"].is_array()) {
      for (json& n : l["namespaces"]) {
        if (!n.is_object() || !n.contains("path") || !n["path"].is_string()) continue;
        std::string type = n.value("type", "");
        if (type != "network" && type != "ipc" && type != "uts" && type != "pid" && type != "user") continue;  // the monitor names what it refuses
        std::string path = n["path"].get<std::string>();
        // Looked at before it is opened for the monitor: a FIFO would block the open for
        // ever, a device would act on it (a watchdog starts counting). Only then opened for
        // the monitor, which joins it by this fd, kept open (not close-on-exec) for it.
        int where = open(path.c_str(), O_PATH | O_CLOEXEC);
        if (where < 0) Fail("linux.namespaces: open " + path + ": " + ErrText(errno));
        struct statfs fs;
        if (fstatfs(where, &fs) != 0 || fs.f_type != NSFS_MAGIC) {
          close(where);
          Fail("linux.namespaces: " + path + " is not a namespace");
        }
        int fd = open(("/proc/self/fd/" + std::to_string(where)).c_str(), O_RDONLY);
        int err = errno;
        close(where);
        if (fd < 0) Fail("linux.namespaces: open " + path + ": " + ErrText(err));
        fds->push_back(fd);
        n["path"] = "/proc/self/fd/" + std::to_string(fd);
      }
    }
    if (l.contains("seccomp") && !l["seccomp"].is_null()) {
      CompileSeccomp(l["seccomp"], state_dir + "/seccomp.bpf");
      doc["annotations"]["io.gocker.seccomp.bpf"] = state_dir + "/seccomp.bpf";
    }
  }
  // No AppArmor profile asked for ("unconfined", dockerd's --security-opt apparmor=unconfined)
  // is nothing to apply; any other profile is left for the monitor to refuse.
  if (doc.contains("process") && doc["process"].is_object() && doc["process"].contains("apparmorProfile")) {
    const json& a = doc["process"]["apparmorProfile"];
    if (a.is_string() && (a.get<std::string>().empty() || a.get<std::string>() == "unconfined")) doc["process"].erase("apparmorProfile");
  }
  // A property the runtime spec does not define is ignored, as it says runtimes MUST (runc
  // and crun do); one it defines and gocker does not carry out is still left for the monitor
  // to refuse by name.
  static const char* const kSpecProperties[] = {"ociVersion", "process", "root", "hostname", "domainname", "mounts", "hooks",
                                                "annotations", "linux", "solaris", "windows", "vm", "zos"};
  for (auto it = doc.begin(); it != doc.end();) {
    bool known = false;
    for (const char* k : kSpecProperties) known = known || it.key() == k;
    it = known ? std::next(it) : doc.erase(it);
  }
  SpellCgroupMount(&doc);
  AddDefaultDevices(&doc);
  return doc;
}

}  // namespace gocker_runtime
