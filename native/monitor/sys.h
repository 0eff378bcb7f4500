// The system calls the monitor's policy makes, behind an interface: the mounts, device nodes,
// limits and capabilities a spec asks for, the namespaces an exec joins. KernelSys forwards each to the kernel; the policy
// test (test/native/monitor-policy.cc) puts a recording fake in its place, so the real policy
// code is driven, and checked call by call, without root. Only the calls that need privilege
// or change the process are here: walking and creating directories inside the root
// (OpenDest's openat2, mkdirat, readlinkat) stays on the kernel, and works on any directory.
#pragma once
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>

struct mount_attr;

namespace gocker_monitor {

class Sys {
 public:
  virtual ~Sys() = default;
  // Each returns what the system call does (-1 with errno set on failure).
  virtual int Mount(const char* source, const char* target, const char* type, unsigned long flags, const void* data) = 0;
  virtual int OpenTree(int dirfd, const char* path, unsigned flags) = 0;
  virtual int MoveMount(int from_dirfd, const char* from_path, int to_dirfd, const char* to_path, unsigned flags) = 0;
  virtual int MountSetattr(int dirfd, const char* path, unsigned flags, struct mount_attr* attr, size_t size) = 0;
  virtual int Mknodat(int dirfd, const char* name, mode_t mode, dev_t dev) = 0;
  virtual int Fchownat(int dirfd, const char* name, uid_t uid, gid_t gid, int flags) = 0;
  // Paths as the container sees them once its root is ours (masked and read-only paths).
  virtual int Lstat(const char* path, struct stat* st) = 0;
  virtual int Access(const char* path, int mode) = 0;
  virtual int Open(const char* path, int flags) = 0;
  virtual int Setrlimit(int resource, const struct rlimit* rl) = 0;
  virtual int Prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5) = 0;
  virtual int Capset(cap_user_header_t header, const cap_user_data_t data) = 0;
  virtual int Setns(int fd, int nstype) = 0;
};

class KernelSys : public Sys {
 public:
  int Mount(const char* source, const char* target, const char* type, unsigned long flags, const void* data) override;
  int OpenTree(int dirfd, const char* path, unsigned flags) override;
  int MoveMount(int from_dirfd, const char* from_path, int to_dirfd, const char* to_path, unsigned flags) override;
  int MountSetattr(int dirfd, const char* path, unsigned flags, struct mount_attr* attr, size_t size) override;
  int Mknodat(int dirfd, const char* name, mode_t mode, dev_t dev) override;
  int Fchownat(int dirfd, const char* name, uid_t uid, gid_t gid, int flags) override;
  int Lstat(const char* path, struct stat* st) override;
  int Access(const char* path, int mode) override;
  int Open(const char* path, int flags) override;
  int Setrlimit(int resource, const struct rlimit* rl) override;
  int Prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5) override;
  int Capset(cap_user_header_t header, const cap_user_data_t data) override;
  int Setns(int fd, int nstype) override;
};

// The calls' way to the kernel: a KernelSys unless a test has put its own.
extern Sys* g_sys;

}  // namespace gocker_monitor
