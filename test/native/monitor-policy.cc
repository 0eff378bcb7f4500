// The monitor's policy, driven without root: the real code of native/monitor (mounts.cc,
// devices.cc, process.cc) with a recording Sys (native/monitor/sys.h) in the kernel's place.
// The fake stops at the privileged calls: a mount, a device node, a capability set is written
// down, never made. Everything else is real, on a directory of our own standing for the
// container's root: OpenDest's walk (openat2 RESOLVE_IN_ROOT, mkdirat, readlinkat) resolves
// and creates as it does in a container, so where a mount or a node would land is where it
// was resolved to, symlinks and all.
//
// Usage: gocker-monitor-policy-test [--list | CASE...]; no CASE runs them all. Each prints
// "ok CASE" or "not ok CASE: why"; the exit status is 1 if any failed.
// test/unit/monitor-policy.test.ts runs each case as a test of its own.
#include <fcntl.h>
#include <ftw.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "../../native/monitor/monitor.h"
#include "../../native/monitor/sys.h"

using gocker_monitor::ChildError;
using gocker_monitor::Device;
using gocker_monitor::Mount;
using gocker_monitor::Spec;

namespace {

// The path an fd names, or a /proc/self/fd/N path's (what the policy passes as a target).
std::string PathOf(int fd) {
  char buf[4096];
  ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), buf, sizeof buf - 1);
  if (n < 0) return "?fd" + std::to_string(fd);
  buf[n] = 0;
  return buf;
}

std::string FlagNames(unsigned long f) {
  static const std::pair<unsigned long, const char*> kNames[] = {
      {MS_RDONLY, "ro"}, {MS_NOSUID, "nosuid"}, {MS_NODEV, "nodev"}, {MS_NOEXEC, "noexec"}, {MS_REMOUNT, "remount"},
      {MS_BIND, "bind"}, {MS_REC, "rec"}, {MS_PRIVATE, "private"}, {MS_SLAVE, "slave"}, {MS_SHARED, "shared"}};
  std::string s;
  for (const auto& n : kNames) {
    if (f & n.first) {
      s += (s.empty() ? "" : ",") + std::string(n.second);
      f &= ~n.first;
    }
  }
  if (f) s += (s.empty() ? "" : ",") + std::to_string(f);
  return s.empty() ? "0" : s;
}

std::string AttrNames(uint64_t a) {
  static const std::pair<uint64_t, const char*> kNames[] = {
      {MOUNT_ATTR_RDONLY, "ro"}, {MOUNT_ATTR_NOSUID, "nosuid"}, {MOUNT_ATTR_NODEV, "nodev"}, {MOUNT_ATTR_NOEXEC, "noexec"}};
  std::string s;
  for (const auto& n : kNames) {
    if (a & n.first) {
      s += (s.empty() ? "" : ",") + std::string(n.second);
      a &= ~n.first;
    }
  }
  if (a) s += (s.empty() ? "" : ",") + std::to_string(a);
  return s.empty() ? "0" : s;
}

// Records every call as one line, a path in the test's directory (base) shown below it
// ("root/dev"), any other as it is.
class RecordingSys : public gocker_monitor::Sys {
 public:
  std::string base;  // the test's directory
  std::string root;  // the container's root in it, for the absolute paths of Lstat, Access, Open
  std::vector<std::string> calls;

  std::string Shown(const std::string& path) const {
    std::string p = path;
    if (p.compare(0, 14, "/proc/self/fd/") == 0) p = PathOf(atoi(p.c_str() + 14));
    if (p.compare(0, base.size() + 1, base + "/") == 0) return p.substr(base.size() + 1);
    return p;
  }
  std::string Shown(int dirfd, const char* path) const {
    std::string dir = dirfd == AT_FDCWD ? "" : PathOf(dirfd);
    return Shown(path[0] == '/' || dir.empty() ? std::string(path) : path[0] ? dir + "/" + path : dir);
  }

