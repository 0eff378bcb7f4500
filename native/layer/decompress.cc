#include "decompress.h"

#include "../hex.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gocker {
namespace layer {

static constexpr size_t kInBuf = 1 << 20;

Source::Source(int fd, Compression c) : fd_(fd), c_(c), in_(kInBuf) {
  md_ = EVP_MD_CTX_new();
  EVP_DigestInit_ex(md_, EVP_sha256(), nullptr);
  if (c_ == Compression::Gzip) {
    // 15 + 32: accept gzip or zlib headers.
    if (inflateInit2(&z_, 15 + 32) != Z_OK) throw SourceError{"inflateInit2 failed"};
  } else if (c_ == Compression::Zstd) {
    zs_ = ZSTD_createDStream();
    if (zs_ == nullptr) throw SourceError{"ZSTD_createDStream failed"};
    ZSTD_initDStream(zs_);
  }
}

Source::~Source() {
  if (c_ == Compression::Gzip) inflateEnd(&z_);
  if (zs_ != nullptr) ZSTD_freeDStream(zs_);
  EVP_MD_CTX_free(md_);
}

size_t Source::Fill() {
  if (in_pos_ < in_len_ || in_eof_) return in_len_ - in_pos_;
  for (;;) {
    ssize_t n = read(fd_, in_.data(), in_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SourceError{std::string("read: ") + strerror(errno)};
    in_pos_ = 0;
    in_len_ = static_cast<size_t>(n);
    total_in_ += in_len_;
    if (n == 0) in_eof_ = true;
    return in_len_;
  }
}

size_t Source::ReadRaw(uint8_t* out, size_t cap) {
  if (!pending_.empty()) throw SourceError{pending_};
  switch (c_) {
    case Compression::None: {
      if (in_pos_ == in_len_ && Fill() == 0) return 0;
      size_t n = std::min(cap, in_len_ - in_pos_);
      memcpy(out, in_.data() + in_pos_, n);
      in_pos_ += n;
      return n;
    }
    case Compression::Gzip: {
      for (;;) {
        if (stream_end_) {
          // A gzip file may hold several members; anything after the last is an error
          // only if it is not another member.
          if (Fill() == 0) return 0;
          inflateReset(&z_);
          stream_end_ = false;
        }
        if (in_pos_ == in_len_ && Fill() == 0) throw SourceError{"unexpected end of gzip stream"};
        z_.next_in = in_.data() + in_pos_;
        z_.avail_in = static_cast<uInt>(in_len_ - in_pos_);
        z_.next_out = out;
        z_.avail_out = static_cast<uInt>(cap);
        int r = inflate(&z_, Z_NO_FLUSH);
        in_pos_ = in_len_ - z_.avail_in;
        size_t produced = cap - z_.avail_out;
        if (r == Z_STREAM_END) {
          stream_end_ = true;
        } else if (r != Z_OK && r != Z_BUF_ERROR) {
          std::string why = std::string("corrupt gzip stream: ") + (z_.msg ? z_.msg : "inflate failed");
          // Hand out what came before the fault first: the error then names the entry it hit.
          if (produced > 0) {
            pending_ = why;
            return produced;
          }
          throw SourceError{why};
        }
        if (produced > 0) return produced;
      }
    }
    case Compression::Zstd: {
      for (;;) {
        if (in_pos_ == in_len_ && Fill() == 0) {
          if (!stream_end_) throw SourceError{"unexpected end of zstd stream"};
          return 0;
        }
        ZSTD_inBuffer ib{in_.data(), in_len_, in_pos_};
        ZSTD_outBuffer ob{out, cap, 0};
        size_t r = ZSTD_decompressStream(zs_, &ob, &ib);
        in_pos_ = ib.pos;
        if (ZSTD_isError(r)) {
          std::string why = std::string("corrupt zstd stream: ") + ZSTD_getErrorName(r);
          if (ob.pos > 0) {
            pending_ = why;
            return ob.pos;
          }
          throw SourceError{why};
        }
        stream_end_ = (r == 0);
        if (ob.pos > 0) return ob.pos;
      }
    }
  }
  return 0;
}

size_t Source::Read(uint8_t* out, size_t cap) {
  size_t n = ReadRaw(out, cap);
  if (n > 0) {
    EVP_DigestUpdate(md_, out, n);
    total_out_ += n;
  }
  return n;
}

void Source::Drain() {
  std::vector<uint8_t> buf(1 << 16);
  while (Read(buf.data(), buf.size()) > 0) {
  }
}

std::string Source::HexDigest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(md_, md, &len);
  return Hex(md, len);
}

}  // namespace layer
}  // namespace gocker
