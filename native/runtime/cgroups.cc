// The bundle's cgroup, made as runc's cgroupfs manager makes it: linux.cgroupsPath ("/a/b") under
// every hierarchy mounted at /sys/fs/cgroup (v1, with v2's unified one of a hybrid host), or
// under the one v2 hierarchy, with linux.resources written to its files before the container's
// process is placed in it. The systemd form ("slice:prefix:name") is refused: gocker talks to
// no systemd.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <set>
#include <utility>

#include "../devices_bpf.h"
#include "../hex.h"
#include "runtime.h"

namespace gocker_runtime {
namespace {

const char* const kRoot = "/sys/fs/cgroup";

void Write(const std::string& dir, const std::string& file, const std::string& value) {
  if (!WriteFile(dir + "/" + file, value)) Fail("cgroup: write " + value + " to " + dir + "/" + file + ": " + ErrText(errno));
}

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

std::string Trimmed(const std::string& path) {
  std::string s;
  if (!ReadFile(path, &s)) return "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string Num(const json& v, const std::string& where) {
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number_unsigned()) return std::to_string(v.get<unsigned long long>());
  Fail(where + ": must be a number, not " + v.dump());
}

void OnlyKeys(const json& o, const std::string& where, std::initializer_list<const char*> known) {
  if (!o.is_object()) Fail(where + ": must be an object");
  for (auto it = o.begin(); it != o.end(); ++it) {
    bool ok = false;
    for (const char* k : known) ok = ok || it.key() == k;
    if (!ok) Fail(where + "." + it.key() + ": not supported by gocker-runtime");
  }
}

// One linux.resources.devices entry as a v1 devices.allow/deny line.
std::string DeviceLine(const json& d, const std::string& w, bool* allow) {
  OnlyKeys(d, w, {"allow", "type", "major", "minor", "access"});
  auto a = d.find("allow");
  if (a == d.end() || !a->is_boolean()) Fail(w + ".allow: must be true or false");
  *allow = a->get<bool>();
  std::string type = "a";
  if (d.contains("type")) {
    if (!d["type"].is_string()) Fail(w + ".type: must be a string");
    type = d["type"].get<std::string>();
  }
  if (type != "a" && type != "c" && type != "b") Fail(w + ".type: must be a, c or b, not " + d["type"].dump());
  auto id = [&](const char* k) -> std::string {
    if (!d.contains(k) || d[k].is_null()) return "*";
    const json& v = d[k];
    if (v.is_number_integer() && v.get<long long>() == -1) return "*";
    if (!v.is_number_integer() || v.get<long long>() < 0) Fail(w + "." + k + ": must be a number, not " + v.dump());
    return std::to_string(v.get<long long>());
  };
  std::string access = "rwm";
  if (d.contains("access")) {
    if (!d["access"].is_string()) Fail(w + ".access: must be a string");
    access = d["access"].get<std::string>();
    if (access.empty() || access.find_first_not_of("rwm") != std::string::npos) Fail(w + ".access: must be letters of rwm, not " + d["access"].dump());
  }
  return type + " " + id("major") + ":" + id("minor") + " " + access;
}

// A directory of cg's with a file that begins with prefix (a controller's files, whose names
// vary by host: hugetlb.2MB.max), and whether it is a v2 one; "" if none has.
std::string DirWith(const Cgroups& cg, const Strings& files, bool* v2) {
  for (const std::string& d : cg.dirs) {
    for (const std::string& f : files) {
      if (Exists(d + "/" + f)) {
        *v2 = Exists(d + "/cgroup.controllers");
        return d;
      }
    }
  }
  return "";
}

// linux.resources.hugepageLimits: hugetlb.<pageSize>.limit_in_bytes (v1) or .max (v2), and
// the limit on reservations too where the kernel has it, as runc sets both (a reservation is
// what mmap takes; the other limit is met only at fault time).
void HugepageLimits(const Cgroups& cg, const json& list, const std::string& w) {
  DIR* dir = opendir("/sys/kernel/mm/hugepages");
  Strings have;  // "2MB", "1GB": the kernel's hugepages-2048kB as the cgroup files name it
  for (struct dirent* e; dir && (e = readdir(dir));) {
    unsigned long kb = 0;
    if (sscanf(e->d_name, "hugepages-%lukB", &kb) != 1) continue;
    have.push_back(kb >= 1 << 20 ? std::to_string(kb >> 20) + "GB" : kb >= 1 << 10 ? std::to_string(kb >> 10) + "MB" : std::to_string(kb) + "KB");
  }
  if (dir) closedir(dir);
  Strings probes;
  for (const std::string& h : have) probes.insert(probes.end(), {"hugetlb." + h + ".limit_in_bytes", "hugetlb." + h + ".max"});
  bool v2 = false;
  std::string d = DirWith(cg, probes, &v2);
  if (d.empty()) Fail(w + ": this host has no hugetlb cgroup controller");
  for (size_t i = 0; i < list.size(); i++) {
    const std::string iw = w + "[" + std::to_string(i) + "]";
    const json& l = list[i];
    OnlyKeys(l, iw, {"pageSize", "limit"});
    if (!l.contains("pageSize") || !l["pageSize"].is_string()) Fail(iw + ".pageSize: must be a string");
    const std::string size = l["pageSize"];
    if (std::find(have.begin(), have.end(), size) == have.end()) {
      std::string all;
      for (const std::string& h : have) all += (all.empty() ? "" : ", ") + h;
      Fail(iw + ".pageSize: this host has no huge pages of size " + l["pageSize"].dump() + " (it has " + (all.empty() ? "none" : all) + ")");
    }
    if (!l.contains("limit")) Fail(iw + ".limit: missing");
    const std::string limit = Num(l["limit"], iw + ".limit");
    const std::string file = "hugetlb." + size + (v2 ? ".max" : ".limit_in_bytes");
    const std::string rsvd = "hugetlb." + size + (v2 ? ".rsvd.max" : ".rsvd.limit_in_bytes");
    Write(d, file, limit);
    if (Exists(d + "/" + rsvd)) Write(d, rsvd, limit);
  }
}

// One blockIO device entry's "major:minor".
std::string DeviceNumbers(const json& e, const std::string& w) {
  for (const char* k : {"major", "minor"}) {
    if (!e.contains(k) || !e[k].is_number_integer() || e[k].get<long long>() < 0) Fail(w + "." + k + ": must be a number");
  }
  return std::to_string(e["major"].get<long long>()) + ":" + std::to_string(e["minor"].get<long long>());
}

// v1's blkio weight (10..1000) as v2's io.weight (1..10000), runc's conversion.
std::string IoWeight(unsigned long long v1) { return std::to_string(v1 == 0 ? 0 : 1 + (v1 < 10 ? 0 : v1 - 10) * 9999 / 990); }

// linux.resources.blockIO on v1's blkio controller (blkio.weight, or blkio.bfq.weight where
// BFQ is the scheduler; blkio.throttle.*) or v2's io (io.bfq.weight or io.weight; io.max).
void BlockIO(const Cgroups& cg, const json& b, const std::string& w) {
  OnlyKeys(b, w, {"weight", "leafWeight", "weightDevice", "throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice", "throttleWriteIOPSDevice"});
  bool v2 = false;
  std::string d = DirWith(cg, {"blkio.throttle.read_bps_device", "blkio.weight", "blkio.bfq.weight", "io.max", "io.weight", "io.bfq.weight"}, &v2);
  if (d.empty()) Fail(w + ": this host has no blkio (v1) or io (v2) cgroup controller");
  auto set = [&](const char* k) { return b.contains(k) && !b[k].is_null() && !(b[k].is_number() && b[k].get<double>() == 0) && !(b[k].is_array() && b[k].empty()); };
  auto list = [&](const char* k) -> const json& {
    if (!b[k].is_array()) Fail(w + "." + k + ": must be a list");
    return b[k];
  };
  // The weight files: BFQ's where the device's scheduler is BFQ (its file then exists), else
  // CFQ's (v1, gone from kernels since 5.0) or v2's io.weight; none on a kernel with neither.
  const bool bfq = Exists(d + (v2 ? "/io.bfq.weight" : "/blkio.bfq.weight"));
  auto weight_file = [&](const std::string& field) {
    std::string f = v2 ? (bfq ? "io.bfq.weight" : "io.weight") : (bfq ? "blkio.bfq.weight" : "blkio.weight");
    if (!Exists(d + "/" + f)) Fail(field + ": this kernel's " + (v2 ? "io" : "blkio") + " controller has no weight (no BFQ or CFQ I/O scheduler)");
    return f;
  };
  auto weight = [&](const json& v) {
    unsigned long long n = v.get<unsigned long long>();
    return v2 && !bfq ? IoWeight(n) : std::to_string(n);
  };
  if (set("weight")) {
    if (!b["weight"].is_number_unsigned()) Fail(w + ".weight: must be a number");
    std::string f = weight_file(w + ".weight");
    Write(d, f, (v2 ? "default " : "") + weight(b["weight"]));
  }
  if (set("leafWeight")) {
    if (v2 || !Exists(d + "/blkio.leaf_weight")) Fail(w + ".leafWeight: this kernel has no leaf weight (CFQ's, gone since Linux 5.0)");
    Write(d, "blkio.leaf_weight", Num(b["leafWeight"], w + ".leafWeight"));
  }
  if (set("weightDevice")) {
    const json& l = list("weightDevice");
    for (size_t i = 0; i < l.size(); i++) {
      const std::string iw = w + ".weightDevice[" + std::to_string(i) + "]";
      OnlyKeys(l[i], iw, {"major", "minor", "weight", "leafWeight"});
      std::string dev = DeviceNumbers(l[i], iw);
      if (l[i].contains("weight") && !l[i]["weight"].is_null()) {
        if (!l[i]["weight"].is_number_unsigned()) Fail(iw + ".weight: must be a number");
        std::string f = weight_file(iw + ".weight");
        Write(d, v2 || bfq ? f : "blkio.weight_device", dev + " " + weight(l[i]["weight"]));
      }
      if (l[i].contains("leafWeight") && !l[i]["leafWeight"].is_null()) {
        if (v2 || !Exists(d + "/blkio.leaf_weight_device")) Fail(iw + ".leafWeight: this kernel has no leaf weight (CFQ's, gone since Linux 5.0)");
        Write(d, "blkio.leaf_weight_device", dev + " " + Num(l[i]["leafWeight"], iw + ".leafWeight"));
      }
    }
  }
  static const struct {
    const char *field, *v1, *v2;
  } throttles[] = {{"throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps"},
                   {"throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps"},
                   {"throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops"},
                   {"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops"}};
  for (const auto& t : throttles) {
    if (!set(t.field)) continue;
    const json& l = list(t.field);
    for (size_t i = 0; i < l.size(); i++) {
      const std::string iw = w + "." + t.field + "[" + std::to_string(i) + "]";
      OnlyKeys(l[i], iw, {"major", "minor", "rate"});
      std::string dev = DeviceNumbers(l[i], iw);
      if (!l[i].contains("rate")) Fail(iw + ".rate: missing");
      std::string rate = Num(l[i]["rate"], iw + ".rate");
      if (v2) {
        Write(d, "io.max", dev + " " + t.v2 + "=" + (rate == "0" ? "max" : rate));
      } else {
        if (!Exists(d + "/" + t.v1)) Fail(iw + ": this kernel has no blkio throttling (CONFIG_BLK_DEV_THROTTLING)");
        Write(d, t.v1, dev + " " + rate);
      }
    }
  }
}

}  // namespace

