// A tree copy that keeps what the extractor keeps: types, owners, modes (setuid included),
// xattrs, times (directories after their contents), hardlinks within the tree. File data
// goes by reflink where the filesystem shares extents, else copy_file_range, else
// read/write. Both ends are resolved inside a root (openat2 RESOLVE_IN_ROOT), so a copy
// into or out of a container's tree cannot be steered outside it by the tree's symlinks.
#pragma once
#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace gocker {
namespace copy {

struct SysFailure {
  int err;
  const char* syscall;
  std::string path;
};

struct CopyOptions {
  // Owner for everything created; -1 keeps the source's.
  int64_t uid = -1;
  int64_t gid = -1;
  // Into an existing tree: directories merge, other entries replace what is there (a
  // directory never replaces a non-directory nor the other way round: ENOTDIR / EISDIR).
  bool merge = false;
  // Out of a container onto the host (gocker cp): a device node made there would give
  // whoever can reach it the device, whatever container root chose as its mode. Skipped
  // (and listed), as podman does; FIFOs are still made, sockets never are.
  bool skip_devices = false;
  // Without -a the copy is the caller's: no setuid/setgid bits and no file capabilities
  // (security.capability), which would hand the container's choice of privilege to any
  // user who can run the copy. As docker's archive extraction for a non-root owner.
  bool strip_privilege = false;
};

struct CopyStats {
  uint64_t entries = 0;
  uint64_t bytes = 0;
  uint64_t reflinked = 0;  // files whose data was shared, not copied
  // Device nodes not made (skip_devices), relative to the source given ("" for itself).
  std::vector<std::string> skipped;
};

class TreeCopier {
 public:
  // src_root/dst_root: open directory fds the paths are resolved in.
  TreeCopier(int src_root, int dst_root, const CopyOptions& o);
  // Copies src (a file, link, device or directory tree; the last component is not
  // followed) to dst, which must not exist unless merging; dst's parent must.
  CopyStats Copy(const std::string& src, const std::string& dst);

 private:
  void CopyEntry(int sparent, const std::string& sname, int dparent, const std::string& dname, const std::string& rel);
  void CopyData(int in, int out, const std::string& rel);
  bool MakeRoom(int dparent, const std::string& dname, bool src_is_dir, const std::string& rel);
  int OpenCreated(int dparent, const std::string& dname, mode_t kind, const std::string& rel);
  // sopath/dopath: the descriptor is O_PATH (not open for I/O).
  void SetMeta(int sfd, bool sopath, int dfd, bool dopath, const struct stat& st, const std::string& rel);
  void CopyXattrs(int sfd, bool sopath, int dfd, bool dopath, const std::string& rel);

  int src_root_, dst_root_;
  CopyOptions o_;
  bool is_root_;
  CopyStats stats_;
  // (dev, ino) of a source with several links -> its copy, relative to the copy's top.
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
  int dst_top_ = -1;  // the copy's top directory, for linkat of later hardlinks
  std::string top_name_;
};

// The type of path inside root ('file', 'dir', 'symlink', 'other'), or "" when it does not
// exist; follow: whether a symlink as the last component is followed (within root).
std::string StatIn(int root, const std::string& path, bool follow);

}  // namespace copy
}  // namespace gocker
