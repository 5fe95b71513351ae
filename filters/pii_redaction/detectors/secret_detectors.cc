#include "filters/pii_redaction/detectors/secret_detectors.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "filters/pii_redaction/ascii.h"
#include "filters/pii_redaction/detectors/detector_base.h"
#include "filters/pii_redaction/validators.h"
#include "gateway/common/strings.h"

namespace chaukas::filters::pii_redaction {
namespace {

using Pattern = MultiPatternScanner::Pattern;

// Every scan around a trigger is bounded by the longest item it can find: 32 KB for a PEM block,
// at most a few hundred bytes for the rest.
// A 4096-bit RSA key takes 3.3 KB, a PGP key with subkeys about 7 KB.
constexpr size_t kMaxPemBytes = size_t{32} * 1024;
constexpr size_t kMaxPemLabelBytes = 64;
constexpr size_t kMaxJwtBytes = size_t{16} * 1024;  // servers reject headers beyond 8-16 KB
constexpr size_t kMaxSlackTokenBytes = 256;
constexpr size_t kMaxSlackWebhookPathBytes = 160;
constexpr size_t kMaxAuthorityBytes = 512;
constexpr size_t kMaxSchemeBytes = 32;
constexpr size_t kMaxKeyNameBytes = 64;
constexpr size_t kMaxValueBytes = 1024;
constexpr size_t kMinSkippedValueBytes = 64;
constexpr size_t kMaxVendorKeyBytes = 256;

// Random tokens score 3.5-6 bits per character; placeholders like xoxb-xxxx or AAAA...BBBB
// score well under 3.
constexpr double kMinTokenEntropy = 3.0;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'; }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsBase64Char(char c) { return IsAlnum(c) || c == '+' || c == '/'; }
bool IsBase64UrlChar(char c) { return IsAlnum(c) || c == '-' || c == '_'; }

// The end of the run of characters matching `in_run` that starts at `from`, at most
// `max_length` long.
template <typename Predicate>
size_t RunEnd(std::string_view text, size_t from, size_t max_length, Predicate in_run) {
  const size_t limit = std::min(text.size(), from + max_length);
  size_t i = from;
  while (i < limit && in_run(text[i])) ++i;
  return i;
}

// The start of the run of characters matching `in_run` that ends at `to`, at most `max_length`
// long.
template <typename Predicate>
size_t RunBegin(std::string_view text, size_t to, size_t max_length, Predicate in_run) {
  const size_t limit = to > max_length ? to - max_length : 0;
  size_t i = to;
  while (i > limit && in_run(text[i - 1])) --i;
  return i;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t from = 0;
  while (true) {
    const size_t at = text.find(separator, from);
    parts.push_back(text.substr(from, at == std::string_view::npos ? at : at - from));
    if (at == std::string_view::npos) return parts;
    from = at + 1;
  }
}

// The length of the longest run of `c` (either case when it is a letter) in `text`.
size_t LongestRunOf(std::string_view text, char c) {
  size_t longest = 0;
  size_t run = 0;
  for (const char x : text) {
    run = ToLower(x) == ToLower(c) ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

// True if `value` stands in for a secret rather than being one: IsPlaceholder's templates and
// markers, environment and template references ($VAR, ${...}, $(...), %(name)s, {name},
// [PAD], (none)) and masks (****, ####, xxxxxx, ..., bullets). Numbers and words are not
// judged here: "1234" can be a URL password.
bool IsTemplateOrMask(std::string_view value) {
  if (value.empty() || IsPlaceholder(value)) return true;
  if (value.front() == '$') {
    if (value.size() == 1 || value[1] == '{' || value[1] == '(') return true;
    if (std::all_of(value.begin() + 1, value.end(),
                    [](char c) { return IsUpper(c) || IsDigit(c) || c == '_'; })) {
      return true;
    }
  }
  if (value.starts_with("%(")) return true;
  const char first = value.front();
  const char last = value.back();
  if ((first == '{' && last == '}') || (first == '[' && last == ']') ||
      (first == '(' && last == ')') || (first == '<' && last == '>')) {
    return true;
  }
  for (const std::string_view mask :
       {"***", "###", "...", "\xE2\x80\xA6", "\xE2\x80\xA2\xE2\x80\xA2"}) {
    if (value.find(mask) != std::string_view::npos) return true;
  }
  return LongestRunOf(value, 'x') >= 6;
}

// True if `value`, found under a secret-named key, is not a secret: a template or mask, a JSON
// literal, a type name from a schema or signature (password: str, api_key: Optional[str]), or
// a number, date or time.
bool IsNotASecret(std::string_view value) {
  if (IsTemplateOrMask(value)) return true;
  static constexpr std::array<std::string_view, 22> kWords = {
      "null",   "none",     "nil",       "true",        "false",    "undefined", "n/a",   "str",
      "string", "bool",     "boolean",   "int",         "integer",  "number",    "bytes", "any",
      "object", "optional", "secretstr", "secretbytes", "required", "invalid"};
  const std::string lower = absl::AsciiStrToLower(ToAbsl(value));
  if (std::find(kWords.begin(), kWords.end(), lower) != kWords.end()) return true;
  const bool has_digit = std::any_of(value.begin(), value.end(), IsDigit);
  return has_digit && std::all_of(value.begin(), value.end(), [](char c) {
           return IsDigit(c) || c == '+' || c == '-' || c == '.' || c == ',' || c == '_' ||
                  c == ':' || c == '/';
         });
}

// ---- PRIVATE_KEY --------------------------------------------------------------------------

constexpr std::string_view kPemBegin = "-----BEGIN ";
constexpr std::string_view kPemEnd = "-----END ";
// "-----BEGIN" in base64, as Kubernetes secrets and .env files carry whole PEM files.
constexpr std::string_view kBase64PemBegin = "LS0tLS1CRUdJTi";
// A key body has at least 40 base64 characters (pii-rules.md) and, since PEM wraps at 64 (70
// for OpenSSH), a line of at least 32 that mixes upper case, lower case and digits, as random
// base64 does: prose or a path after a header-only mention has none.
constexpr size_t kMinPemBodyChars = 40;
constexpr size_t kMinPemLineChars = 32;
// A base64 PEM's BEGIN line takes about 50 characters; 40 bytes of body take 54 more.
constexpr size_t kMinBase64PemChars = 104;

// The label of the boundary line whose "-----BEGIN " or "-----END " ends at `label_begin`
// ("RSA PRIVATE KEY") and where that line ends, after its closing dashes.
std::optional<std::pair<std::string_view, size_t>> PemLabel(std::string_view text,
                                                            size_t label_begin) {
  const size_t label_end = RunEnd(text, label_begin, kMaxPemLabelBytes,
                                  [](char c) { return IsUpper(c) || IsDigit(c) || c == ' '; });
  if (label_end == label_begin || text.substr(label_end, 5) != "-----") return std::nullopt;
  return std::make_pair(text.substr(label_begin, label_end - label_begin), label_end + 5);
}

// PKCS#1/#8, SEC1, OpenSSH, encrypted and PGP private keys; not PUBLIC KEY, CERTIFICATE,
// CERTIFICATE REQUEST or EC PARAMETERS.
bool IsPrivateKeyLabel(std::string_view label) {
  return label.ends_with("PRIVATE KEY") || label.ends_with("PRIVATE KEY BLOCK");
}

class PrivateKeyDetector final : public DetectorBase {
 public:
  PrivateKeyDetector()
      : DetectorBase(Category::kPrivateKey,
                     {{std::string(kPemBegin)}, {std::string(kBase64PemBegin)}}) {}

  size_t Extract(std::string_view text, size_t end, const TextContext& /*context*/,
                 std::vector<Finding>& findings) const override {
    if (end >= kBase64PemBegin.size() &&
        text.substr(end - kBase64PemBegin.size(), kBase64PemBegin.size()) == kBase64PemBegin) {
      return ExtractBase64Pem(text, end - kBase64PemBegin.size(), findings);
    }
    const size_t begin = end - kPemBegin.size();
    const auto header = PemLabel(text, end);
    if (!header || !IsPrivateKeyLabel(header->first)) return end;
    // The body: base64 lines separated by real newlines, JSON-escaped (\n, \r\n), double-escaped
    // (\\n) or spaces, and the armor headers of legacy encrypted PEM and PGP ("Proc-Type:
    // 4,ENCRYPTED", "DEK-Info: AES-128-CBC,...", "Version: ...").
    size_t pos = header->second;
    const size_t limit = std::min(text.size(), pos + kMaxPemBytes);
    size_t body_chars = 0;
    size_t body_end = pos;
    size_t line_chars = 0;
    bool line_has_upper = false;
    bool line_has_lower = false;
    bool line_has_digit = false;
    bool has_base64_line = false;
    const auto is_key = [&] { return body_chars >= kMinPemBodyChars && has_base64_line; };
    while (pos < limit) {
      const char c = text[pos];
      if (IsBase64Char(c) || c == '=') {
        ++body_chars;
        ++line_chars;
        line_has_upper |= IsUpper(c);
        line_has_lower |= IsLower(c);
        line_has_digit |= IsDigit(c);
        has_base64_line |=
            line_chars >= kMinPemLineChars && line_has_upper && line_has_lower && line_has_digit;
        body_end = ++pos;
        continue;
      }
      line_chars = 0;
      line_has_upper = line_has_lower = line_has_digit = false;
      if (c == '-' && text.substr(pos, 5) == "-----") {
        if (text.substr(pos, kPemEnd.size()) != kPemEnd) break;  // the next block's BEGIN
        const auto footer = PemLabel(text, pos + kPemEnd.size());
        if (!footer) break;
        if (is_key()) findings.push_back({begin, footer->second, Category::kPrivateKey});
        return footer->second;
      }
      if (c == '\\') {
        const size_t escaped = RunEnd(text, pos, 4, [](char x) { return x == '\\'; });
        const char letter = At(text, escaped);
        if (escaped >= limit || (letter != 'n' && letter != 'r' && letter != 't')) break;
        pos = escaped + 1;
        continue;
      }
      if (IsSpace(c) || c == '-' || c == ':' || c == ',' || c == '.') {
        ++pos;
        continue;
      }
      break;
    }
    // No END line: a field truncated after the header and body is redacted to its end.
    if (is_key()) {
      findings.push_back({begin, pos == text.size() ? pos : body_end, Category::kPrivateKey});
    }
    return pos;
  }

 private:
  // A whole base64 token that decodes to a PEM private key, as in Kubernetes secrets.
  static size_t ExtractBase64Pem(std::string_view text, size_t begin,
                                 std::vector<Finding>& findings) {
    const size_t trigger_end = begin + kBase64PemBegin.size();
    if (IsBase64Char(Before(text, begin))) return trigger_end;
    const size_t stop =
        RunEnd(text, begin, 2 * kMaxPemBytes, [](char c) { return IsBase64Char(c) || c == '='; });
    if (stop - begin < kMinBase64PemChars) return stop;
    // The first 80 characters decode to 60 bytes, enough for the longest BEGIN line.
    std::string decoded;
    if (!absl::Base64Unescape(ToAbsl(text.substr(begin, 80)), &decoded)) return stop;
    const std::string_view pem = decoded;
    if (!pem.starts_with(kPemBegin)) return stop;
    const auto header = PemLabel(pem, kPemBegin.size());
    if (!header || !IsPrivateKeyLabel(header->first)) return stop;
    findings.push_back({begin, stop, Category::kPrivateKey});
    return stop;
  }
};

// ---- JWT ----------------------------------------------------------------------------------

// "eyJ" is base64 of '{"', so every JWS header starts with it.
class JwtDetector final : public DetectorBase {
 public:
  JwtDetector() : DetectorBase(Category::kJwt, {{"eyJ"}}) {}

  size_t Extract(std::string_view text, size_t end, const TextContext& /*context*/,
                 std::vector<Finding>& findings) const override {
    const size_t begin = end - 3;
    if (IsBase64UrlChar(Before(text, begin))) return end;  // inside a longer token
    const size_t limit = std::min(text.size(), begin + kMaxJwtBytes);
    size_t pos = begin;
    for (int segment = 0; segment < 3; ++segment) {
      if (segment > 0) {
        if (At(text, pos) != '.') return end;
        ++pos;
      }
      const size_t segment_end = RunEnd(text, pos, limit - std::min(pos, limit), IsBase64UrlChar);
      if (segment_end == pos) return end;
      pos = segment_end;
    }
    // A fourth segment makes a JWE or a dotted identifier, not a JWS. Failures return `end`, so
    // an "eyJ" further on (a JWT after junk) still gets its own look.
    if (At(text, pos) == '.' && IsBase64UrlChar(At(text, pos + 1))) return end;
    if (!JwtValid(text.substr(begin, pos - begin))) return end;
    findings.push_back({begin, pos, Category::kJwt});
    return pos;
  }
};

// ---- GITHUB_TOKEN -------------------------------------------------------------------------

constexpr std::string_view kGithubFineGrainedPrefix = "github_pat_";

class GithubTokenDetector final : public DetectorBase {
 public:
  GithubTokenDetector()
      : DetectorBase(Category::kGithubToken,
                     {{"gh[pousr]_"}, {std::string(kGithubFineGrainedPrefix)}}) {}

  size_t Extract(std::string_view text, size_t end, const TextContext& /*context*/,
                 std::vector<Finding>& findings) const override {
    const bool fine_grained =
        end >= kGithubFineGrainedPrefix.size() &&
        text.substr(end - kGithubFineGrainedPrefix.size(), kGithubFineGrainedPrefix.size()) ==
            kGithubFineGrainedPrefix;
    const size_t begin = end - (fine_grained ? kGithubFineGrainedPrefix.size() : 4);
    if (IsAlnum(Before(text, begin))) return end;
    // One character more than a token holds, so a longer run fails the length check.
    const size_t stop = fine_grained ? RunEnd(text, end, 22 + 1 + 59 + 1,
                                              [](char c) { return IsAlnum(c) || c == '_'; })
                                     : RunEnd(text, end, 36 + 1, IsAlnum);
    const std::string_view token = text.substr(begin, stop - begin);
    // Classic tokens carry a CRC-32; fine-grained ones only a shape, so masks and placeholders
    // (github_pat_xxxx...) are caught by their entropy.
    if (!GithubTokenValid(token) || IsTemplateOrMask(token) ||
        ShannonEntropy(text.substr(end, stop - end)) < kMinTokenEntropy) {
      return stop;
    }
    findings.push_back({begin, stop, Category::kGithubToken});
    return stop;
  }
};

// ---- SLACK_TOKEN --------------------------------------------------------------------------

constexpr std::string_view kSlackWebhookHost = "hooks.slack.com/";

// A random part of a token: alphanumeric, long enough, and not a placeholder.
bool IsRandomPart(std::string_view part, size_t min_length) {
  return part.size() >= min_length && AllAlnum(part) && ShannonEntropy(part) >= kMinTokenEntropy &&
         !IsTemplateOrMask(part);
}

bool IsDigitsPart(std::string_view part, size_t min_length, size_t max_length) {
  return part.size() >= min_length && part.size() <= max_length && AllDigits(part);
}

// The shapes of gitleaks' Slack rules, after the prefix (`kind` is "xoxb-", "xapp-", ...;
// `configuration` for xoxe.xoxp- / xoxe.xoxb-).
bool SlackTokenBodyValid(std::string_view kind, bool configuration, std::string_view body) {
  const std::vector<std::string_view> parts = Split(body, '-');
  if (configuration || kind == "xoxe-") {  // configuration access and refresh tokens
    return parts.size() == 2 && IsDigitsPart(parts[0], 1, 1) && IsRandomPart(parts[1], 100);
  }
  if (kind == "xapp-") {  // app-level: xapp-1-A0123ABCDEF-1234567890123-<hex>
    return parts.size() == 4 && IsDigitsPart(parts[0], 1, 1) && AllAlnum(parts[1]) &&
           parts[1].size() >= 8 && IsDigitsPart(parts[2], 8, 16) && IsRandomPart(parts[3], 32);
  }
  if (kind == "xoxa-" || kind == "xoxr-") {  // legacy workspace access and refresh tokens
    return (parts.size() == 1 && IsRandomPart(parts[0], 16)) ||
           (parts.size() == 2 && IsDigitsPart(parts[0], 1, 1) && IsRandomPart(parts[1], 16));
  }
  // Bot, user and legacy tokens: one to three numeric ids, then the random part.
  if (parts.size() < 2 || parts.size() > 4) return false;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!IsDigitsPart(parts[i], 6, 16)) return false;
  }
  return IsRandomPart(parts.back(), 16);
}

class SlackTokenDetector final : public DetectorBase {
 public:
  SlackTokenDetector()
      : DetectorBase(Category::kSlackToken,
                     {{"xox[abposre]-"}, {"xapp-"}, {"hooks\\.slack\\.com/"}}) {}

