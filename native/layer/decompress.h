// A pull-style byte source over a file descriptor: plain, gzip (concatenated members
// allowed) or zstd. Every decompressed byte is also fed to sha256, so the caller gets the
// layer's diff_id for free.
#pragma once
#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gocker {
namespace layer {

enum class Compression { None, Gzip, Zstd };

struct SourceError {
  std::string message;
};

class Source {
 public:
  Source(int fd, Compression c);
  ~Source();
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  // Fills out with up to cap bytes; returns 0 at the end of the stream. Throws SourceError.
  size_t Read(uint8_t* out, size_t cap);
  // Reads (and hashes) whatever is left, so the digest covers the whole stream.
  void Drain();
  std::string HexDigest();
  uint64_t total_out() const { return total_out_; }
  uint64_t total_in() const { return total_in_; }

 private:
  size_t Fill();  // raw input
  size_t ReadRaw(uint8_t* out, size_t cap);

  int fd_;
  Compression c_;
  std::vector<uint8_t> in_;
  size_t in_pos_ = 0, in_len_ = 0;
  bool in_eof_ = false;
  bool stream_end_ = false;
  z_stream z_{};
  ZSTD_DStream* zs_ = nullptr;
  EVP_MD_CTX* md_ = nullptr;
  uint64_t total_out_ = 0;
  uint64_t total_in_ = 0;
  std::string pending_;  // an error found after some output, thrown on the next read
};

}  // namespace layer
}  // namespace gocker