// Whether a blockIO asks for anything: dockerd sends one with every field zero or empty
// (unset) with each container, which needs no controller.
bool BlockIOSet(const json& b) {
  if (!b.is_object()) return !b.is_null();
  for (auto it = b.begin(); it != b.end(); ++it) {
    const json& v = it.value();
    if (!(v.is_null() || (v.is_number() && v.get<double>() == 0) || (v.is_array() && v.empty()))) return true;
  }
  return false;
}

json Cgroups::ToJson() const { return json{{"dirs", dirs}, {"v2", v2}}; }

Cgroups Cgroups::FromJson(const json& j) {
  Cgroups c;
  c.dirs = j.at("dirs").get<Strings>();
  c.v2 = j.at("v2").get<bool>();
  return c;
}

std::vector<Hierarchy> Hierarchies() {
  std::string info;
  std::vector<Hierarchy> out;
  if (!ReadFile("/proc/self/mountinfo", &info)) return out;
  static const std::set<std::string> controllers = {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio",
                                                    "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc"};
  std::set<std::string> seen;
  for (const std::string& line : Split(info, '\n')) {
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    Strings left = Split(line.substr(0, dash), ' ');
    Strings right = Split(line.substr(dash + 3), ' ');
    if (left.size() < 5 || right.size() < 3) continue;
    const std::string& mp = left[4];
    if (right[0] != "cgroup" && right[0] != "cgroup2") continue;
    if (mp != kRoot && mp.compare(0, strlen(kRoot) + 1, std::string(kRoot) + "/") != 0) continue;
    if (!seen.insert(mp).second || mp.find('\\') != std::string::npos) continue;
    Hierarchy h{mp, right[0], {}};
    for (const std::string& o : Split(right[2], ',')) {
      if (controllers.count(o) || o.compare(0, 5, "name=") == 0) h.options.push_back(o);
    }
    if (h.type == "cgroup" && h.options.empty()) continue;
    out.push_back(h);
  }
  return out;
}