  size_t Extract(std::string_view text, size_t end, const TextContext& /*context*/,
                 std::vector<Finding>& findings) const override {
    if (text[end - 1] == '/') return ExtractWebhook(text, end, findings);
    size_t begin = end - 5;
    const std::string_view kind = text.substr(begin, 5);
    const bool configuration = begin >= 5 && text.substr(begin - 5, 5) == "xoxe.";
    if (configuration) begin -= 5;
    if (IsAlnum(Before(text, begin))) return end;
    const size_t looked =
        RunEnd(text, end, kMaxSlackTokenBytes, [](char c) { return IsAlnum(c) || c == '-'; });
    size_t stop = looked;
    while (stop > end && text[stop - 1] == '-') --stop;
    if (!SlackTokenBodyValid(kind, configuration, text.substr(end, stop - end))) return looked;
    findings.push_back({begin, stop, Category::kSlackToken});
    return looked;
  }

 private:
  // https://hooks.slack.com/services/T.../B.../<secret> (and workflows/, triggers/): the whole
  // URL, scheme included.
  static size_t ExtractWebhook(std::string_view text, size_t end, std::vector<Finding>& findings) {
    size_t begin = end - kSlackWebhookHost.size();
    for (const std::string_view scheme : {"https://", "http://"}) {
      if (begin >= scheme.size() && text.substr(begin - scheme.size(), scheme.size()) == scheme) {
        begin -= scheme.size();
        break;
      }
    }
    if (IsAlnum(Before(text, begin)) || Before(text, begin) == '.') return end;
    const size_t looked = RunEnd(text, end, kMaxSlackWebhookPathBytes,
                                 [](char c) { return IsAlnum(c) || c == '/' || c == '_'; });
    size_t stop = looked;
    while (stop > end && text[stop - 1] == '/') --stop;
    // services/T.../B.../<secret>; workflows/ and triggers/ have one or two ids.
    const std::vector<std::string_view> parts = Split(text.substr(end, stop - end), '/');
    const bool services = parts[0] == "services";
    if (!services && parts[0] != "workflows" && parts[0] != "triggers") return looked;
    if (parts.size() != 4 && (services || parts.size() != 3)) return looked;
    // The team and integration ids (T0123ABCD, B0123ABCD) must not be T00000000-style
    // placeholders, and the secret must be random.
    for (size_t i = 1; i + 1 < parts.size(); ++i) {
      const std::string_view id = parts[i];
      if (id.size() < 8 || !AllAlnum(id) ||
          id.find_first_not_of(id[1], 1) == std::string_view::npos) {
        return looked;
      }
    }
    if (!IsRandomPart(parts.back(), 16)) return looked;
    findings.push_back({begin, stop, Category::kSlackToken});
    return looked;
  }
};

// ---- AWS_ACCESS_KEY -----------------------------------------------------------------------

class AwsAccessKeyDetector final : public DetectorBase {
 public:
  AwsAccessKeyDetector()
      : DetectorBase(Category::kAwsAccessKey, {{"(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}"}}) {}

