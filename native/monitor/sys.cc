// KernelSys: each of the monitor's policy calls (sys.h) straight to the kernel.
#include "sys.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace gocker_monitor {

namespace {
KernelSys kernel;
}  // namespace

Sys* g_sys = &kernel;

int KernelSys::Mount(const char* source, const char* target, const char* type, unsigned long flags, const void* data) {
  return mount(source, target, type, flags, data);
}

int KernelSys::OpenTree(int dirfd, const char* path, unsigned flags) { return open_tree(dirfd, path, flags); }

int KernelSys::MoveMount(int from_dirfd, const char* from_path, int to_dirfd, const char* to_path, unsigned flags) {
  return move_mount(from_dirfd, from_path, to_dirfd, to_path, flags);
}

int KernelSys::MountSetattr(int dirfd, const char* path, unsigned flags, struct mount_attr* attr, size_t size) {
  return static_cast<int>(syscall(SYS_mount_setattr, dirfd, path, flags, attr, size));
}

int KernelSys::Mknodat(int dirfd, const char* name, mode_t mode, dev_t dev) { return mknodat(dirfd, name, mode, dev); }

int KernelSys::Fchownat(int dirfd, const char* name, uid_t uid, gid_t gid, int flags) { return fchownat(dirfd, name, uid, gid, flags); }

int KernelSys::Lstat(const char* path, struct stat* st) { return lstat(path, st); }

int KernelSys::Access(const char* path, int mode) { return access(path, mode); }

int KernelSys::Open(const char* path, int flags) { return open(path, flags); }

int KernelSys::Setrlimit(int resource, const struct rlimit* rl) { return setrlimit(static_cast<__rlimit_resource_t>(resource), rl); }

int KernelSys::Prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5) {
  return prctl(option, arg2, arg3, arg4, arg5);
}

int KernelSys::Capset(cap_user_header_t header, const cap_user_data_t data) { return static_cast<int>(syscall(SYS_capset, header, data)); }

int KernelSys::Setns(int fd, int nstype) { return setns(fd, nstype); }

}  // namespace gocker_monitor