  int Mount(const char* source, const char* target, const char* type, unsigned long flags, const void* data) override {
    calls.push_back(std::string("mount ") + (source ? Shown(source) : "-") + " " + Shown(target) + " " + (type ? type : "-") + " " +
                    FlagNames(flags) + " " + (data ? static_cast<const char*>(data) : "-"));
    return 0;
  }
  int OpenTree(int dirfd, const char* path, unsigned flags) override {
    calls.push_back("open_tree " + Shown(dirfd, path) + ((flags & OPEN_TREE_CLONE) ? " clone" : "") + ((flags & AT_RECURSIVE) ? " rec" : ""));
    // The clone stands for the source tree: an fd on it, that names it.
    return openat(dirfd, path, O_PATH | O_CLOEXEC);
  }
  int MoveMount(int from_dirfd, const char* from_path, int to_dirfd, const char* to_path, unsigned flags) override {
    calls.push_back("move_mount " + Shown(from_dirfd, from_path) + " " + Shown(to_dirfd, to_path));
    return 0;
  }
  int MountSetattr(int dirfd, const char* path, unsigned flags, struct mount_attr* attr, size_t size) override {
    if (setattr_errno) {
      errno = setattr_errno;
      return -1;
    }
    std::string line = "mount_setattr " + Shown(dirfd, path);
    if (attr->attr_set) line += " set=" + AttrNames(attr->attr_set);
    if (attr->attr_clr) line += " clr=" + std::to_string(attr->attr_clr);
    if (attr->propagation) line += " propagation=" + FlagNames(attr->propagation);
    if (flags & AT_RECURSIVE) line += " rec";
    calls.push_back(line);
    return 0;
  }
  int Mknodat(int dirfd, const char* name, mode_t mode, dev_t dev) override {
    const char* type = S_ISCHR(mode) ? "c" : S_ISBLK(mode) ? "b" : S_ISFIFO(mode) ? "p" : S_ISREG(mode) ? "f" : "?";
    char perm[16];
    snprintf(perm, sizeof perm, "%04o", mode & 07777);
    calls.push_back("mknod " + Shown(dirfd, name) + " " + type + " " + perm + " " + std::to_string(major(dev)) + ":" + std::to_string(minor(dev)));
    // A plain file in its place, so that what comes after finds the name taken.
    int fd = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    close(fd);
    return 0;
  }
  int Fchownat(int dirfd, const char* name, uid_t uid, gid_t gid, int flags) override {
    calls.push_back("chown " + Shown(dirfd, name) + " " + std::to_string(uid) + ":" + std::to_string(gid) +
                    ((flags & AT_SYMLINK_NOFOLLOW) ? " nofollow" : ""));
    return 0;
  }
  int Lstat(const char* path, struct stat* st) override { return lstat((root + path).c_str(), st); }
  int Access(const char* path, int mode) override { return access((root + path).c_str(), mode); }
  int Open(const char* path, int flags) override { return open((root + path).c_str(), flags); }
  int Setrlimit(int resource, const struct rlimit* rl) override {
    calls.push_back("setrlimit " + std::to_string(resource) + " " + std::to_string(rl->rlim_cur) + " " + std::to_string(rl->rlim_max));
    return 0;
  }
  int Prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5) override {
    if (option == PR_CAPBSET_DROP) {
      calls.push_back("capbset_drop " + std::to_string(arg2));
    } else if (option == PR_CAP_AMBIENT && arg2 == PR_CAP_AMBIENT_CLEAR_ALL) {
      calls.push_back("ambient_clear_all");
    } else if (option == PR_CAP_AMBIENT && arg2 == PR_CAP_AMBIENT_RAISE) {
      calls.push_back("ambient_raise " + std::to_string(arg3));
    } else {
      calls.push_back("prctl " + std::to_string(option));
    }
    return 0;
  }
  int Capset(cap_user_header_t header, const cap_user_data_t data) override {
    auto set = [&](uint32_t __user_cap_data_struct::*f) {
      char b[32];
      snprintf(b, sizeof b, "%#llx", static_cast<unsigned long long>(data[0].*f) | (static_cast<unsigned long long>(data[1].*f) << 32));
      return std::string(b);
    };
    calls.push_back("capset v" + std::to_string(header->version == _LINUX_CAPABILITY_VERSION_3 ? 3 : 0) + " effective=" +
                    set(&__user_cap_data_struct::effective) + " permitted=" + set(&__user_cap_data_struct::permitted) +
                    " inheritable=" + set(&__user_cap_data_struct::inheritable));
    return 0;
  }

  int Setns(int fd, int nstype) override {
    // The namespace by its link's text, "ipc:[4026531839]".
    std::string ns = PathOf(fd);
    calls.push_back("setns " + ns.substr(0, ns.find(':')) + (nstype == CLONE_NEWUSER ? " as user" : nstype ? " as " + std::to_string(nstype) : ""));
    return 0;
  }

  int setattr_errno = 0;  // mount_setattr fails with this (ENOSYS: an old kernel)
};