  size_t Extract(std::string_view text, size_t end, const TextContext& /*context*/,
                 std::vector<Finding>& findings) const override {
    const size_t begin = end - 20;
    if (IsAlnum(Before(text, begin)) || IsAlnum(At(text, end))) return end;
    if (AwsAccessKeyValid(text.substr(begin, 20))) {
      findings.push_back({begin, end, Category::kAwsAccessKey});
    }
    return end;
  }
};

// ---- URL_CREDENTIALS ----------------------------------------------------------------------

// Where a URL's authority ends: at the path, query or fragment, or where the URL itself ends
// in text (whitespace, quotes, angle brackets, a JSON escape).
bool EndsAuthority(char c) {
  return IsSpace(c) || c == '/' || c == '?' || c == '#' || c == '"' || c == '\'' || c == '`' ||
         c == '<' || c == '>' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
}

class UrlCredentialsDetector final : public DetectorBase {
 public:
  UrlCredentialsDetector() : DetectorBase(Category::kUrlCredentials, {{"://"}}) {}

  size_t Extract(std::string_view text, size_t end, const TextContext& /*context*/,
                 std::vector<Finding>& findings) const override {
    const size_t scheme_end = end - 3;
    const size_t scheme_begin = RunBegin(text, scheme_end, kMaxSchemeBytes, [](char c) {
      return IsAlnum(c) || c == '+' || c == '.' || c == '-';
    });
    if (scheme_begin == scheme_end || !IsAlpha(text[scheme_begin])) return end;
    const size_t authority_end =
        RunEnd(text, end, kMaxAuthorityBytes, [](char c) { return !EndsAuthority(c); });
    // The userinfo ends at the last '@' (an unencoded '@' in a password is common), as
    // Python's urlsplit reads it.
    const std::string_view authority = text.substr(end, authority_end - end);
    const size_t at = authority.rfind('@');
    if (at == std::string_view::npos) return authority_end;
    const std::string_view userinfo = authority.substr(0, at);
    const size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos) return authority_end;
    const std::string_view password = userinfo.substr(colon + 1);
    // One character is a (weak) password, not a mask: postgres://u:p@h.
    if (password.empty() || IsPlaceholder(userinfo) ||
        (password.size() > 1 && IsTemplateOrMask(password))) {
      return authority_end;
    }
    findings.push_back({end, end + at, Category::kUrlCredentials});
    return authority_end;
  }
};

// ---- GENERIC_SECRET -----------------------------------------------------------------------

// What a secret-named key holds, which decides how its value is read and judged.
enum class SecretKind {
  kNone,
  kPassword,       // password, passwd, passphrase, pwd: any characters, even all letters
  kToken,          // token, secret, api_key, ...: long, not a plain word
  kAuthorization,  // an Authorization header: Bearer/Basic/Token credentials
};

// The key name in lower snake case: camelCase split into words, '-', '.' and ' ' read as '_',
// and leading dashes and underscores dropped ("--api-key" -> "api_key", "clientSecret" ->
// "client_secret", "_authToken" -> "auth_token").
std::string NormalizedKeyName(std::string_view name) {
  std::string normalized;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '-' || c == '.' || c == ' ' || c == '_') {
      if (!normalized.empty() && normalized.back() != '_') normalized += '_';
      continue;
    }
    if (IsUpper(c) && i > 0 && (IsLower(name[i - 1]) || IsDigit(name[i - 1])) &&
        !normalized.empty() && normalized.back() != '_') {
      normalized += '_';
    }
    normalized += ToLower(c);
  }
  while (!normalized.empty() && normalized.back() == '_') normalized.pop_back();
  return normalized;
}

