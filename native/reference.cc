// The addon's reference and digest parser (name/reference.cc), for lib/name: results as plain
// values (an array, a message string, null), which lib/name turns into its own types and
// errors.
#include "module.h"
#include "name/reference.h"

namespace gocker {
namespace {

// parseReference(input) -> [registry, repository, tag?, digest?], or docker's message.
Napi::Value ParseReference(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string input = info[0].As<Napi::String>().Utf8Value();
  name::Reference ref;
  std::string error;
  if (!name::ParseReference(input, &ref, &error)) return Napi::String::New(env, error);
  Napi::Array out = Napi::Array::New(env, 4);
  out.Set(0U, Napi::String::New(env, ref.registry));
  out.Set(1U, Napi::String::New(env, ref.repository));
  out.Set(2U, ref.tag ? Napi::Value(Napi::String::New(env, *ref.tag)) : env.Undefined());
  out.Set(3U, ref.digest ? Napi::Value(Napi::String::New(env, *ref.digest)) : env.Undefined());
  return out;
}

// digestProblem(d) -> null when d is a valid digest, else go-digest's message.
Napi::Value DigestProblem(const Napi::CallbackInfo& info) {
  const char* problem = name::DigestProblem(info[0].As<Napi::String>().Utf8Value());
  return problem ? Napi::Value(Napi::String::New(info.Env(), problem)) : info.Env().Null();
}

Napi::Value IsTag(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), name::IsTag(info[0].As<Napi::String>().Utf8Value()));
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("parseReference", Napi::Function::New(env, ParseReference, "parseReference"));
  exports.Set("digestProblem", Napi::Function::New(env, DigestProblem, "digestProblem"));
  exports.Set("isTag", Napi::Function::New(env, IsTag, "isTag"));
}

GOCKER_MODULE(Init);

}  // namespace
}  // namespace gocker
