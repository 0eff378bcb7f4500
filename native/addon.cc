#include <vector>

#include "module.h"

namespace gocker {

// Bumped whenever the binding's surface changes; lib/native.ts refuses an addon
// whose ABI differs, so a stale build fails with one clear line, not a TypeError.
static constexpr int kAbi = 2;

static std::vector<InitFn>& Registry() {
  static std::vector<InitFn> fns;
  return fns;
}

Registration::Registration(InitFn fn) { Registry().push_back(fn); }

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("abi", Napi::Number::New(env, kAbi));
  for (InitFn fn : Registry()) fn(env, exports);
  return exports;
}

}  // namespace gocker

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  return gocker::Init(env, exports);
}

NODE_API_MODULE(gocker, InitAddon)