// Names that end like a secret's but hold pagination cursors or a tokenizer's special tokens.
constexpr std::array<std::string_view, 12> kNotSecretKeys = {
    "page_token", "next_token", "continuation_token", "cancellation_token",
    "sync_token", "eos_token",  "bos_token",          "pad_token",
    "unk_token",  "sep_token",  "cls_token",          "mask_token"};

// What the key `key` holds, judged by how its name ends, so that count and config keys
// (max_tokens, token_type, api_version, secret_name, api_key_env, password_length, token_id,
// token_url) are never secret-named.
SecretKind KindOfKey(std::string_view key) {
  const std::string name = NormalizedKeyName(key);
  const auto ends_with_any = [&](std::initializer_list<std::string_view> suffixes) {
    return std::any_of(suffixes.begin(), suffixes.end(),
                       [&](std::string_view suffix) { return name.ends_with(suffix); });
  };
  if (name.empty()) return SecretKind::kNone;
  for (const std::string_view excluded : kNotSecretKeys) {
    if (name.ends_with(excluded)) return SecretKind::kNone;
  }
  if (name.ends_with("authorization")) return SecretKind::kAuthorization;
  if (ends_with_any({"password", "passwd", "passphrase"}) || name == "pwd" ||
      name.ends_with("_pwd")) {
    return SecretKind::kPassword;
  }
  if (ends_with_any({"token", "secret", "api_key", "apikey", "secret_key", "secretkey",
                     "secret_access_key"})) {
    return SecretKind::kToken;
  }
  return SecretKind::kNone;
}

