// Image references and content digests as docker reads them: distribution/reference's
// ParseNormalizedNamed and go-digest's Validate, with docker's wording for every refusal.
// The one parser of both: the addon exposes it to lib/name, and fuzz/reference.cc drives it
// under libFuzzer. No N-API and no allocation beyond the strings it returns, so it builds
// alone with the fuzzer's sanitizers.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace gocker {
namespace name {

// 'docker.io' / 'library/alpine' / 'latest' / none; a digest is validated (Digest below).
struct Reference {
  std::string registry;
  std::string repository;
  std::optional<std::string> tag;
  std::optional<std::string> digest;
};

// go-digest's Validate: nullptr when d is '<sha256|sha384|sha512>:<lowercase hex of exactly
// that algorithm's length>', else its message ('invalid checksum digest format',
// 'invalid checksum digest length', 'unsupported digest algorithm'), chosen in go-digest's
// order. Lengths are counted in bytes, as Go does.
const char* DigestProblem(std::string_view d);

inline bool IsDigest(std::string_view d) { return DigestProblem(d) == nullptr; }

// A tag by the grammar: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
bool IsTag(std::string_view s);

// input (UTF-8) as docker normalises it ('alpine' is docker.io/library/alpine:latest; a tag of
// 'latest' when neither tag nor digest is given). false with *error set to docker's message
// when it is no valid reference.
bool ParseReference(std::string_view input, Reference* out, std::string* error);

}  // namespace name
}  // namespace gocker
