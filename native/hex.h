// Bytes as lower-case hex, for digests and ids; and back, strictly, for the programs the
// monitor is handed in its spec as hex (a device program, a seccomp filter).
#pragma once
#include <cstddef>
#include <string>

namespace gocker {

inline std::string Hex(const unsigned char* p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (size_t i = 0; i < n; i++) {
    s.push_back(digits[p[i] >> 4]);
    s.push_back(digits[p[i] & 15]);
  }
  return s;
}

// hex -> bytes; false for an odd length or anything but hex digits: such input was not
// written by us, and is refused rather than half decoded.
inline bool FromHex(const std::string& hex, std::string* out) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return false;
  out->assign(hex.size() / 2, '\0');
  for (size_t i = 0; i < out->size(); i++) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<char>(hi << 4 | lo);
  }
  return true;
}

}  // namespace gocker