bool IsKeyNameChar(char c) { return IsAlnum(c) || c == '_' || c == '-' || c == '.'; }

// True if `value` is a secret that a key of `kind` could hold.
bool IsSecretValue(std::string_view value, SecretKind kind) {
  if (IsNotASecret(value) || value.starts_with("-----BEGIN")) return false;  // PEM: PRIVATE_KEY's
  // A password is anything but a path: PWD=/home/dana is the shell's working directory.
  if (kind == SecretKind::kPassword) {
    return value.size() >= 4 && !value.starts_with('/') && !value.starts_with("~/");
  }
  // API keys and tokens are long and never a plain lowercase word ("agent-creds", "required"),
  // nor a URL (a vault path or an endpoint, not the secret).
  if (value.size() < 8 || value.find("://") != std::string_view::npos) return false;
  return std::any_of(value.begin(), value.end(),
                     [](char c) { return !IsLower(c) && c != '-' && c != '_' && c != '.'; });
}

// Where an unquoted value ends. Passwords keep their punctuation ("M4ple&Syrup-Ridge") except
// for '&' between query parameters; tokens end at any delimiter of the text around them
// ("refresh_token=...&grant_type", "(token=...)").
bool EndsUnquotedValue(char c, SecretKind kind, bool in_query) {
  if (IsSpace(c) || c == '"' || c == '\'' || c == '`' || c == '\\' || c == '<' || c == '>' ||
      static_cast<unsigned char>(c) < 0x20) {
    return true;
  }
  if (c == '&') return kind != SecretKind::kPassword || in_query;
  if (kind == SecretKind::kPassword) return false;
  return c == ',' || c == ';' || c == '(' || c == ')' || c == '[' || c == ']' || c == '{' ||
         c == '}' || c == '|';
}

