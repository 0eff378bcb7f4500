#include "errors.h"

#include <cerrno>
#include <cctype>
#include <cstring>

namespace gocker {

std::string ErrnoCode(int err) {
  // strerrorname_np is glibc >= 2.32 (Debian 12 has 2.36).
  const char* name = strerrorname_np(err);
  if (name != nullptr) return name;
  return "E" + std::to_string(err);
}

Napi::Error SysError(Napi::Env env, int err, const char* syscall, const std::string& path) {
  std::string code = ErrnoCode(err);
  // Same message shape as Node: "ENOENT: no such file or directory, open '/x'"
  std::string text = strerror(err);
  // Node (libuv) words its messages in lower case: "no such file or directory".
  if (!text.empty()) text[0] = static_cast<char>(tolower(text[0]));
  std::string msg = code + ": " + text + ", " + syscall;
  if (!path.empty()) msg += " '" + path + "'";
  // An old kernel: say which feature it lacks, not only "function not implemented".
  if (err == ENOSYS) {
    static const struct { const char* call; const char* since; } kSince[] = {
        {"openat2", "5.6"}, {"close_range", "5.9"}, {"mount_setattr", "5.12"}, {"pidfd_open", "5.3"}, {"copy_file_range", "4.5"}};
    for (const auto& k : kSince) {
      if (strcmp(k.call, syscall) == 0) msg += std::string(" (this kernel lacks ") + k.call + ", which needs Linux " + k.since + " or later)";
    }
  }
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  if (!path.empty()) e.Set("path", Napi::String::New(env, path));
  return e;
}

void ThrowSys(Napi::Env env, int err, const char* syscall, const std::string& path) {
  throw SysError(env, err, syscall, path);
}

Napi::Error CodedError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

}  // namespace gocker
