// libFuzzer target for the layer extractor's tar reader: headers, PAX records, GNU long
// names and every GNU sparse format, driven from a byte buffer. Each input is applied to a
// fresh directory under a private temporary one (as an unprivileged extraction would be:
// no devices, no chown to other owners), which is then removed: nothing is written outside
// it. Errors the reader reports (LayerError, SysFailure) are expected results; a crash, a
// sanitizer report, a leak or a timeout is a finding. Built by fuzz/run.sh.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "../native/layer/decompress.h"
#include "../native/layer/extract.h"
#include "../native/tree.h"

namespace {

std::string g_base;
int g_base_fd = -1;
unsigned long g_seq = 0;

void Setup() {
  if (g_base_fd >= 0) return;
  const char* tmp = getenv("FUZZ_TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/gocker-fuzz-tar-XXXXXX";
  if (mkdtemp(&tmpl[0]) == nullptr) {
    perror("mkdtemp");
    abort();
  }
  g_base = tmpl;
  g_base_fd = open(g_base.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (g_base_fd < 0) abort();
  atexit([] { gocker::RemoveDirTree(AT_FDCWD, g_base, g_base); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Setup();
  std::string name = std::to_string(g_seq++);
  if (mkdirat(g_base_fd, name.c_str(), 0700) != 0) abort();
  int root = openat(g_base_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) abort();
  // Both whiteout forms: the first byte (not part of the archive) picks one, so the corpus
  // reaches the delete-mode paths (opaque directories, removals) too.
  gocker::layer::Whiteouts mode = gocker::layer::Whiteouts::Overlay;
  if (size > 0) {
    mode = (data[0] & 1) ? gocker::layer::Whiteouts::Delete : gocker::layer::Whiteouts::Overlay;
    data++;
    size--;
  }
  size_t pos = 0;
  gocker::layer::ReadFn read = [&](uint8_t* out, size_t cap) -> size_t {
    size_t n = std::min(cap, size - pos);
    // Short reads on purpose: the reader must not assume a read fills its buffer.
    if (n > 1 && (pos & 7) == 3) n = n / 2;
    memcpy(out, data + pos, n);
    pos += n;
    return n;
  };
  {
    gocker::layer::Extractor ex(root, mode, false);
    try {
      ex.Run(read);
    } catch (const gocker::layer::LayerError&) {
    } catch (const gocker::layer::SysFailure&) {
    }
  }
  close(root);
  try {
    // Whatever modes the archive set: the tree goes, as the store would remove it.
    gocker::RemoveDirTree(g_base_fd, name, name);
  } catch (const gocker::TreeFailure& f) {
    fprintf(stderr, "cleanup failed: %s: %s: %s\n", f.syscall, strerror(f.err), f.path.c_str());
    abort();
  }
  return 0;
}