struct Span {
  size_t begin = 0;
  size_t end = 0;
};

// The value that starts at `from`: the inside of a quoted string (quotes escaped as \" in
// JSON-in-JSON included), or an unquoted run without the sentence punctuation after it.
Span ValueAt(std::string_view text, size_t from, SecretKind kind, bool in_query) {
  const size_t quote_at = RunEnd(text, from, 4, [](char c) { return c == '\\'; });
  const char quote = At(text, quote_at);
  if (quote == '"' || quote == '\'') {
    const std::string_view delimiter = text.substr(from, quote_at + 1 - from);
    const size_t begin = quote_at + 1;
    const size_t close = text.substr(begin, kMaxValueBytes).find(delimiter);
    if (close != std::string_view::npos) return {begin, begin + close};
    from = begin;  // unterminated (a truncated field): read it as unquoted
  }
  size_t end = RunEnd(text, from, kMaxValueBytes,
                      [&](char c) { return !EndsUnquotedValue(c, kind, in_query); });
  while (end > from) {
    const char last = text[end - 1];
    const std::string_view value = text.substr(from, end - from);
    const bool unopened = (last == ')' && value.find('(') == std::string_view::npos) ||
                          (last == ']' && value.find('[') == std::string_view::npos) ||
                          (last == '}' && value.find('{') == std::string_view::npos);
    if (last != '.' && last != ',' && last != ';' && last != ':' && !unopened) break;
    --end;
  }
  return {from, end};
}

// The authentication schemes whose credentials follow them ("Bearer <token>").
std::optional<size_t> SchemeLength(std::string_view value) {
  for (const std::string_view scheme : {"bearer ", "basic ", "token "}) {
    if (absl::StartsWithIgnoreCase(ToAbsl(value), ToAbsl(scheme))) return scheme.size();
  }
  return std::nullopt;
}