Cgroups MakeCgroups(const std::string& path, const json* resources, std::string* device_program) {
  if (path.find(':') != std::string::npos) Fail("linux.cgroupsPath: the systemd form " + path + " is not supported by gocker-runtime (cgroupfs paths only)");
  Strings parts;
  for (const std::string& p : Split(path, '/')) {
    if (p.empty()) continue;
    if (p == "." || p == "..") Fail("linux.cgroupsPath: may not contain . or .. (" + path + ")");
    parts.push_back(p);
  }
  if (parts.empty()) Fail("linux.cgroupsPath: names no cgroup below the root (" + path + ")");
  Cgroups cg;
  std::vector<Hierarchy> hs = Hierarchies();
  if (hs.empty()) Fail("cgroup: no cgroup hierarchy is mounted at /sys/fs/cgroup");
  cg.v2 = hs.size() == 1 && hs[0].type == "cgroup2" && hs[0].mountpoint == kRoot;
  // On a hybrid host the v2 hierarchy has the controllers no v1 one has (here hugetlb, or io):
  // only those the resources ask for are enabled down to the container's cgroup, so that a
  // controller nobody uses stays free for a v1 hierarchy to take.
  std::set<std::string> v1_controllers, hybrid_wanted;
  for (const Hierarchy& h : hs) {
    if (h.type == "cgroup") v1_controllers.insert(h.options.begin(), h.options.end());
  }
  if (resources && resources->is_object()) {
    const json& r = *resources;
    if (r.contains("hugepageLimits") && r["hugepageLimits"].is_array() && !r["hugepageLimits"].empty() && !v1_controllers.count("hugetlb")) hybrid_wanted.insert("hugetlb");
    if (r.contains("blockIO") && BlockIOSet(r["blockIO"]) && !v1_controllers.count("blkio")) hybrid_wanted.insert("io");
  }
  std::vector<std::string> made;
  try {
    for (const Hierarchy& h : hs) {
      std::string dir = h.mountpoint;
      bool cpuset = false;
      for (const std::string& o : h.options) cpuset = cpuset || o == "cpuset";
      for (const std::string& p : parts) {
        if (h.type == "cgroup2") {
          // Controllers reach a child only through its parent's subtree_control: as runc,
          // every one the parent has (those the kernel refuses, as busy, are left out); on a
          // hybrid host those wanted only.
          std::string have = Trimmed(dir + "/cgroup.controllers");
          for (const std::string& c : Split(have, ' ')) {
            if (!c.empty() && (cg.v2 || hybrid_wanted.count(c))) WriteFile(dir + "/cgroup.subtree_control", "+" + c);
          }
        }
        std::string parent = dir;
        dir += "/" + p;
        if (mkdir(dir.c_str(), 0755) == 0) {
          made.push_back(dir);
        } else if (errno != EEXIST) {
          Fail("cgroup: mkdir " + dir + ": " + ErrText(errno));
        }
        // v1 cpuset: a new cgroup has no cpus or mems until given its parent's.
        if (cpuset) {
          for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
            if (Trimmed(dir + "/" + f).empty()) Write(dir, f, Trimmed(parent + "/" + f));
          }
        }
      }
      cg.dirs.push_back(dir);
    }
    // A cgroup with processes in it already is someone else's (a host service's, another
    // container's): this container's limits would be put on them, and delete -f and kill
    // --all would kill them. Refused, as runc refuses it.
    std::vector<pid_t> there = Procs(cg);
    if (!there.empty()) Fail("linux.cgroupsPath: container's cgroup is not empty: " + std::to_string(there.size()) + " process(es) found (" + path + ")");
    if (resources) ApplyResources(cg, *resources, "linux.resources", device_program);
  } catch (...) {
    for (auto it = made.rbegin(); it != made.rend(); ++it) rmdir(it->c_str());
    throw;
  }
  return cg;
}

