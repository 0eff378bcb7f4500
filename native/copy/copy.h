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
  // A directory being copied: its contents are copied from the loop in Copy, one entry at a
  // time, and its metadata set once they are done. Only the last tree_detail::kOpenLevels
  // directories keep their descriptors; a deeper walk reopens the others through ".." on
  // its way back, checked by dev/ino to be the same directories (see native/tree.h). So a
  // tree 100,000 directories deep is copied with no recursion, a bounded number of
  // descriptors and no full paths (those are built only for errors and skipped devices).
  struct Dir {
    std::string name;  // in the directory above (the source's and the copy's are the same)
    int sfd = -1, dfd = -1;
    dev_t ddev = 0;  // the copy's (the source's are st's)
    ino_t dino = 0;
    struct stat st;  // the source's, applied to the copy after its contents
    size_t len = 0;  // of the path inside the copy, the top's name excluded
    std::vector<std::string> names;  // still to copy, the next one last
  };

  // One entry: sname in sparent to dname in dparent. A directory is made and pushed (its
  // contents come later), anything else is copied whole here.
  void CopyEntry(int sparent, const std::string& sname, int dparent, const std::string& dname);
  // Back up one level: the directory above gets its descriptors back if it gave them up.
  void Reopen(Dir& up, const Dir& from);
  void CopyData(int in, int out);
  bool MakeRoom(int dparent, const std::string& dname, bool src_is_dir);
  int OpenCreated(int dparent, const std::string& dname, mode_t kind);
  // sopath/dopath: the descriptor is O_PATH (not open for I/O).
  void SetMeta(int sfd, bool sopath, int dfd, bool dopath, const struct stat& st);
  void CopyXattrs(int sfd, bool sopath, int dfd, bool dopath);
  // The entry being copied (leaf_ in the deepest directory, or that directory itself) as a
  // path inside the copy: with the top's own name (for errors), or without it (`empty` for
  // the top itself).
  std::string Where() const;
  std::string Inside(const char* empty) const;
  [[noreturn]] void Fail(int err, const char* syscall) const;

  int src_root_, dst_root_;
  CopyOptions o_;
  bool is_root_;
  CopyStats stats_;
  // (dev, ino) of a source with several links -> its copy, relative to the copy's top.
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
  int dst_top_ = -1;  // the copy's top directory, for linkat of later hardlinks
  std::string top_name_;
  std::vector<Dir> stack_;
  const std::string* leaf_ = nullptr;  // the name being copied in stack_.back(), if any
};

// The type of path inside root ('file', 'dir', 'symlink', 'other'), or "" when it does not
// exist; follow: whether a symlink as the last component is followed (within root).
std::string StatIn(int root, const std::string& path, bool follow);
std::string ReadlinkIn(int root, const std::string& path);

}  // namespace copy
}  // namespace gocker