// The credentials of a value that starts at `from` under a key of `kind`: the value without an
// authentication scheme, or nothing for an Authorization header of another scheme (AWS4-HMAC,
// Digest), whose parts are not one secret.
std::optional<Span> CredentialsAt(std::string_view text, size_t from, SecretKind kind,
                                  bool in_query) {
  bool has_scheme = false;
  if (const std::optional<size_t> scheme = SchemeLength(text.substr(from, 8))) {
    from = RunEnd(text, from + *scheme, 8, IsBlank);
    has_scheme = true;
  }
  Span span = ValueAt(text, from, kind, in_query);
  const std::string_view value = text.substr(span.begin, span.end - span.begin);
  if (!has_scheme) {
    if (const std::optional<size_t> scheme = SchemeLength(value)) {  // "Bearer ..." quoted
      const size_t begin = RunEnd(text, span.begin + *scheme, 8, IsBlank);
      if (begin >= span.end) return std::nullopt;
      span = {begin, RunEnd(text, begin, span.end - begin, [](char c) { return !IsSpace(c); })};
    } else if (kind == SecretKind::kAuthorization &&
               (value.find(' ') != std::string_view::npos || IsBlank(At(text, span.end)))) {
      return std::nullopt;
    }
  }
  if (span.begin >= span.end) return std::nullopt;
  return span;
}

// Vendor-prefixed keys, secrets wherever they appear.
bool VendorKeyValid(std::string_view token) {
  std::string_view body;
  size_t min_body = 0;
  if (token.starts_with("sk-ant-")) {  // Anthropic: sk-ant-api03-<93>AA
    body = token.substr(7);
    min_body = 60;
  } else if (token.starts_with("sk-proj-") || token.starts_with("sk-svcacct-") ||
             token.starts_with("sk-admin-")) {  // OpenAI project, service-account, admin keys
    body = token.substr(token.find('-', 3) + 1);
    min_body = 32;
  } else if (token.starts_with("sk-") && token.find("T3BlbkFJ") != std::string_view::npos) {
    body = token.substr(3);  // OpenAI legacy: T3BlbkFJ is base64 of "OpenAI"
    min_body = 32;
  } else if (token.starts_with("sk_test_") || token.starts_with("sk_live_")) {  // Stripe
    body = token.substr(8);
    min_body = 10;
    if (!AllAlnum(body)) return false;
  } else if (token.starts_with("hf_")) {  // Hugging Face
    body = token.substr(3);
    min_body = 30;
    if (!AllAlnum(body) || body.size() > 40) return false;
  } else {
    return false;
  }
  return body.size() >= min_body && ShannonEntropy(body) >= kMinTokenEntropy &&
         !IsTemplateOrMask(body);
}

class GenericSecretDetector final : public DetectorBase {
 public:
  GenericSecretDetector()
      : DetectorBase(
            Category::kGenericSecret,
            {
                // Once per text, at its first character: the Struct key may name a secret.
                {"^."},
                // A key whose name ends like a secret's, and its separator: key=, key:,
                // "key": , \"key\": . Names that go on (max_tokens, api_key_env) never fire, which
                // keeps LLM telemetry, dense with *_tokens keys, at Hyperscan's literal speed.
                {"(?:pass(?:word|wd|phrase)|pwd|secret|token|api[_.-]?key|"
                 "secret[_.-]?(?:access[_.-]?)?key|authorization)(?:\\\\{0,3}[\"'])?[ "
                 "\\t]{0,3}[:=]",
                 true},
                // A command-line flag and the blank before its value: --api-key <value>.
                {"--[A-Za-z0-9_-]{0,32}(?:pass(?:word|wd|phrase)|pwd|secret|token|api-?key)"
                 "[ \\t]",
                 true},
                {"sk-(?:proj|svcacct|admin|ant)-"},
                {"T3BlbkFJ"},
                {"sk_(?:test|live)_[A-Za-z0-9]{10}"},
                {"hf_[A-Za-z0-9]{30}"},
            }) {}

  size_t Extract(std::string_view text, size_t end, const TextContext& context,
                 std::vector<Finding>& findings) const override {
    // Extract is not told which trigger fired; their last characters tell them apart (every
    // other trigger is at least three characters long).
    if (end == 1) return ExtractWholeText(text, context, findings);
    const char last = text[end - 1];
    if (last == ':' || last == '=') return ExtractKeyValue(text, end, findings);
    if (IsBlank(last)) return ExtractFlagValue(text, end, findings);
    return ExtractVendorKey(text, end, findings);
  }

 private:
  // The whole text, when it is the value of a secret-named Struct key.
  static size_t ExtractWholeText(std::string_view text, const TextContext& context,
                                 std::vector<Finding>& findings) {
    const SecretKind kind = KindOfKey(context.key);
    if (kind == SecretKind::kNone) return 1;
    Span span{RunEnd(text, 0, text.size(), IsSpace), text.size()};
    span.end = RunBegin(text, span.end, span.end - span.begin, IsSpace);
    if (const std::optional<size_t> scheme = SchemeLength(text.substr(span.begin, 8))) {
      span.begin = RunEnd(text, span.begin + *scheme, 8, IsBlank);
    }
    const std::string_view value = text.substr(span.begin, span.end - span.begin);
    if (IsNotASecret(value) || value.find("-----BEGIN") != std::string_view::npos) return 1;
    findings.push_back({span.begin, span.end, Category::kGenericSecret});
    return text.size();
  }

