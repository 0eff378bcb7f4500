// Applies one OCI layer (a tar stream) into a directory, never writing outside it.
#pragma once
#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

namespace gocker {
namespace layer {

enum class Whiteouts { Overlay, Delete };

// An invalid archive: message names the entry.
struct LayerError {
  std::string message;
};

// A failed syscall while applying an entry.
struct SysFailure {
  int err;
  const char* syscall;
  std::string path;
};

using ReadFn = std::function<size_t(uint8_t*, size_t)>;

struct ExtractStats {
  uint64_t entries = 0;
  std::string last;  // the last entry's name, for errors found after it
};

class Extractor {
 public:
  Extractor(int root_fd, Whiteouts mode, bool is_root);
  ~Extractor();
  Extractor(const Extractor&) = delete;
  Extractor& operator=(const Extractor&) = delete;
  // Overlay form: the lower layers' directories (top first), owned from now on; see
  // InheritFromLower.
  void SetLowers(std::vector<int> fds);
  // Reads a whole tar archive through read (which returns 0 at the end).
  ExtractStats Run(const ReadFn& read);

 private:
  struct Header;
  struct Truncated {};
  ExtractStats RunEntries(std::string* last_entry);
  bool ReadExact(uint8_t* buf, size_t n);
  void Skip(uint64_t n);
  std::string ReadString(uint64_t n, const std::string& entry, const std::string& last);
  bool ApplyEntry(Header& h);
  int OpenParent(const std::string& rel, std::string* base, bool create);
  int ParentDir(const std::string& rel, std::string* base, bool create);
  void InheritFromLower(int fd, const std::string& rel);
  int ResolveDir(const std::string& rel, bool create);
  int ResolveInRoot(const std::string& rel, bool create);
  int CreateChain(int from, const std::string& rel, size_t p, size_t e, bool in_root);
  [[noreturn]] void DeepSymlink(const std::string& rel);
  bool IsFresh(const struct stat& st) const;
  void RemoveAt(int dirfd, const std::string& name, const std::string& rel);
  void RemoveTree(int at, const std::string& name, const std::string& rel);
  void RemoveLowerChildren(int at, const std::string& rel);
  void SetMeta(int fd, bool opath, const Header& h, bool is_symlink);
  int OpenCreated(int parent, const std::string& base, mode_t kind, const Header& h);
  void WriteFile(int parent, const std::string& base, const Header& h);
  void WriteData(int fd, uint64_t off, uint64_t n, const Header& h);
  void WriteSparse(int fd, const Header& h);
  void ParsePaxSparse(std::map<std::string, std::string>& rec, std::string* name, Header* h);
  void ReadOldSparse(const uint8_t* hdr, Header* h);
  void Whiteout(int parent, const std::string& dir_rel, const std::string& name, const std::string& entry);

  int root_fd_;
  Whiteouts mode_;
  bool is_root_;
  const ReadFn* read_ = nullptr;
  std::vector<uint8_t> buf_;
  std::vector<int> lowers_;
  // ParentDir's cache: the last parent resolved, borrowed by the entry being applied.
  std::string cached_dir_;
  int cached_fd_ = -1;
  bool cache_valid_ = false;
  // Paths this layer created (delete mode): an opaque marker must not remove them.
  std::unordered_set<std::string> created_;
  // Delete mode: directories this layer made for entries it did not describe, by (dev, ino).
  std::set<std::pair<dev_t, ino_t>> fresh_;
  // A directory's times, set once the layer is applied. The directory is kept as a file
  // handle (name_to_handle_at, some 20 bytes) where its filesystem gives one, not as its
  // path: the paths of every directory of a chain D deep are D² bytes (10 GB, and as much
  // again for the map below, at 100,000 levels, as a commit of such a tree describes).
  struct DirTime {
    std::string rel;     // when there is no handle
    std::string handle;  // a struct file_handle, when there is
    int64_t sec;
    int64_t nsec;
  };
  std::vector<DirTime> dir_times_;
  DirTime Times(int fd, const std::string& rel, int64_t sec, int64_t nsec);
  // Whether handles open again (open_by_handle_at takes CAP_DAC_READ_SEARCH in the host's
  // user namespace, which root in a container or a user namespace lacks): -1 until the
  // first handle is tried.
  int handles_ = -1;
  // Delete mode: directories that existed before this layer and that it wrote into.
  void Touch(int dirfd, const std::string& rel);
  std::unordered_set<std::string> touched_;
  std::vector<DirTime> touched_times_;
};

}  // namespace layer
}  // namespace gocker
