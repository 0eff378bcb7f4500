// Each native/*.cc registers its exports with a static Registration, so the
// addon's entry point never needs editing when a module is added.
#pragma once
#include <napi.h>

namespace gocker {

using InitFn = void (*)(Napi::Env env, Napi::Object exports);

struct Registration {
  explicit Registration(InitFn fn);
};

}  // namespace gocker

#define GOCKER_CONCAT_(a, b) a##b
#define GOCKER_CONCAT(a, b) GOCKER_CONCAT_(a, b)
#define GOCKER_MODULE(fn) \
  static ::gocker::Registration GOCKER_CONCAT(gocker_reg_, __LINE__)(fn)