  // key=value, key: value, "key": "value"; `end` is just after the separator.
  static size_t ExtractKeyValue(std::string_view text, size_t end, std::vector<Finding>& findings) {
    const size_t separator = end - 1;
    const char next = At(text, end);
    if ((text[separator] == ':' && (next == ':' || Before(text, separator) == ':')) ||
        (text[separator] == '=' && next == '=')) {
      return end;  // std::string, a == comparison
    }
    size_t name_end = RunBegin(text, separator, 3, IsBlank);
    if (Before(text, name_end) == '"' || Before(text, name_end) == '\'') {
      name_end = RunBegin(text, name_end - 1, 3, [](char c) { return c == '\\'; });
    }
    const size_t name_begin = RunBegin(text, name_end, kMaxKeyNameBytes, IsKeyNameChar);
    const SecretKind kind = KindOfKey(text.substr(name_begin, name_end - name_begin));
    if (kind == SecretKind::kNone) return end;
    const bool in_query = Before(text, name_begin) == '?' || Before(text, name_begin) == '&';
    size_t from = end;
    if ((text[separator] == '=' && next == '>') || (text[separator] == ':' && next == '=')) {
      ++from;  // Ruby and PHP: key => value; Go: key := value
    }
    return EmitValue(text, RunEnd(text, from, 8, IsBlank), kind, in_query, end, findings);
  }

  // --api-key <value>; `end` is just after the blank that follows the flag.
  static size_t ExtractFlagValue(std::string_view text, size_t end,
                                 std::vector<Finding>& findings) {
    const size_t name_end = end - 1;
    const size_t name_begin = RunBegin(text, name_end, kMaxKeyNameBytes,
                                       [](char c) { return IsAlnum(c) || c == '-' || c == '_'; });
    const std::string_view name = text.substr(name_begin, name_end - name_begin);
    if (!name.starts_with("--")) return end;
    const SecretKind kind = KindOfKey(name);
    if (kind == SecretKind::kNone) return end;
    const size_t from = RunEnd(text, end, 8, IsBlank);
    if (At(text, from) == '-') return end;  // the next flag: this one takes no value
    return EmitValue(text, from, kind, /*in_query=*/false, end, findings);
  }

  static size_t EmitValue(std::string_view text, size_t from, SecretKind kind, bool in_query,
                          size_t looked, std::vector<Finding>& findings) {
    const std::optional<Span> span = CredentialsAt(text, from, kind, in_query);
    if (!span) return looked;
    if (!IsSecretValue(text.substr(span->begin, span->end - span->begin), kind)) {
      // A short rejected value may run into the next key ("password=${PW};api_key=..."), which
      // must still get its look; a long one is not looked at again, or "token=xxxxxx" repeated
      // would cost a 1 KB scan every 12 bytes.
      return span->end - span->begin >= kMinSkippedValueBytes ? std::max(looked, span->end)
                                                              : looked;
    }
    findings.push_back({span->begin, span->end, Category::kGenericSecret});
    return std::max(looked, span->end);
  }

  // sk-proj-..., sk-...T3BlbkFJ..., sk-ant-..., sk_live_..., hf_...: the whole token around the
  // trigger.
  static size_t ExtractVendorKey(std::string_view text, size_t end,
                                 std::vector<Finding>& findings) {
    const size_t begin = RunBegin(text, end, kMaxVendorKeyBytes, IsBase64UrlChar);
    const size_t looked = RunEnd(text, end, kMaxVendorKeyBytes, IsBase64UrlChar);
    size_t stop = looked;
    while (stop > end && text[stop - 1] == '-') --stop;
    if (!VendorKeyValid(text.substr(begin, stop - begin))) return looked;
    findings.push_back({begin, stop, Category::kGenericSecret});
    return looked;
  }
};

}  // namespace

std::unique_ptr<Detector> MakePrivateKeyDetector() {
  return std::make_unique<PrivateKeyDetector>();
}
std::unique_ptr<Detector> MakeJwtDetector() { return std::make_unique<JwtDetector>(); }
std::unique_ptr<Detector> MakeGithubTokenDetector() {
  return std::make_unique<GithubTokenDetector>();
}
std::unique_ptr<Detector> MakeSlackTokenDetector() {
  return std::make_unique<SlackTokenDetector>();
}
std::unique_ptr<Detector> MakeAwsAccessKeyDetector() {
  return std::make_unique<AwsAccessKeyDetector>();
}
std::unique_ptr<Detector> MakeUrlCredentialsDetector() {
  return std::make_unique<UrlCredentialsDetector>();
}
std::unique_ptr<Detector> MakeGenericSecretDetector() {
  return std::make_unique<GenericSecretDetector>();
}

}  // namespace chaukas::filters::pii_redaction