// ---- a small harness ----

struct Failure {
  std::string why;
};

std::string Joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& l : v) s += "\n    " + l;
  return s.empty() ? "\n    (none)" : s;
}

void ExpectCalls(const RecordingSys& sys, const std::vector<std::string>& want) {
  if (sys.calls != want) throw Failure{"calls:" + Joined(sys.calls) + "\n  wanted:" + Joined(want)};
}

void Expect(bool ok, const std::string& what) {
  if (!ok) throw Failure{what};
}

// A directory of the test's own, removed at the end; root/ in it is the container's.
struct Scratch {
  std::string dir;
  Scratch() {
    char t[] = "/tmp/gocker-monitor-policy-XXXXXX";
    if (!mkdtemp(t)) throw Failure{std::string("mkdtemp: ") + strerror(errno)};
    dir = t;
    Mkdir("root");
  }
  ~Scratch() {
    nftw(dir.c_str(), [](const char* p, const struct stat*, int, struct FTW*) { return remove(p); }, 16, FTW_DEPTH | FTW_PHYS);
  }
  std::string Path(const std::string& rel) const { return dir + "/" + rel; }
  void Mkdir(const std::string& rel) const {
    if (mkdir(Path(rel).c_str(), 0755) != 0) throw Failure{"mkdir " + rel + ": " + strerror(errno)};
  }
  void File(const std::string& rel) const {
    int fd = open(Path(rel).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) throw Failure{"create " + rel + ": " + strerror(errno)};
    close(fd);
  }
  void Symlink(const std::string& target, const std::string& rel) const {
    if (symlink(target.c_str(), Path(rel).c_str()) != 0) throw Failure{"symlink " + rel + ": " + strerror(errno)};
  }
  bool IsDir(const std::string& rel) const {
    struct stat st;
    return lstat(Path(rel).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }
  bool IsFile(const std::string& rel) const {
    struct stat st;
    return lstat(Path(rel).c_str(), &st) == 0 && S_ISREG(st.st_mode);
  }
  // The container's root, as the monitor holds it.
  int Root() const {
    int fd = open(Path("root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw Failure{std::string("open root: ") + strerror(errno)};
    return fd;
  }
};

// Installs a RecordingSys over the test's directory for as long as it lives.
struct Recording : RecordingSys {
  explicit Recording(const Scratch& s) {
    base = s.dir;
    root = s.Path("root");
    gocker_monitor::g_sys = this;
  }
  ~Recording() override { gocker_monitor::g_sys = saved; }
  gocker_monitor::Sys* saved = gocker_monitor::g_sys;
};

// Runs f in a child, where the policy's Die reports on the error pipe and exits; returns the
// report. A policy that does not refuse is a failure.
ChildError ExpectDie(const std::function<void()>& f) {
  fflush(stdout);
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) throw Failure{"pipe"};
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    gocker_monitor::g_err_fd = p[1];
    try {
      f();
    } catch (...) {
    }
    _exit(0);
  }
  close(p[1]);
  ChildError e{};
  ssize_t n = read(p[0], &e, sizeof e);
  close(p[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (n != static_cast<ssize_t>(sizeof e)) throw Failure{"the policy went on where it should have refused"};
  return e;
}

Mount Bind(const std::string& source, const std::string& dest, unsigned long flags) {
  Mount m;
  m.type = "bind";
  m.source = source;
  m.dest = dest;
  m.flags = MS_BIND | flags;
  return m;
}

// ---- the cases ----

// A read-only bind (docker's -v SRC:DST:ro) is a detached clone of its source given every
// flag before it is attached: ro with nosuid, nodev and noexec kept, on the whole tree.
void RoBindKeepsItsFlags() {
  Scratch s;
  s.Mkdir("src");
  Recording sys(s);
  int root = s.Root();
  gocker_monitor::DoMount(root, Bind(s.Path("src"), "/data", MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
  ExpectCalls(sys, {"open_tree src clone rec", "mount_setattr src set=ro,nosuid,nodev,noexec rec", "move_mount src root/data"});
  Expect(s.IsDir("root/data"), "the destination directory was made in the root");
  close(root);
}

// A bind without MS_REC clones the source alone, and sets its flags on it alone; a file's
// destination is made as a file.
void FileBindNotRecursive() {
  Scratch s;
  s.File("hosts");
  Recording sys(s);
  int root = s.Root();
  gocker_monitor::DoMount(root, Bind(s.Path("hosts"), "/etc/hosts", MS_RDONLY));
  ExpectCalls(sys, {"open_tree hosts clone", "mount_setattr hosts set=ro", "move_mount hosts root/etc/hosts"});
  Expect(s.IsFile("root/etc/hosts"), "the destination is a file");
  close(root);
}

// A bind with no flags but the bind's own is attached as it is: no mount_setattr.
void PlainBindNoSetattr() {
  Scratch s;
  s.Mkdir("src");
  Recording sys(s);
  int root = s.Root();
  gocker_monitor::DoMount(root, Bind(s.Path("src"), "/data", MS_REC));
  ExpectCalls(sys, {"open_tree src clone rec", "move_mount src root/data"});
  close(root);
}

// An image's symlink on a destination resolves inside the root: /data -> /etc puts the bind
// on the root's /etc (made there), never the host's.
void BindThroughSymlinkStaysInRoot() {
  Scratch s;
  s.Mkdir("src");
  s.Symlink("/etc", "root/data");
  Recording sys(s);
  int root = s.Root();
  gocker_monitor::DoMount(root, Bind(s.Path("src"), "/data/conf", 0));
  ExpectCalls(sys, {"open_tree src clone", "move_mount src root/etc/conf"});
  Expect(s.IsDir("root/etc/conf"), "the link's target was made inside the root");
  close(root);
}

// A bind that propagates (--mount ...,bind-propagation=rslave) is cloned from the host's mount
// before the namespace is made private: the clone made the host mount's slave, with every mount
// below it, and given its other flags, detached; then attached as it is.
void SlaveBindCloned() {
  Scratch s;
  s.Mkdir("src");
  Recording sys(s);
  int root = s.Root();
  Mount m = Bind(s.Path("src"), "/data", MS_REC | MS_RDONLY);
  m.propagation = MS_SLAVE;
  std::map<size_t, int> clones = gocker_monitor::ClonePropagating({Bind(s.Path("src"), "/other", 0), m});
  Expect(clones.size() == 1 && clones.count(1) == 1, "only the propagating bind is cloned");
  gocker_monitor::DoMount(root, m, clones[1]);
  ExpectCalls(sys, {"open_tree src clone rec", "mount_setattr src propagation=slave rec", "mount_setattr src set=ro rec", "move_mount src root/data"});
  close(root);
}

// shared without r: the propagation is set on the top mount alone.
void SharedBindNotRecursive() {
  Scratch s;
  s.Mkdir("src");
  Recording sys(s);
  Mount m = Bind(s.Path("src"), "/data", 0);
  m.propagation = MS_SHARED;
  std::map<size_t, int> clones = gocker_monitor::ClonePropagating({m});
  for (const auto& c : clones) close(c.second);
  ExpectCalls(sys, {"open_tree src clone", "mount_setattr src propagation=shared"});
}

// The mounts that wait for the cgroup namespace: cgroup filesystems, and whatever goes on or
// below /sys/fs/cgroup; nothing else.
void CgroupMounts() {
  auto at = [](const std::string& type, const std::string& dest) {
    Mount m;
    m.type = type;
    m.dest = dest;
    return gocker_monitor::CgroupMount(m);
  };
  Expect(at("cgroup2", "/sys/fs/cgroup") && at("cgroup", "/x") && at("tmpfs", "/sys/fs/cgroup") && at("bind", "/sys/fs/cgroup/memory"), "cgroup mounts");
  Expect(!at("sysfs", "/sys") && !at("bind", "/sys/fs/cgroupfoo") && !at("tmpfs", "/sys/fs"), "other mounts");
}

// /dev's links, made in the container's /dev, never through a link in the image.
void DevLinks() {
  Scratch s;
  s.Mkdir("root/dev");
  Recording sys(s);
  int root = s.Root();
  gocker_monitor::MakeDevLinks(root);
  char buf[64];
  ssize_t n = readlink(s.Path("root/dev/fd").c_str(), buf, sizeof buf - 1);
  Expect(n > 0 && std::string(buf, static_cast<size_t>(n)) == "/proc/self/fd", "/dev/fd -> /proc/self/fd");
  n = readlink(s.Path("root/dev/ptmx").c_str(), buf, sizeof buf - 1);
  Expect(n > 0 && std::string(buf, static_cast<size_t>(n)) == "pts/ptmx", "/dev/ptmx -> pts/ptmx");
  close(root);
  Scratch t;
  t.Mkdir("root/etc");
  t.Symlink("/etc", "root/dev");
  int troot = t.Root();
  ChildError e = ExpectDie([&] { gocker_monitor::MakeDevLinks(troot); });
  Expect(e.stage == gocker_monitor::kDevice && e.err == ELOOP, "a linked /dev refused");
  Expect(!t.IsFile("root/etc/fd") && access(t.Path("root/etc/fd").c_str(), F_OK) != 0, "nothing made through the link");
  close(troot);
}

// A filesystem mount is made on the destination as resolved once, with its type, flags and data.
void TmpfsMount() {
  Scratch s;
  Recording sys(s);
  int root = s.Root();
  Mount m;
  m.type = "tmpfs";
  m.source = "tmpfs";
  m.dest = "/run";
  m.flags = MS_NOSUID | MS_NODEV;
  m.data = "mode=755,size=65536k";
  gocker_monitor::DoMount(root, m);
  ExpectCalls(sys, {"mount tmpfs root/run tmpfs nosuid,nodev mode=755,size=65536k"});
  close(root);
}

// /proc must not be a symlink in the image: refused, nothing mounted.
void ProcOnSymlinkRefused() {
  Scratch s;
  s.Mkdir("root/elsewhere");
  s.Symlink("/elsewhere", "root/proc");
  Recording sys(s);
  int root = s.Root();
  Mount m;
  m.type = "proc";
  m.source = "proc";
  m.dest = "/proc";
  ChildError e = ExpectDie([&] { gocker_monitor::DoMount(root, m); });
  Expect(e.stage == gocker_monitor::kMount && e.err == ELOOP, "refused as a mount, ELOOP (got stage " + std::to_string(e.stage) + ", " + strerror(e.err) + ")");
  Expect(std::string(e.detail) == "/proc is a symlink in the image", std::string("the reason: ") + e.detail);
  close(root);
}

// An old kernel without mount_setattr (before 5.12): a read-only path with no mount below it
// is remounted alone, with every flag still.
void ReadonlyWithoutSetattr() {
  Scratch s;
  s.Mkdir("root/proc");
  s.Mkdir("root/proc/sys");
  Recording sys(s);
  sys.setattr_errno = ENOSYS;
  Spec spec;
  spec.readonly = {"/proc/sys"};
  gocker_monitor::ReadonlyPaths(spec);
  ExpectCalls(sys, {"mount /proc/sys /proc/sys - bind,rec -", "mount - root/proc/sys - ro,nosuid,nodev,noexec,remount,bind -"});
}

// linux.maskedPaths: a directory gets an empty read-only tmpfs, a file /dev/null bound over
// it, one the image lacks nothing; in the spec's order.
void MaskedPaths() {
  Scratch s;
  s.Mkdir("root/proc");
  s.Mkdir("root/proc/acpi");
  s.File("root/proc/kcore");
  Recording sys(s);
  Spec spec;
  spec.masked = {"/proc/kcore", "/proc/missing", "/proc/acpi"};
  gocker_monitor::MaskPaths(spec);
  ExpectCalls(sys, {"mount /dev/null /proc/kcore - bind -", "mount tmpfs /proc/acpi tmpfs ro size=0"});
}

// linux.readonlyPaths: each bound on itself, then ro, nosuid, nodev, noexec on it and every
// mount below it; then root.readonly remounts the root.
void ReadonlyPathsAndRoot() {
  Scratch s;
  s.Mkdir("root/proc");
  s.Mkdir("root/proc/sys");
  s.File("root/proc/sysrq-trigger");
  Recording sys(s);
  Spec spec;
  spec.readonly = {"/proc/sys", "/proc/absent", "/proc/sysrq-trigger"};
  spec.root_readonly = true;
  gocker_monitor::ReadonlyPaths(spec);
  ExpectCalls(sys, {"mount /proc/sys /proc/sys - bind,rec -", "mount_setattr root/proc/sys set=ro,nosuid,nodev,noexec rec",
                    "mount /proc/sysrq-trigger /proc/sysrq-trigger - bind,rec -",
                    "mount_setattr root/proc/sysrq-trigger set=ro,nosuid,nodev,noexec rec", "mount - / - ro,remount,bind -"});
}

Device Dev(const std::string& path, unsigned maj, unsigned min) {
  Device d;
  d.path = path;
  d.major = maj;
  d.minor = min;
  d.mode = 0666;
  return d;
}

// A device under /dev: made with its type, mode and numbers, then given its owner, by the
// name (never following a link).
void DeviceUnderDev() {
  Scratch s;
  s.Mkdir("root/dev");
  Recording sys(s);
  int root = s.Root();
  Device d = Dev("/dev/fuse", 10, 229);
  d.owned = true;
  d.uid = 1000;
  d.gid = 1001;
  gocker_monitor::MakeDevice(root, d, false);
  Device b = Dev("/dev/loop7", 7, 7);
  b.block = true;
  b.mode = 0660;
  gocker_monitor::MakeDevice(root, b, false);
  ExpectCalls(sys, {"mknod root/dev/fuse c 0666 10:229", "chown root/dev/fuse 1000:1001 nofollow", "mknod root/dev/loop7 b 0660 7:7"});
  close(root);
}

// A device elsewhere (--device /dev/zero:/opt/z) behind the image's links: every link on the
// way, the last name's too, resolves inside the root; the node never lands on the host.
void DeviceThroughSymlinksStaysInRoot() {
  Scratch s;
  s.Symlink("/etc", "root/opt");                   // a directory on the way
  s.Mkdir("root/lib");
  s.Symlink("../../../../../../tmp/x", "root/lib/z");  // the last name, climbing out
  Recording sys(s);
  int root = s.Root();
  gocker_monitor::MakeDevice(root, Dev("/opt/zero", 1, 5), false);
  gocker_monitor::MakeDevice(root, Dev("/lib/z", 1, 3), false);
  ExpectCalls(sys, {"mknod root/etc/zero c 0666 1:5", "mknod root/tmp/x c 0666 1:3"});
  close(root);
}

// In /dev no link is followed at all: a /dev that is a link in the image is refused.
void DeviceInSymlinkedDevRefused() {
  Scratch s;
  s.Mkdir("root/elsewhere");
  s.Symlink("/elsewhere", "root/dev");
  Recording sys(s);
  int root = s.Root();
  ChildError e = ExpectDie([&] { gocker_monitor::MakeDevice(root, Dev("/dev/null", 1, 3), false); });
  Expect(e.stage == gocker_monitor::kDevice && e.err == ELOOP, "refused as a device, ELOOP (got stage " + std::to_string(e.stage) + ", " + strerror(e.err) + ")");
  Expect(sys.calls.empty(), "nothing made");
  close(root);
}

// A file already at a device's place outside /dev (a second start's node) is left as it is.
void DeviceAlreadyThereLeft() {
  Scratch s;
  s.Mkdir("root/opt");
  s.File("root/opt/z");
  Recording sys(s);
  int root = s.Root();
  gocker_monitor::MakeDevice(root, Dev("/opt/z", 1, 5), false);
  ExpectCalls(sys, {});
  close(root);
}

// In a user namespace, where mknod is refused, the host's node is bound over a file made for it.
void DeviceInUserNamespaceBound() {
  Scratch s;
  s.Mkdir("root/dev");
  Recording sys(s);
  int root = s.Root();
  gocker_monitor::MakeDevice(root, Dev("/dev/null", 1, 3), true);
  ExpectCalls(sys, {"mknod root/dev/null f 0600 0:0", "mount /dev/null root/dev/null - bind -"});
  close(root);
}

// ... and that host path must be the device the spec names.
void DeviceInUserNamespaceWrongHostNodeRefused() {
  Scratch s;
  s.Mkdir("root/dev");
  Recording sys(s);
  int root = s.Root();
  ChildError e = ExpectDie([&] { gocker_monitor::MakeDevice(root, Dev("/dev/null", 1, 5), true); });
  Expect(e.stage == gocker_monitor::kDevice && e.err == ENODEV, std::string("refused: ") + e.detail);
  close(root);
}

// exec: a running container's namespaces, joined with the mount namespace last (after it the
// host's paths are gone) and the pid namespace only opened, for the command's process.
void ExecJoinsNamespaces() {
  Scratch s;
  s.File("started");
  pid_t target = fork();
  if (target == 0) {
    pause();
    _exit(0);
  }
  Recording sys(s);
  Spec spec;
  spec.target_pid = target;
  spec.target_parent = getpid();
  spec.target_started = s.Path("started");
  spec.target_exit = s.Path("exit.json");
  int pidns = -1;
  std::string error;
  bool ok = gocker_monitor::JoinNamespaces(spec, &pidns, &error);
  std::string pid_link = pidns >= 0 ? PathOf(pidns) : "";
  // Not running: its exit file there, or another process's child by that pid.
  s.File("exit.json");
  std::string gone, impostor;
  bool gone_ok = gocker_monitor::JoinNamespaces(spec, &pidns, &gone);
  unlink(s.Path("exit.json").c_str());
  spec.target_parent = 1;
  bool impostor_ok = gocker_monitor::JoinNamespaces(spec, &pidns, &impostor);
  kill(target, SIGKILL);
  waitpid(target, nullptr, 0);
  Expect(ok, "joined: " + error);
  Expect(pid_link.compare(0, 4, "pid:") == 0, "the pid namespace is handed back: " + pid_link);
  Expect(!gone_ok && gone == "container is not running", "an exited container refused: " + gone);
  Expect(!impostor_ok && impostor == "container is not running", "a pid that is not the container's refused: " + impostor);
  // The same user namespace as ours: not joined again.
  ExpectCalls(sys, {"setns ipc", "setns uts", "setns net", "setns cgroup", "setns mnt"});
}

// process.rlimits, each as given, in order.
void Rlimits() {
  Scratch s;
  Recording sys(s);
  Spec spec;
  spec.rlimits = {{"RLIMIT_NOFILE", RLIMIT_NOFILE, 1024, 4096}, {"RLIMIT_NPROC", RLIMIT_NPROC, 100, 200}};
  gocker_monitor::SetRlimits(spec);
  ExpectCalls(sys, {"setrlimit " + std::to_string(RLIMIT_NOFILE) + " 1024 4096", "setrlimit " + std::to_string(RLIMIT_NPROC) + " 100 200"});
}

// The bounding set: every capability the kernel has but the spec's is dropped, then the
// ambient set cleared.
void BoundingSet() {
  Scratch s;
  Recording sys(s);
  Spec spec;
  spec.bounding = (1ULL << CAP_CHOWN) | (1ULL << CAP_KILL) | (1ULL << CAP_AUDIT_READ);
  gocker_monitor::DropBoundingSet(spec);
  int last = 40;
  FILE* f = fopen("/proc/sys/kernel/cap_last_cap", "r");
  if (f) {
    if (fscanf(f, "%d", &last) != 1) last = 40;
    fclose(f);
  }
  std::vector<std::string> want;
  for (int cap = 0; cap <= last; cap++) {
    if (cap != CAP_CHOWN && cap != CAP_KILL && cap != CAP_AUDIT_READ) want.push_back("capbset_drop " + std::to_string(cap));
  }
  want.push_back("ambient_clear_all");
  ExpectCalls(sys, want);
}

// The sets as 64-bit masks split in the kernel's two 32-bit words (CAP_AUDIT_READ is 37), and
// each ambient capability raised.
void Capabilities() {
  Scratch s;
  Recording sys(s);
  Spec spec;
  spec.effective = spec.permitted = (1ULL << CAP_NET_BIND_SERVICE) | (1ULL << CAP_AUDIT_READ);
  spec.inheritable = 1ULL << CAP_NET_BIND_SERVICE;
  spec.ambient = 1ULL << CAP_NET_BIND_SERVICE;
  gocker_monitor::SetCapabilities(spec);
  ExpectCalls(sys, {"capset v3 effective=0x2000000400 permitted=0x2000000400 inheritable=0x400", "ambient_raise 10"});
}

// The spec's reader refuses a field it does not know, naming it, rather than ignore it.
void SpecUnknownFieldRefused() {
  Spec spec;
  std::string error;
  bool ok = gocker_monitor::ParseSpec(R"({"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0},"bogus":1}})", false, &spec, &error);
  Expect(!ok, "a spec with an unknown field was taken");
  Expect(error.find("bogus") != std::string::npos, "the error names the field: " + error);
}

struct Case {
  const char* name;
  void (*run)();
};

const Case kCases[] = {
    {"ro-bind-keeps-its-flags", RoBindKeepsItsFlags},
    {"file-bind-not-recursive", FileBindNotRecursive},
    {"plain-bind-no-setattr", PlainBindNoSetattr},
    {"bind-through-symlink-stays-in-root", BindThroughSymlinkStaysInRoot},
    {"slave-bind-cloned", SlaveBindCloned},
    {"shared-bind-not-recursive", SharedBindNotRecursive},
    {"cgroup-mounts", CgroupMounts},
    {"dev-links", DevLinks},
    {"tmpfs-mount", TmpfsMount},
    {"proc-on-symlink-refused", ProcOnSymlinkRefused},
    {"readonly-without-setattr", ReadonlyWithoutSetattr},
    {"masked-paths", MaskedPaths},
    {"readonly-paths-and-root", ReadonlyPathsAndRoot},
    {"device-under-dev", DeviceUnderDev},
    {"device-through-symlinks-stays-in-root", DeviceThroughSymlinksStaysInRoot},
    {"device-in-symlinked-dev-refused", DeviceInSymlinkedDevRefused},
    {"device-already-there-left", DeviceAlreadyThereLeft},
    {"device-in-user-namespace-bound", DeviceInUserNamespaceBound},
    {"device-in-user-namespace-wrong-host-node-refused", DeviceInUserNamespaceWrongHostNodeRefused},
    {"exec-joins-namespaces", ExecJoinsNamespaces},
    {"rlimits", Rlimits},
    {"bounding-set", BoundingSet},
    {"capabilities", Capabilities},
    {"spec-unknown-field-refused", SpecUnknownFieldRefused},
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<const Case*> run;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--list") == 0) {
      for (const Case& c : kCases) printf("%s\n", c.name);
      return 0;
    }
    const Case* found = nullptr;
    for (const Case& c : kCases) {
      if (strcmp(c.name, argv[i]) == 0) found = &c;
    }
    if (!found) {
      fprintf(stderr, "no case %s\n", argv[i]);
      return 2;
    }
    run.push_back(found);
  }
  if (run.empty()) {
    for (const Case& c : kCases) run.push_back(&c);
  }
  int failed = 0;
  for (const Case* c : run) {
    try {
      c->run();
      printf("ok %s\n", c->name);
    } catch (const Failure& f) {
      printf("not ok %s: %s\n", c->name, f.why.c_str());
      failed++;
    }
    fflush(stdout);
  }
  return failed ? 1 : 0;
}
