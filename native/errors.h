// Errors shaped like Node's fs errors: { code: 'EPERM', errno: -1, syscall, path }.
// Every native failure goes through these helpers so TypeScript can switch on code.
#pragma once
#include <napi.h>
#include <string>

namespace gocker {

// The errno name ('ENOENT'), or 'E<number>' for one we do not know.
std::string ErrnoCode(int err);

Napi::Error SysError(Napi::Env env, int err, const char* syscall,
                     const std::string& path = std::string());

// Throws as a JS exception (node-addon-api is built with C++ exceptions).
[[noreturn]] void ThrowSys(Napi::Env env, int err, const char* syscall,
                           const std::string& path = std::string());

// A plain error with a code, for failures that are not a single syscall.
Napi::Error CodedError(Napi::Env env, const char* code, const std::string& message);

}  // namespace gocker