void ApplyResources(const Cgroups& cg, const json& r, const std::string& w, std::string* device_program) {
  OnlyKeys(r, w, {"devices", "memory", "cpu", "pids", "blockIO", "hugepageLimits", "network"});
  // The directory of the hierarchy with a controller (v1), or the one directory (v2); "" if
  // this host has no such controller.
  auto dir_of = [&](const std::string& controller) -> std::string {
    // A file only that controller's directory has.
    static const std::map<std::string, std::pair<const char*, const char*>> probe = {
        {"devices", {"devices.allow", ""}}, {"memory", {"memory.limit_in_bytes", "memory.max"}}, {"cpu", {"cpu.shares", "cpu.max"}},
        {"cpuset", {"cpuset.cpus", "cpuset.cpus"}}, {"pids", {"pids.max", "pids.max"}}};
    const auto& f = probe.at(controller);
    for (const std::string& d : cg.dirs) {
      if (*(cg.v2 ? f.second : f.first) && Exists(d + "/" + (cg.v2 ? f.second : f.first))) return d;
    }
    return "";
  };
  auto need = [&](const char* controller, const std::string& field) {
    std::string d = dir_of(controller);
    if (d.empty()) Fail(field + ": this host has no " + controller + " cgroup controller");
    return d;
  };
  if (const auto it = r.find("devices"); it != r.end() && !it->is_null()) {
    if (!it->is_array()) Fail(w + ".devices: must be a list");
    if (cg.v2) {
      // No interface file: a program the monitor attaches before the container runs, made by
      // the addon's assembler, which allows what a rule allows and denies the rest. So a deny
      // rule can only be a leading deny-all (what the program does anyway); any other would
      // need rules in order, and is refused rather than dropped.
      if (!device_program) Fail(w + ".devices: cannot be changed on cgroup v2 once the container is created");
      std::vector<gocker::DeviceRule> rules;
      for (size_t i = 0; i < it->size(); i++) {
        bool allow;
        std::string line = DeviceLine((*it)[i], w + ".devices[" + std::to_string(i) + "]", &allow);
        if (!allow) {
          if (!rules.empty() || line != "a *:* rwm") Fail(w + ".devices[" + std::to_string(i) + "]: on cgroup v2 only a leading deny-all is supported among deny rules");
          continue;
        }
        Strings f = Split(line, ' ');
        Strings mm = f.size() == 3 ? Split(f[1], ':') : Strings{"*", "*"};
        auto num = [](const std::string& x) { return x == "*" ? -1L : atol(x.c_str()); };
        rules.push_back({line[0], num(mm[0]), num(mm[1]), f.size() == 3 ? f[2] : "rwm"});
      }
      std::string prog = gocker::DeviceProgram(rules);
      *device_program = gocker::Hex(reinterpret_cast<const unsigned char*>(prog.data()), prog.size());
      return ApplyResources(cg, [&] { json rest = r; rest.erase("devices"); return rest; }(), w, nullptr);
    }
    std::string d = need("devices", w + ".devices");
    for (size_t i = 0; i < it->size(); i++) {
      bool allow;
      std::string line = DeviceLine((*it)[i], w + ".devices[" + std::to_string(i) + "]", &allow);
      Write(d, allow ? "devices.allow" : "devices.deny", line);
    }
  }
  if (const auto it = r.find("memory"); it != r.end() && !it->is_null()) {
    const std::string mw = w + ".memory";
    // kernel: deprecated by the runtime spec (the kernel stopped honouring it in 5.4) and
    // ignored, as runc ignores it; kernelTCP is cgroup v1's memory.kmem.tcp.limit_in_bytes.
    OnlyKeys(*it, mw, {"limit", "reservation", "swap", "swappiness", "disableOOMKiller", "kernel", "kernelTCP"});
    std::string d = need("memory", mw);
    const json& m = *it;
    if (cg.v2) {
      if (m.contains("limit")) Write(d, "memory.max", m["limit"].get<long long>() < 0 ? "max" : Num(m["limit"], mw + ".limit"));
      if (m.contains("reservation")) Write(d, "memory.low", Num(m["reservation"], mw + ".reservation"));
      if (m.contains("swap")) {
        // v1's swap is memory plus swap; v2's swap.max is swap alone (as runc converts).
        long long s = m["swap"].get<long long>(), l = m.value("limit", -1LL);
        Write(d, "memory.swap.max", s < 0 ? "max" : std::to_string(l >= 0 && s >= l ? s - l : 0));
      }
      if ((m.contains("swappiness") && !m["swappiness"].is_null()) || m.value("disableOOMKiller", false) || (m.contains("kernelTCP") && !m["kernelTCP"].is_null())) {
        Fail(mw + ": swappiness, disableOOMKiller and kernelTCP are cgroup v1's only");
      }
    } else {
      bool swap = m.contains("swap") && Exists(d + "/memory.memsw.limit_in_bytes");
      if (m.contains("swap") && !swap && m["swap"].get<long long>() != -1) Fail(mw + ".swap: this kernel has no swap accounting");
      if (m.contains("limit")) {
        // memsw must stay at least the limit: which goes first depends on the direction.
        std::string lim = Num(m["limit"], mw + ".limit");
        if (!WriteFile(d + "/memory.limit_in_bytes", lim)) {
          if (!swap) Fail("cgroup: write " + lim + " to " + d + "/memory.limit_in_bytes: " + ErrText(errno));
          Write(d, "memory.memsw.limit_in_bytes", Num(m["swap"], mw + ".swap"));
          Write(d, "memory.limit_in_bytes", lim);
          swap = false;
        }
      }
      if (swap) Write(d, "memory.memsw.limit_in_bytes", Num(m["swap"], mw + ".swap"));
      if (m.contains("reservation")) Write(d, "memory.soft_limit_in_bytes", Num(m["reservation"], mw + ".reservation"));
      if (m.contains("swappiness") && !m["swappiness"].is_null()) Write(d, "memory.swappiness", Num(m["swappiness"], mw + ".swappiness"));
      if (m.contains("disableOOMKiller") && m["disableOOMKiller"].is_boolean() && m["disableOOMKiller"].get<bool>()) Write(d, "memory.oom_control", "1");
      if (m.contains("kernelTCP") && !m["kernelTCP"].is_null()) {
        if (!Exists(d + "/memory.kmem.tcp.limit_in_bytes")) Fail(mw + ".kernelTCP: this kernel has no tcp memory accounting");
        Write(d, "memory.kmem.tcp.limit_in_bytes", Num(m["kernelTCP"], mw + ".kernelTCP"));
      }
    }
  }
  if (const auto it = r.find("cpu"); it != r.end() && !it->is_null()) {
    const std::string cw = w + ".cpu";
    OnlyKeys(*it, cw, {"shares", "quota", "period", "cpus", "mems"});
    // Zero is dockerd's "unset" (the kernel refuses cpu.shares 0): left out, as runc does.
    json c = *it;
    for (const char* k : {"shares", "quota", "period"}) {
      if (c.contains(k) && c[k].is_number() && c[k].get<double>() == 0) c.erase(k);
    }
    if (c.contains("shares") || c.contains("quota") || c.contains("period")) {
      std::string d = need("cpu", cw);
      if (cg.v2) {
        if (c.contains("shares")) {
          unsigned long long s = c["shares"].get<unsigned long long>();
          // runc's conversion of v1 shares (2..262144) to v2 weight (1..10000).
          Write(d, "cpu.weight", std::to_string(s == 0 ? 100 : 1 + ((s < 2 ? 2 : s) - 2) * 9999 / 262142));
        }
        if (c.contains("quota") || c.contains("period")) {
          long long q = c.value("quota", -1LL);
          Write(d, "cpu.max", (q <= 0 ? std::string("max") : std::to_string(q)) + " " + (c.contains("period") ? Num(c["period"], cw + ".period") : "100000"));
        }
      } else {
        if (c.contains("shares")) Write(d, "cpu.shares", Num(c["shares"], cw + ".shares"));
        if (c.contains("period")) Write(d, "cpu.cfs_period_us", Num(c["period"], cw + ".period"));
        if (c.contains("quota")) Write(d, "cpu.cfs_quota_us", Num(c["quota"], cw + ".quota"));
      }
    }
    for (const char* k : {"cpus", "mems"}) {
      if (!c.contains(k) || (c[k].is_string() && c[k].get<std::string>().empty())) continue;
      if (!c[k].is_string()) Fail(cw + "." + k + ": must be a string");
      Write(need("cpuset", cw + "." + k), std::string("cpuset.") + k, c[k].get<std::string>());
    }
  }
  if (const auto it = r.find("pids"); it != r.end() && !it->is_null()) {
    OnlyKeys(*it, w + ".pids", {"limit"});
    const json& l = (*it)["limit"];
    Write(need("pids", w + ".pids"), "pids.max", l.is_number_integer() && l.get<long long>() <= 0 ? "max" : Num(l, w + ".pids.limit"));
  }
  if (const auto it = r.find("hugepageLimits"); it != r.end() && !it->is_null()) {
    if (!it->is_array()) Fail(w + ".hugepageLimits: must be a list");
    if (!it->empty()) HugepageLimits(cg, *it, w + ".hugepageLimits");
  }
  if (const auto it = r.find("blockIO"); it != r.end() && BlockIOSet(*it)) BlockIO(cg, *it, w + ".blockIO");
  if (const auto it = r.find("network"); it != r.end() && !it->is_null()) {
    // v1's net_cls and net_prio only (v2 has neither: a BPF program's business there).
    const std::string nw = w + ".network";
    OnlyKeys(*it, nw, {"classID", "priorities"});
    bool v2 = false;
    if (it->contains("classID") && !(*it)["classID"].is_null()) {
      std::string d = DirWith(cg, {"net_cls.classid"}, &v2);
      if (d.empty()) Fail(nw + ".classID: this host has no net_cls cgroup controller (cgroup v1's; none is mounted at /sys/fs/cgroup)");
      Write(d, "net_cls.classid", Num((*it)["classID"], nw + ".classID"));
    }
    if (it->contains("priorities") && !(*it)["priorities"].is_null()) {
      const json& l = (*it)["priorities"];
      if (!l.is_array()) Fail(nw + ".priorities: must be a list");
      std::string d = l.empty() ? "" : DirWith(cg, {"net_prio.ifpriomap"}, &v2);
      if (!l.empty() && d.empty()) Fail(nw + ".priorities: this host has no net_prio cgroup controller (cgroup v1's; none is mounted at /sys/fs/cgroup)");
      for (size_t i = 0; i < l.size(); i++) {
        const std::string iw = nw + ".priorities[" + std::to_string(i) + "]";
        OnlyKeys(l[i], iw, {"name", "priority"});
        if (!l[i].contains("name") || !l[i]["name"].is_string()) Fail(iw + ".name: must be a string");
        Write(d, "net_prio.ifpriomap", l[i]["name"].get<std::string>() + " " + Num(l[i].value("priority", json(0)), iw + ".priority"));
      }
    }
  }
}

