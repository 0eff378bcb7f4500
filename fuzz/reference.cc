// libFuzzer target for the reference and digest parser (native/name/reference.cc), the one
// lib/name calls for every reference and digest. A refusal is an expected result; a finding
// is a crash, a sanitizer report, or a broken invariant, checked here by code of its own
// rather than the parser's:
//   - an accepted reference has a registry, a repository and a tag or a digest, each of the
//     shape the grammar allows; its digest is exactly <sha256|sha384|sha512>:<lowercase hex of
//     64|96|128>;
//   - printed in full (docker.io/library/alpine:latest) and in docker's short form (alpine),
//     it parses again to the same reference (the short form where it is not ambiguous);
//   - a digest is accepted by DigestProblem exactly when it has that strict shape, and a
//     refusal is one of go-digest's three messages; IsTag agrees with the tag grammar.
// Built and run by fuzz/run.sh.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "../native/name/reference.h"

namespace {

using gocker::name::Reference;

[[noreturn]] void Fail(const char* what, std::string_view input, const std::string& detail = std::string()) {
  fprintf(stderr, "reference fuzz: %s\n  input: ", what);
  for (unsigned char c : input) fprintf(stderr, c >= 0x20 && c < 0x7f && c != '\\' ? "%c" : "\\x%02x", c);
  fprintf(stderr, "\n  %s\n", detail.c_str());
  abort();
}

bool InSet(char c, const char* set) { return c != '\0' && strchr(set, c) != nullptr; }

const char kLowerHex[] = "0123456789abcdef";
const char kLowerAlnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
const char kWord[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";

bool OnlyOf(std::string_view s, const char* set) {
  for (char c : s) {
    if (!InSet(c, set)) return false;
  }
  return true;
}

// The strict digest, written out per algorithm.
bool StrictDigest(std::string_view d) {
  static const struct {
    std::string_view prefix;
    size_t hex;
  } kAlgorithms[] = {{"sha256:", 64}, {"sha384:", 96}, {"sha512:", 128}};
  for (const auto& a : kAlgorithms) {
    if (d.size() == a.prefix.size() + a.hex && d.substr(0, a.prefix.size()) == a.prefix) {
      return OnlyOf(d.substr(a.prefix.size()), kLowerHex);
    }
  }
  return false;
}

bool TagShape(std::string_view t) {
  return !t.empty() && t.size() <= 128 && InSet(t[0], kWord) && OnlyOf(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-");
}

// Lower-case components of [a-z0-9._-], each starting and ending with a letter or digit.
bool RepositoryShape(std::string_view r) {
  if (r.empty() || r.size() > 255) return false;
  size_t start = 0;
  for (size_t i = 0; i <= r.size(); i++) {
    if (i < r.size() && r[i] != '/') continue;
    std::string_view c = r.substr(start, i - start);
    if (c.empty() || !InSet(c.front(), kLowerAlnum) || !InSet(c.back(), kLowerAlnum) || !OnlyOf(c, "abcdefghijklmnopqrstuvwxyz0123456789._-")) return false;
    start = i + 1;
  }
  return true;
}

std::string Describe(const Reference& r) {
  return "registry=" + r.registry + " repository=" + r.repository + " tag=" + (r.tag ? *r.tag : "(none)") + " digest=" + (r.digest ? *r.digest : "(none)");
}

bool Same(const Reference& a, const Reference& b) {
  return a.registry == b.registry && a.repository == b.repository && a.tag == b.tag && a.digest == b.digest;
}

std::string Suffix(const Reference& r) {
  std::string s;
  if (r.tag) s += ":" + *r.tag;
  if (r.digest) s += "@" + *r.digest;
  return s;
}

// As lib/name prints them: referenceString and familiarString.
std::string Full(const Reference& r) { return r.registry + "/" + r.repository + Suffix(r); }

std::string Familiar(const Reference& r) {
  if (r.registry != "docker.io") return Full(r);
  std::string_view repo = r.repository;
  if (repo.substr(0, 8) == "library/" && repo.find('/', 8) == std::string_view::npos) repo.remove_prefix(8);
  return std::string(repo) + Suffix(r);
}

void RoundTrip(std::string_view input, const Reference& ref, const std::string& printed, const char* how) {
  Reference again;
  std::string error;
  if (!gocker::name::ParseReference(printed, &again, &error)) Fail(how, input, "\"" + printed + "\" refused: " + error);
  if (!Same(ref, again)) Fail(how, input, Describe(ref) + " became " + Describe(again));
}

void CheckReference(std::string_view input) {
  Reference ref;
  std::string error;
  if (!gocker::name::ParseReference(input, &ref, &error)) {
    if (error.empty()) Fail("refused without a message", input);
    return;
  }
  if (ref.registry.empty() || ref.registry.find_first_of("/@") != std::string::npos) Fail("registry", input, Describe(ref));
  if (!RepositoryShape(ref.repository)) Fail("repository", input, Describe(ref));
  if (!ref.tag && !ref.digest) Fail("neither tag nor digest", input, Describe(ref));
  if (ref.tag && !TagShape(*ref.tag)) Fail("tag", input, Describe(ref));
  if (ref.digest && !StrictDigest(*ref.digest)) Fail("digest accepted", input, Describe(ref));
  RoundTrip(input, ref, Full(ref), "full form does not parse back");
  // Docker's short form of a Docker Hub path whose first component looks like a host
  // (docker.io/a.b/c is printed a.b/c, as docker prints it) names that host instead: those
  // are left out, as no Docker Hub namespace has a '.'.
  const std::string familiar = Familiar(ref);
  const std::string_view first = std::string_view(familiar).substr(0, familiar.find('/'));
  const bool host_like = familiar.find('/') != std::string::npos && (first == "localhost" || first.find_first_of(".:") != std::string_view::npos);
  if (ref.registry != "docker.io" || !host_like) RoundTrip(input, ref, familiar, "familiar form does not parse back");
}

void CheckDigest(std::string_view input) {
  const char* problem = gocker::name::DigestProblem(input);
  if (problem == nullptr) {
    if (!StrictDigest(input)) Fail("DigestProblem accepted", input);
    return;
  }
  if (StrictDigest(input)) Fail("DigestProblem refused a valid digest", input, problem);
  static const char* const kMessages[] = {"invalid checksum digest format", "invalid checksum digest length", "unsupported digest algorithm"};
  for (const char* m : kMessages) {
    if (strcmp(problem, m) == 0) return;
  }
  Fail("DigestProblem's message", input, problem);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckReference(input);
  CheckDigest(input);
  if (gocker::name::IsTag(input) != TagShape(input)) Fail("IsTag", input);
  return 0;
}
