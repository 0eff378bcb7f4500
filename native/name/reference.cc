// distribution/reference's grammar, matched by hand rather than by regular expressions: each
// part has one shape, and where the regular expression could backtrack the parts are split at
// the one place they can end ('@' starts the digest; the tag is after the last ':' when no '/'
// follows it; the host is the first component). Every loop runs once over its part: linear in
// the input, whatever the input is.
#include "reference.h"

#include <locale.h>
#include <wctype.h>

#include <algorithm>
#include <cstdint>

namespace gocker {
namespace name {
namespace {

constexpr std::string_view kDefaultRegistry = "docker.io";
constexpr std::string_view kLegacyRegistry = "index.docker.io";
constexpr std::string_view kOfficialPrefix = "library/";
constexpr std::string_view kDefaultTag = "latest";
// distribution's RepositoryNameTotalLengthMax: it counts the path, not the host.
constexpr size_t kNameMax = 255;
constexpr size_t kTagMax = 128;

constexpr char kInvalid[] = "invalid reference format";
constexpr char kDigestFormat[] = "invalid checksum digest format";
constexpr char kDigestLength[] = "invalid checksum digest length";
constexpr char kDigestUnsupported[] = "unsupported digest algorithm";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsAlpha(char c) { return IsLower(c) || (c >= 'A' && c <= 'Z'); }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsLowerAlnum(char c) { return IsLower(c) || IsDigit(c); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsLowerHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }
bool IsWord(char c) { return IsAlnum(c) || c == '_'; }

template <typename Pred>
bool All(std::string_view s, Pred pred) {
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

// go-digest's registered algorithms, and the hex length of each; nothing else is accepted.
size_t HexLength(std::string_view algorithm) {
  if (algorithm == "sha256") return 64;
  if (algorithm == "sha384") return 96;
  if (algorithm == "sha512") return 128;
  return 0;
}

// PATH_COMPONENT: [a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*
bool PathComponent(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  for (;;) {
    const size_t run = i;
    while (i < n && IsLowerAlnum(s[i])) i++;
    if (i == run) return false;
    if (i == n) return true;
    if (s[i] == '.') {
      i++;
    } else if (s[i] == '_') {
      i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
    } else if (s[i] == '-') {
      while (i < n && s[i] == '-') i++;
    } else {
      return false;
    }
  }
}

// REMOTE_NAME: PATH_COMPONENT(?:/PATH_COMPONENT)*
bool RemoteName(std::string_view s) {
  for (;;) {
    const size_t slash = s.find('/');
    if (!PathComponent(s.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    s.remove_prefix(slash + 1);
  }
}

// DOMAIN_COMPONENT: [a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool DomainComponent(std::string_view s) {
  return !s.empty() && IsAlnum(s.front()) && IsAlnum(s.back()) && All(s, [](char c) { return IsAlnum(c) || c == '-'; });
}

// DOMAIN: (?:DOMAIN_COMPONENT(?:\.DOMAIN_COMPONENT)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?
bool Domain(std::string_view s) {
  size_t host_end;
  if (!s.empty() && s[0] == '[') {
    const size_t close = s.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    if (!All(s.substr(1, close - 1), [](char c) { return IsHex(c) || c == ':'; })) return false;
    host_end = close + 1;
  } else {
    host_end = std::min(s.find(':'), s.size());
    std::string_view host = s.substr(0, host_end);
    for (;;) {
      const size_t dot = host.find('.');
      if (!DomainComponent(host.substr(0, dot))) return false;
      if (dot == std::string_view::npos) break;
      host.remove_prefix(dot + 1);
    }
  }
  if (host_end == s.size()) return true;
  const std::string_view port = s.substr(host_end);
  return port.size() > 1 && port[0] == ':' && All(port.substr(1), IsDigit);
}

// One run of a digest algorithm's components: first(c) at the start of each, rest(c) after
// it, single separators from seps between them.
template <typename First, typename Rest>
bool Components(std::string_view s, First first, Rest rest, std::string_view seps) {
  size_t i = 0;
  const size_t n = s.size();
  for (;;) {
    if (i == n || !first(s[i])) return false;
    i++;
    while (i < n && rest(s[i])) i++;
    if (i == n) return true;
    if (seps.find(s[i]) == std::string_view::npos) return false;
    i++;
  }
}

// The reference grammar's DIGEST: [A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}
bool ReferenceDigest(std::string_view s) {
  const size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view hex = s.substr(colon + 1);
  return Components(s.substr(0, colon), IsAlpha, IsAlnum, "-_+.") && hex.size() >= 32 && All(hex, IsHex);
}

// go-digest's DigestRegexp: [a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+
bool GoDigestShape(std::string_view s) {
  const size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view encoded = s.substr(colon + 1);
  return Components(s.substr(0, colon), IsLowerAlnum, IsLowerAlnum, ".+_-") && !encoded.empty() &&
         All(encoded, [](char c) { return IsAlnum(c) || c == '=' || c == '_' || c == '-'; });
}

// The next code point of valid UTF-8 at s[*i] (advancing *i), or -1 for a byte that starts
// none (*i advances by one).
int32_t NextCodePoint(std::string_view s, size_t* i) {
  const uint8_t b = static_cast<uint8_t>(s[*i]);
  int len;
  int32_t cp;
  int32_t min;
  if (b < 0x80) {
    ++*i;
    return b;
  } else if ((b & 0xe0) == 0xc0) {
    len = 2, cp = b & 0x1f, min = 0x80;
  } else if ((b & 0xf0) == 0xe0) {
    len = 3, cp = b & 0x0f, min = 0x800;
  } else if ((b & 0xf8) == 0xf0) {
    len = 4, cp = b & 0x07, min = 0x10000;
  } else {
    ++*i;
    return -1;
  }
  if (s.size() - *i < static_cast<size_t>(len)) {
    ++*i;
    return -1;
  }
  for (int k = 1; k < len; k++) {
    const uint8_t c = static_cast<uint8_t>(s[*i + k]);
    if ((c & 0xc0) != 0x80) {
      ++*i;
      return -1;
    }
    cp = (cp << 6) | (c & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) {
    ++*i;
    return -1;
  }
  *i += len;
  return cp;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// Go's strings.ToLower, which docker compares names with: each code point by its simple
// lower-case mapping ('A' and 'É', but also the Kelvin sign, which becomes 'k'). The
// mappings are glibc's (its built-in C.UTF-8 locale); bytes that are not UTF-8 are kept.
// true when that changed s, with the result in *out.
bool ToLower(std::string_view s, std::string* out) {
  bool ascii = true;
  bool upper = false;
  for (char c : s) {
    ascii &= static_cast<uint8_t>(c) < 0x80;
    upper |= c >= 'A' && c <= 'Z';
  }
  if (ascii && !upper) return false;  // what nearly every name is: nothing to map
  static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  out->clear();
  out->reserve(s.size());
  bool changed = false;
  for (size_t i = 0; i < s.size();) {
    const size_t at = i;
    const int32_t cp = NextCodePoint(s, &i);
    if (cp < 0) {
      out->push_back(s[at]);
      continue;
    }
    uint32_t lower = static_cast<uint32_t>(cp);
    if (cp < 0x80) {
      if (IsAlpha(static_cast<char>(cp))) lower = cp | 0x20;
    } else if (utf8 != static_cast<locale_t>(nullptr)) {
      lower = static_cast<uint32_t>(towlower_l(static_cast<wint_t>(cp), utf8));
    }
    if (lower != static_cast<uint32_t>(cp)) {
      changed = true;
      AppendUtf8(out, lower);
    } else {
      out->append(s.substr(at, i - at));
    }
  }
  return changed;
}

bool HasUpper(std::string_view s) {
  std::string ignored;
  return ToLower(s, &ignored);
}

// The parts REFERENCE_RE = ^((?:DOMAIN/)?REMOTE_NAME)(?::(TAG))?(?:@(DIGEST))?$ captures,
// and NAME_RE's split of the first into host and path.
struct Match {
  std::optional<std::string_view> domain;
  std::string_view remote;
  std::optional<std::string_view> tag;
  std::optional<std::string_view> digest;
};

bool MatchReference(std::string_view s, Match* m) {
  // Neither a name nor a tag has an '@', and a digest has none: the first one starts the digest.
  const size_t at = s.find('@');
  if (at != std::string_view::npos) {
    m->digest = s.substr(at + 1);
    if (!ReferenceDigest(*m->digest)) return false;
    s = s.substr(0, at);
  }
  // A ':' with no '/' after it cannot be a port (a host is followed by '/') nor in a path:
  // it starts the tag.
  const size_t colon = s.rfind(':');
  const size_t slash = s.rfind('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    m->tag = s.substr(colon + 1);
    if (!IsTag(*m->tag)) return false;
    s = s.substr(0, colon);
  }
  // A host is the whole first component or nothing (it is followed by '/' and has none).
  const size_t first = s.find('/');
  if (first != std::string_view::npos && Domain(s.substr(0, first)) && RemoteName(s.substr(first + 1))) {
    m->domain = s.substr(0, first);
    m->remote = s.substr(first + 1);
    return true;
  }
  m->remote = s;
  return RemoteName(s);
}

// Where the host ends: docker's splitDockerDomain. A first component is a host when it has a
// '.' or ':', is 'localhost', or has an upper-case letter (namespaces are lower-case).
void SplitDomain(std::string_view s, std::string* domain, std::string* remote) {
  const size_t slash = s.find('/');
  if (slash == std::string_view::npos) {
    *domain = kDefaultRegistry;
    *remote = std::string(kOfficialPrefix).append(s);
    return;
  }
  const std::string_view first = s.substr(0, slash);
  if (first == "localhost" || first.find_first_of(".:") != std::string_view::npos || HasUpper(first)) {
    *domain = first;
    *remote = s.substr(slash + 1);
  } else {
    *domain = kDefaultRegistry;
    *remote = s;
  }
  if (*domain == kLegacyRegistry) *domain = kDefaultRegistry;
  if (*domain == kDefaultRegistry && remote->find('/') == std::string::npos) remote->insert(0, kOfficialPrefix);
}

}  // namespace

const char* DigestProblem(std::string_view d) {
  const size_t i = d.find(':');
  if (i == std::string_view::npos || i == 0 || i + 1 == d.size()) return kDigestFormat;
  const size_t want = HexLength(d.substr(0, i));
  if (want == 0) return GoDigestShape(d) ? kDigestUnsupported : kDigestFormat;
  const std::string_view hex = d.substr(i + 1);
  if (hex.size() != want) return kDigestLength;
  return All(hex, IsLowerHex) ? nullptr : kDigestFormat;  // '..', '/', 'A' at the right length
}

bool IsTag(std::string_view s) {
  return !s.empty() && s.size() <= kTagMax && IsWord(s[0]) &&
         All(s, [](char c) { return IsWord(c) || c == '.' || c == '-'; });
}

bool ParseReference(std::string_view input, Reference* out, std::string* error) {
  if (input.size() == 64 && All(input, IsLowerHex)) {
    *error = "invalid repository name (" + std::string(input) + "), cannot specify 64-byte hexadecimal strings";
    return false;
  }
  std::string domain;
  std::string remainder;
  SplitDomain(input, &domain, &remainder);
  const std::string_view remote = std::string_view(remainder).substr(0, remainder.find(':'));
  if (HasUpper(remote)) {
    *error = std::string(kInvalid) + ": repository name (" + std::string(remote) + ") must be lowercase";
    return false;
  }
  const std::string full = domain + "/" + remainder;
  Match m;
  if (!MatchReference(full, &m)) {
    std::string lower;
    Match ignored;
    *error = ToLower(full, &lower) && MatchReference(lower, &ignored) ? "repository name must be lowercase" : kInvalid;
    return false;
  }
  // The host SplitDomain chose is no host by the grammar ("docker.io__a/x" is one long path
  // instead): a reference with no registry to pull it from.
  if (!m.domain) {
    *error = kInvalid;
    return false;
  }
  if (m.remote.size() > kNameMax) {
    *error = "repository name must not be more than " + std::to_string(kNameMax) + " characters";
    return false;
  }
  if (m.digest) {
    if (const char* problem = DigestProblem(*m.digest)) {
      *error = problem;
      return false;
    }
  }
  out->registry = *m.domain;
  out->repository = m.remote;
  out->tag.reset();
  out->digest.reset();
  if (m.tag) {
    out->tag = std::string(*m.tag);
  } else if (!m.digest) {
    out->tag = std::string(kDefaultTag);
  }
  if (m.digest) out->digest = std::string(*m.digest);
  return true;
}

}  // namespace name
}  // namespace gocker