Strings ProcsFiles(const Cgroups& cg) {
  Strings out;
  for (const std::string& d : cg.dirs) out.push_back(d + "/cgroup.procs");
  return out;
}

std::vector<pid_t> Procs(const Cgroups& cg) {
  std::set<pid_t> pids;
  for (const std::string& d : cg.dirs) {
    std::string s;
    if (!ReadFile(d + "/cgroup.procs", &s)) continue;
    for (const std::string& l : Split(s, '\n')) {
      if (!l.empty()) pids.insert(static_cast<pid_t>(atol(l.c_str())));
    }
  }
  return std::vector<pid_t>(pids.begin(), pids.end());
}

namespace {
std::string FreezerDir(const Cgroups& cg) {
  for (const std::string& d : cg.dirs) {
    if (cg.v2 ? Exists(d + "/cgroup.freeze") : Exists(d + "/freezer.state")) return d;
  }
  return "";
}
}  // namespace

bool Frozen(const Cgroups& cg) {
  std::string d = FreezerDir(cg);
  if (d.empty()) return false;
  return cg.v2 ? Trimmed(d + "/cgroup.freeze") == "1" : Trimmed(d + "/freezer.state") == "FROZEN";
}

void Freeze(const Cgroups& cg, bool frozen) {
  std::string d = FreezerDir(cg);
  if (d.empty()) Fail("cgroup: this host has no freezer");
  if (cg.v2) {
    Write(d, "cgroup.freeze", frozen ? "1" : "0");
  } else {
    Write(d, "freezer.state", frozen ? "FROZEN" : "THAWED");
  }
  // v1 reports FREEZING until every task has stopped; v2's cgroup.events says "frozen 1".
  for (int i = 0; i < 1000; i++) {
    if (!frozen) return;
    std::string s = cg.v2 ? Trimmed(d + "/cgroup.events") : Trimmed(d + "/freezer.state");
    if (cg.v2 ? s.find("frozen 1") != std::string::npos : s == "FROZEN") return;
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, nullptr);
  }
  Write(d, cg.v2 ? "cgroup.freeze" : "freezer.state", cg.v2 ? "0" : "THAWED");
  Fail("cgroup: the container's processes did not freeze");
}

void RemoveCgroups(const Cgroups& cg) {
  for (const std::string& d : cg.dirs) {
    // Emptied by the kill just before; the kernel may take a moment to let the last go.
    for (int i = 0; i < 500 && rmdir(d.c_str()) != 0 && errno == EBUSY; i++) {
      struct timespec ts = {0, 2000000};
      nanosleep(&ts, nullptr);
    }
  }
}

}  // namespace gocker_runtime
