#include "filters/pii_redaction/validators.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "filters/pii_redaction/ascii.h"
#include "gateway/common/base64url.h"
#include "gateway/common/openssl_ptr.h"
#include "gateway/common/strings.h"
#include "simdjson.h"

namespace chaukas::filters::pii_redaction {
namespace {

bool AllSameCharacter(std::string_view text) {
  return !text.empty() && text.find_first_not_of(text.front()) == std::string_view::npos;
}

// The value of the decimal digits `text`, which the caller has checked are at most 9 digits.
int DecimalValue(std::string_view text) {
  int value = 0;
  for (const char c : text) value = value * 10 + (c - '0');
  return value;
}

// ---- Payment cards ------------------------------------------------------------------------

// Numbers whose first `prefix_digits` digits lie in [low, high] are cards when their length is
// one of `lengths` (bit n set for length n).
struct IinRange {
  int prefix_digits;
  int low;
  int high;
  uint32_t lengths;
};

constexpr uint32_t Lengths(int from, int to) {
  uint32_t mask = 0;
  for (int length = from; length <= to; ++length) mask |= 1u << length;
  return mask;
}

// The IIN table of pii-rules.md (from Wikipedia's "Payment card number"). Rows overlap, as
// Maestro's 56-69 covers Discover's and UnionPay's prefixes: a number is a card if any row
// takes it. Prefixes 0, 7, 8, 9 and 1 (but for UATP) have no row, which is what keeps epoch
// milliseconds (13 digits from 1), 16-digit ids from 0 or 1 and IBAN fragments out.
constexpr std::array<IinRange, 16> kIinRanges = {{
    {1, 4, 4, Lengths(13, 13) | Lengths(16, 16) | Lengths(19, 19)},  // Visa
    {2, 51, 55, Lengths(16, 16)},                                    // Mastercard
    {4, 2221, 2720, Lengths(16, 16)},                                // Mastercard 2-series
    {2, 34, 34, Lengths(15, 15)},                                    // American Express
    {2, 37, 37, Lengths(15, 15)},                                    // American Express
    {4, 6011, 6011, Lengths(16, 19)},                                // Discover
    {3, 644, 649, Lengths(16, 19)},                                  // Discover
    {2, 65, 65, Lengths(16, 19)},                                    // Discover
    {4, 3528, 3589, Lengths(16, 19)},                                // JCB
    {3, 300, 305, Lengths(14, 19)},                                  // Diners Club
    {2, 36, 36, Lengths(14, 19)},                                    // Diners Club
    {2, 38, 38, Lengths(14, 19)},                                    // Diners Club
    {2, 62, 62, Lengths(16, 19)},                                    // UnionPay
    {2, 50, 50, Lengths(12, 19)},                                    // Maestro
    {2, 56, 69, Lengths(12, 19)},                                    // Maestro
    {1, 1, 1, Lengths(15, 15)},                                      // UATP
}};

// ---- IBAN ---------------------------------------------------------------------------------

struct IbanCountry {
  std::string_view code;
  size_t length;
};

// Every country of the SWIFT IBAN registry (89 countries as of release 100) with its IBAN length.
// Dependent territories that use their parent's prefix (AX uses FI; GF, GP, RE... use FR; IM,
// JE, GG use GB) have no entry of their own, and neither do the ISO 11649 RF creditor
// references, which share the mod-97 scheme but are not accounts.
constexpr std::array<IbanCountry, 89> kIbanCountries = {{
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
    {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24},
    {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18},
    {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27},
    {"GT", 28}, {"HN", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26},
    {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20},
    {"LU", 20}, {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20},
    {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24},
    {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24},
    {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25},
    {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20},
    {"YE", 30},
}};
constexpr bool IbanCountryLess(const IbanCountry& a, const IbanCountry& b) {
  return a.code < b.code;
}
static_assert(std::is_sorted(kIbanCountries.begin(), kIbanCountries.end(), IbanCountryLess),
              "kIbanCountries is binary-searched");

// ---- Email --------------------------------------------------------------------------------

// Top-level domains an address may end in: every delegated ISO 3166 country code (all but BL,
// EH, MF and UM) plus ac, eu, su and uk, and the generic TLDs that real mail uses. Short on
// purpose: a TLD missing here costs one missed address, while accepting any alphabetic suffix
// lets "@app.route", "user.name" and "icon@2x.png" through.
constexpr std::string_view kTopLevelDomains[] = {
    "ac",          "academy",    "ad",        "ae",        "aero",        "af",
    "ag",          "agency",     "ai",        "al",        "am",          "ao",
    "app",         "aq",         "ar",        "art",       "as",          "asia",
    "at",          "au",         "aw",        "ax",        "az",          "ba",
    "bank",        "bar",        "bb",        "bd",        "be",          "berlin",
    "bf",          "bg",         "bh",        "bi",        "biz",         "bj",
    "black",       "blog",       "blue",      "bm",        "bn",          "bo",
    "bq",          "br",         "bs",        "bt",        "business",    "bv",
    "bw",          "by",         "bz",        "ca",        "cafe",        "capital",
    "care",        "cat",        "cc",        "cd",        "center",      "cf",
    "cg",          "ch",         "chat",      "ci",        "city",        "ck",
    "cl",          "click",      "clinic",    "cloud",     "club",        "cm",
    "cn",          "co",         "codes",     "college",   "com",         "company",
    "consulting",  "coop",       "country",   "cr",        "cu",          "cv",
    "cw",          "cx",         "cy",        "cz",        "dad",         "de",
    "design",      "dev",        "digital",   "directory", "dj",          "dk",
    "dm",          "do",         "dog",       "domains",   "dz",          "ec",
    "edu",         "education",  "ee",        "eg",        "email",       "energy",
    "engineering", "er",         "es",        "et",        "eu",          "events",
    "exchange",    "expert",     "express",   "family",    "fashion",     "fi",
    "finance",     "financial",  "fit",       "fitness",   "fj",          "fk",
    "fm",          "fo",         "food",      "football",  "foundation",  "fr",
    "fun",         "fund",       "ga",        "gallery",   "games",       "gb",
    "gd",          "ge",         "gf",        "gg",        "gh",          "gi",
    "gl",          "global",     "gm",        "gmbh",      "gn",          "gold",
    "golf",        "gov",        "gp",        "gq",        "gr",          "green",
    "group",       "gs",         "gt",        "gu",        "guru",        "gw",
    "gy",          "health",     "hk",        "hm",        "hn",          "hockey",
    "host",        "house",      "hr",        "ht",        "hu",          "icu",
    "id",          "ie",         "il",        "im",        "in",          "inc",
    "info",        "institute",  "insurance", "int",       "investments", "io",
    "iq",          "ir",         "is",        "it",        "je",          "jm",
    "jo",          "jobs",       "jp",        "ke",        "kg",          "kh",
    "ki",          "km",         "kn",        "kp",        "kr",          "kw",
    "ky",          "kz",         "la",        "land",      "law",         "lb",
    "lc",          "legal",      "li",        "life",      "link",        "live",
    "lk",          "llc",        "lol",       "london",    "love",        "lr",
    "ls",          "lt",         "ltd",       "lu",        "lv",          "ly",
    "ma",          "marketing",  "mc",        "md",        "me",          "media",
    "meme",        "mg",         "mh",        "mil",       "mk",          "ml",
    "mm",          "mn",         "mo",        "mobi",      "moe",         "money",
    "mov",         "mp",         "mq",        "mr",        "ms",          "mt",
    "mu",          "museum",     "mv",        "mw",        "mx",          "my",
    "mz",          "na",         "name",      "nc",        "ne",          "net",
    "network",     "new",        "news",      "nf",        "ng",          "ni",
    "ninja",       "nl",         "no",        "np",        "nr",          "nu",
    "nyc",         "nz",         "om",        "one",       "online",      "org",
    "pa",          "page",       "paris",     "partners",  "pe",          "pet",
    "pf",          "pg",         "ph",        "phd",       "photography", "photos",
    "pictures",    "pink",       "pk",        "pl",        "plus",        "pm",
    "pn",          "post",       "pr",        "pro",       "prof",        "ps",
    "pt",          "pub",        "pw",        "py",        "qa",          "re",
    "red",         "ro",         "rocks",     "rs",        "ru",          "run",
    "rw",          "sa",         "sale",      "sb",        "sc",          "school",
    "science",     "sd",         "se",        "security",  "services",    "sg",
    "sh",          "shop",       "shopping",  "show",      "si",          "site",
    "sj",          "sk",         "ski",       "sl",        "sm",          "sn",
    "so",          "social",     "software",  "solutions", "space",       "sport",
    "sr",          "srl",        "ss",        "st",        "store",       "studio",
    "style",       "su",         "support",   "sv",        "sx",          "sy",
    "systems",     "sz",         "tax",       "tc",        "td",          "team",
    "tech",        "technology", "tel",       "tf",        "tg",          "th",
    "tips",        "tj",         "tk",        "tl",        "tm",          "tn",
    "to",          "today",      "tokyo",     "tools",     "top",         "tours",
    "toys",        "tr",         "trade",     "training",  "travel",      "tt",
    "tv",          "tw",         "tz",        "ua",        "ug",          "uk",
    "university",  "us",         "uy",        "uz",        "va",          "vc",
    "ve",          "ventures",   "vg",        "vi",        "video",       "vip",
    "vision",      "vn",         "vu",        "watch",     "website",     "wf",
    "wiki",        "wine",       "work",      "works",     "world",       "ws",
    "xyz",         "ye",         "yt",        "za",        "zip",         "zm",
    "zone",        "zw",
};
static_assert(std::is_sorted(std::begin(kTopLevelDomains), std::end(kTopLevelDomains)),
              "kTopLevelDomains is binary-searched");

// File extensions that follow an '@' in asset names, image densities and package specs
// (icon@2x.png, logo@3x.webp, bundle@1.0.0.js). Some are real TLDs (.zip, .md, .py, .rs, .so):
// an address there is missed, the price pii-rules.md accepts for these traps.
constexpr std::string_view kFileExtensions[] = {
    "css", "dll", "exe", "gif", "go",  "gz",  "jpeg", "jpg", "js",   "json", "md",  "png",
    "py",  "rb",  "rs",  "so",  "svg", "tar", "ts",   "txt", "webp", "yaml", "yml", "zip",
};

bool LocalPartValid(std::string_view local) {
  // RFC 5321 caps the local part at 64 octets; quoted local parts are left out on purpose.
  if (local.empty() || local.size() > 64) return false;
  if (local.front() == '.' || local.back() == '.' || absl::StrContains(ToAbsl(local), "..")) {
    return false;
  }
  return std::all_of(local.begin(), local.end(), [](char c) {
    return IsAlnum(c) || std::string_view(".+_'%-").find(c) != std::string_view::npos;
  });
}

// A DNS label of letters, digits and hyphens (LDH), 1-63 characters, no hyphen at either end.
bool LabelValid(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
    return false;
  }
  return std::all_of(label.begin(), label.end(), [](char c) { return IsAlnum(c) || c == '-'; });
}

bool TopLevelDomainValid(std::string_view tld) {
  const std::string lower = absl::AsciiStrToLower(ToAbsl(tld));
  // Internationalized TLDs are accepted as a class: their A-labels cannot be mistaken for
  // version numbers or file names, and listing all of them would add little.
  if (absl::StartsWith(lower, "xn--")) return lower.size() > 4;
  if (lower.size() < 2 || !std::all_of(lower.begin(), lower.end(), IsAlpha)) return false;
  if (std::find(std::begin(kFileExtensions), std::end(kFileExtensions), lower) !=
      std::end(kFileExtensions)) {
    return false;
  }
  return std::binary_search(std::begin(kTopLevelDomains), std::end(kTopLevelDomains), lower);
}

bool DomainValid(std::string_view domain) {
  if (domain.size() > 253) return false;
  size_t labels = 0;
  size_t start = 0;
  while (true) {
    const size_t dot = domain.find('.', start);
    const std::string_view label = domain.substr(start, dot - start);
    if (!LabelValid(label)) return false;
    ++labels;
    if (dot == std::string_view::npos) {
      // "user@host" has no TLD to check, and a bare TLD is not a mail domain.
      return labels >= 2 && TopLevelDomainValid(label);
    }
    start = dot + 1;
  }
}

// ---- Hashes and checksums -----------------------------------------------------------------

using Sha256Digest = std::array<uint8_t, 32>;

// SHA-256 of `data`; false only if OpenSSL cannot allocate, which then rejects the candidate.
bool Sha256(const uint8_t* data, size_t size, Sha256Digest& digest) {
  static const EvpMdPtr sha256(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  unsigned int digest_size = 0;
  return sha256 != nullptr &&
         EVP_Digest(data, size, digest.data(), &digest_size, sha256.get(), nullptr) == 1;
}

constexpr std::array<uint32_t, 256> MakeCrc32Table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < table.size(); ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    table[i] = crc;
  }
  return table;
}

// CRC-32 as zlib's crc32() and Python's zlib.crc32 compute it (IEEE 802.3 polynomial,
// reflected, initial and final value 0xFFFFFFFF). Written here rather than linking zlib for
// 30 bytes per token.
uint32_t Crc32(std::string_view bytes) {
  static constexpr std::array<uint32_t, 256> kTable = MakeCrc32Table();
  uint32_t crc = 0xFFFFFFFFu;
  for (const char byte : bytes) {
    crc = (crc >> 8) ^ kTable[(crc ^ static_cast<uint8_t>(byte)) & 0xFF];
  }
  return crc ^ 0xFFFFFFFFu;
}

constexpr std::string_view kBase62Alphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kBase58Alphabet =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr std::string_view kBech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr uint8_t kNotInAlphabet = 0xFF;

// A byte-indexed table of each character's value in `alphabet`, kNotInAlphabet elsewhere.
constexpr std::array<uint8_t, 256> MakeDecodeTable(std::string_view alphabet) {
  std::array<uint8_t, 256> table{};
  for (uint8_t& entry : table) entry = kNotInAlphabet;
  for (size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<uint8_t>(alphabet[i])] = static_cast<uint8_t>(i);
  }
  return table;
}

constexpr std::array<uint8_t, 256> kBase58Values = MakeDecodeTable(kBase58Alphabet);
constexpr std::array<uint8_t, 256> kBech32Values = MakeDecodeTable(kBech32Charset);

// One step of the BCH checksum of BIP-173: `checksum` extended by the 5-bit `value`.
constexpr uint32_t Bech32PolymodStep(uint32_t checksum, uint32_t value) {
  constexpr std::array<uint32_t, 5> kGenerator = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                                  0x2a1462b3};
  const uint32_t top = checksum >> 25;
  checksum = ((checksum & 0x1ffffff) << 5) ^ value;
  for (int i = 0; i < 5; ++i) {
    if (((top >> i) & 1) != 0) checksum ^= kGenerator[i];
  }
  return checksum;
}

// The polymod a valid string leaves: 1 for bech32 (BIP-173), this constant for bech32m
// (BIP-350).
constexpr uint32_t kBech32Constant = 1;
constexpr uint32_t kBech32mConstant = 0x2bc830a3;

// True if `segment` is base64url that decodes to a JSON object.
bool DecodesToJsonObject(std::string_view segment) {
  const absl::StatusOr<std::string> json = DecodeBase64Url(segment);
  if (!json.ok()) return false;
  // A parser per call: candidates are rare, and a thread_local one would keep the largest
  // document it ever saw allocated.
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  return parser.parse(json->data(), json->size()).get_object().get(object) == simdjson::SUCCESS;
}

}  // namespace

bool LuhnValid(std::string_view digits) {
  if (!AllDigits(digits)) return false;
  int sum = 0;
  bool doubled = false;  // every second digit from the right, the check digit not doubled
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int digit = *it - '0';
    if (doubled) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum = (sum + digit) % 10;
    doubled = !doubled;
  }
  return sum == 0;
}

bool CardNumberValid(std::string_view digits) {
  if (digits.size() < 12 || digits.size() > 19 || !AllDigits(digits)) return false;
  const bool issued = std::any_of(kIinRanges.begin(), kIinRanges.end(), [&](const IinRange& r) {
    const int prefix = DecimalValue(digits.substr(0, r.prefix_digits));
    return prefix >= r.low && prefix <= r.high && ((r.lengths >> digits.size()) & 1) != 0;
  });
  return issued && LuhnValid(digits);
}

bool CardGroupingValid(std::string_view text) {
  if (text.empty()) return false;
  if (AllDigits(text)) return true;
  const size_t first_separator = text.find_first_not_of("0123456789");
  const char separator = text[first_separator];
  if (separator != ' ' && separator != '-') return false;
  // The group lengths as digits ("4444"): any other character, a doubled or mixed separator or
  // a group of ten or more digits ends the match.
  char shape[5];
  size_t groups = 0;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(separator, start);
    const std::string_view group = text.substr(start, end - start);
    if (!AllDigits(group) || group.size() > 9 || groups == sizeof(shape)) return false;
    shape[groups++] = static_cast<char>('0' + group.size());
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  const std::string_view got(shape, groups);
  // 16 and 19 digits in fours, Amex's 15 as 4-6-5, Diners' 14 as 4-6-4.
  return got == "4444" || got == "44443" || got == "465" || got == "464";
}

bool SsnValid(std::string_view nine_digits) {
  if (nine_digits.size() != 9 || !AllDigits(nine_digits)) return false;
  const int area = DecimalValue(nine_digits.substr(0, 3));
  const int group = DecimalValue(nine_digits.substr(3, 2));
  const int serial = DecimalValue(nine_digits.substr(5, 4));
  // 9xx areas are ITINs and never SSNs; the SSA has not issued 000 or 666, group 00 or serial
  // 0000. The old "area <= 772" rule is obsolete since randomization (June 2011).
  if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0) return false;
  if (AllSameCharacter(nine_digits)) return false;
  // Published samples: the Woolworth wallet card (078-05-1120), the textbook 123-45-6789,
  // 219-09-9999 from an SSA pamphlet, and 987-65-4320..4329 reserved for advertising (already
  // out as a 9xx area, listed to keep the rule visible).
  return nine_digits != "078051120" && nine_digits != "123456789" && nine_digits != "219099999" &&
         !absl::StartsWith(ToAbsl(nine_digits), "98765432");
}

bool Ipv4Valid(std::string_view text) {
  int octets = 0;
  size_t start = 0;
  while (true) {
    const size_t dot = text.find('.', start);
    const std::string_view octet = text.substr(start, dot - start);
    if (!AllDigits(octet) || octet.size() > 3 || DecimalValue(octet) > 255) return false;
    // A leading zero ("010") is octal to inet_aton and to many URL and socket libraries, so
    // "010.0.0.1" names 8.0.0.1 to some readers and 10.0.0.1 to others (RFC 6943 3.1.1);
    // inet_pton refuses it, and zero-padded dotted runs are far more often versions and dates.
    if (octet.size() > 1 && octet.front() == '0') return false;
    ++octets;
    if (dot == std::string_view::npos) return octets == 4;
    if (octets == 4) return false;
    start = dot + 1;
  }
}

bool Ipv6Valid(std::string_view text) {
  // INET6_ADDRSTRLEN counts the terminating NUL; no address is longer.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
  // inet_pton reads a C string: an embedded NUL would end it early and pass "::1\0junk".
  if (text.find('\0') != std::string_view::npos) return false;
  char address_text[INET6_ADDRSTRLEN];
  std::memcpy(address_text, text.data(), text.size());
  address_text[text.size()] = '\0';
  // inet_pton accepts "::", "::ffff:1.2.3.4" and "64:ff9b::192.0.2.33", and refuses zone ids
  // ("fe80::1%eth0"), brackets, ports, a second "::" and groups of more than four digits.
  in6_addr address;
  return inet_pton(AF_INET6, address_text, &address) == 1;
}

bool IbanValid(std::string_view compact) {
  if (compact.size() < 4) return false;
  const IbanCountry key{compact.substr(0, 2), 0};
  const auto country =
      std::lower_bound(kIbanCountries.begin(), kIbanCountries.end(), key, IbanCountryLess);
  if (country == kIbanCountries.end() || country->code != key.code ||
      country->length != compact.size()) {
    return false;
  }
  if (!IsDigit(compact[2]) || !IsDigit(compact[3])) return false;
  // ISO 13616 check digits are 02-98: 00, 01 and 99 are congruent to 97, 98 and 02 modulo 97
  // and would pass the checksum in their place.
  const int check_digits = DecimalValue(compact.substr(2, 2));
  if (check_digits < 2 || check_digits > 98) return false;
  if (!std::all_of(compact.begin() + 4, compact.end(),
                   [](char c) { return IsDigit(c) || IsUpper(c); })) {
    return false;
  }
  // ISO 7064 MOD 97-10 over the BBAN then the first four characters, letters expanded to two
  // digits (A = 10 ... Z = 35), one character at a time so no big number is needed.
  int remainder = 0;
  const auto add = [&remainder](char c) {
    remainder =
        IsDigit(c) ? (remainder * 10 + (c - '0')) % 97 : (remainder * 100 + (c - 'A' + 10)) % 97;
  };
  std::for_each(compact.begin() + 4, compact.end(), add);
  std::for_each(compact.begin(), compact.begin() + 4, add);
  return remainder == 1;
}

bool BtcBase58AddressValid(std::string_view text) {
  // 25 bytes never take more than 35 base58 characters; the bound also caps the work.
  constexpr size_t kPayloadSize = 21;  // version byte + 20-byte hash
  constexpr size_t kAddressSize = kPayloadSize + 4;
  if (text.empty() || text.size() > 35) return false;
  std::array<uint8_t, kAddressSize> bytes{};  // big-endian
  for (const char c : text) {
    uint32_t carry = kBase58Values[static_cast<uint8_t>(c)];
    if (carry == kNotInAlphabet) return false;
    for (auto byte = bytes.rbegin(); byte != bytes.rend(); ++byte) {
      carry += 58u * *byte;
      *byte = static_cast<uint8_t>(carry & 0xFF);
      carry >>= 8;
    }
    if (carry != 0) return false;  // more than 25 bytes
  }
  // Each leading '1' encodes one leading zero byte and nothing else does, so the encoding of 25
  // bytes has exactly as many leading '1's as the bytes have leading zeros; otherwise the text
  // decodes to fewer or more than 25 bytes.
  const size_t leading_ones = std::min(text.find_first_not_of('1'), text.size());
  const size_t leading_zeros = static_cast<size_t>(
      std::find_if(bytes.begin(), bytes.end(), [](uint8_t b) { return b != 0; }) - bytes.begin());
  if (leading_ones != leading_zeros) return false;
  // Version 0x00 is P2PKH ("1..."), 0x05 P2SH ("3..."); testnet's 0x6f and 0xc4 are not money.
  if (bytes[0] != 0x00 && bytes[0] != 0x05) return false;
  Sha256Digest once;
  Sha256Digest twice;
  if (!Sha256(bytes.data(), kPayloadSize, once) || !Sha256(once.data(), once.size(), twice)) {
    return false;
  }
  return std::equal(twice.begin(), twice.begin() + 4, bytes.begin() + kPayloadSize);
}

bool BtcBech32AddressValid(std::string_view text) {
  // BIP-173 caps a segwit address at 90 characters.
  if (text.size() > 90) return false;
  const bool has_lower = std::any_of(text.begin(), text.end(), IsLower);
  const bool has_upper = std::any_of(text.begin(), text.end(), IsUpper);
  if (has_lower && has_upper) return false;
  // The separator is the last '1', and '1' is not in the data charset, so with the mainnet hrp
  // "bc" the separator is the third character.
  constexpr std::string_view kHrp = "bc";
  if (text.size() < 3 || ToLower(text[0]) != kHrp[0] || ToLower(text[1]) != kHrp[1] ||
      text[2] != '1') {
    return false;
  }
  const std::string_view data = text.substr(3);
  // The witness version, at least one character of program and the 6-character checksum.
  if (data.size() < 8) return false;
  uint32_t checksum = 1;
  for (const char c : kHrp) checksum = Bech32PolymodStep(checksum, static_cast<uint8_t>(c) >> 5);
  checksum = Bech32PolymodStep(checksum, 0);
  for (const char c : kHrp) checksum = Bech32PolymodStep(checksum, static_cast<uint8_t>(c) & 31);
  std::array<uint8_t, 90> values{};
  for (size_t i = 0; i < data.size(); ++i) {
    values[i] = kBech32Values[static_cast<uint8_t>(ToLower(data[i]))];
    if (values[i] == kNotInAlphabet) return false;
    checksum = Bech32PolymodStep(checksum, values[i]);
  }
  const uint8_t version = values[0];
  if (version > 16) return false;
  // Version 0 uses bech32; BIP-350 moved versions 1-16 to bech32m, whose constant catches the
  // insertion and deletion of 'q's before a final 'p' that bech32 misses.
  if (checksum != (version == 0 ? kBech32Constant : kBech32mConstant)) return false;
  // The program: the 5-bit groups between version and checksum regrouped into bytes, with at
  // most 4 bits of padding, all zero.
  uint32_t accumulator = 0;
  int bits = 0;
  size_t program_size = 0;
  for (size_t i = 1; i + 6 < data.size(); ++i) {
    accumulator = ((accumulator << 5) | values[i]) & 0x1FFF;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      ++program_size;
    }
  }
  if (bits >= 5 || (accumulator & ((1u << bits) - 1)) != 0) return false;
  if (program_size < 2 || program_size > 40) return false;
  // Version 0 programs are a 20-byte key hash (P2WPKH) or a 32-byte script hash (P2WSH).
  return version != 0 || program_size == 20 || program_size == 32;
}

bool GithubTokenValid(std::string_view text) {
  // gh[pousr]_ + 30 random base62 characters + the CRC-32 of those 30 characters (the prefix
  // is not covered) in base62, alphabet 0-9A-Za-z, most significant digit first, left-padded
  // with '0' to 6 characters. GitHub's "Behind GitHub's new authentication token formats"
  // (2021-04-05) states the CRC32 in the last six characters; the exact bytes, alphabet and
  // padding are those of Datadog's sensitive-data-scanner GithubTokenChecksum and CredSweeper's
  // ValueGitHubCheck, and Datadog's public vector ghp_M7H4jx...11T4V4 checks in our tests.
  if (text.size() == 40 && absl::StartsWith(ToAbsl(text), "gh") &&
      std::string_view("pousr").find(text[2]) != std::string_view::npos && text[3] == '_') {
    if (!AllAlnum(text.substr(4))) return false;
    uint32_t crc = Crc32(text.substr(4, 30));
    char expected[6];
    for (int i = 5; i >= 0; --i) {
      expected[i] = kBase62Alphabet[crc % 62];
      crc /= 62;
    }
    return text.substr(34) == std::string_view(expected, sizeof(expected));
  }
  // Fine-grained tokens: github_pat_ + 22 + '_' + 59 base62 characters. GitHub has not
  // published a checksum for them (the public sample we tried fits no simple CRC-32 layout), so
  // only the shape is checked: a placeholder of this shape needs IsPlaceholder.
  if (text.size() == 93 && absl::StartsWith(ToAbsl(text), "github_pat_")) {
    return AllAlnum(text.substr(11, 22)) && text[33] == '_' && AllAlnum(text.substr(34));
  }
  return false;
}

bool JwtValid(std::string_view text) {
  const size_t first_dot = text.find('.');
  if (first_dot == std::string_view::npos) return false;
  const size_t second_dot = text.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos) return false;
  if (text.find('.', second_dot + 1) != std::string_view::npos) return false;
  const std::string_view header = text.substr(0, first_dot);
  const std::string_view payload = text.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string_view signature = text.substr(second_dot + 1);
  // An unsecured JWT (alg "none") has an empty signature; it is left out on purpose, since a
  // trailing dot after two eyJ segments is as often a sentence ending.
  if (header.empty() || payload.empty() || signature.empty()) return false;
  // "eyJ" is only base64 of '{"': the decoded header and payload must be JSON objects
  // (detect-secrets' rule), which two-segment junk and dotted identifiers are not.
  return DecodesToJsonObject(header) && DecodesToJsonObject(payload) &&
         DecodeBase64Url(signature).ok();
}

double ShannonEntropy(std::string_view text) {
  if (text.empty()) return 0;
  std::array<size_t, 256> counts{};
  for (const char c : text) ++counts[static_cast<uint8_t>(c)];
  const double size = static_cast<double>(text.size());
  double entropy = 0;
  for (const size_t count : counts) {
    if (count == 0) continue;
    const double p = static_cast<double>(count) / size;
    entropy -= p * std::log2(p);
  }
  return entropy;
}

bool AwsAccessKeyValid(std::string_view text) {
  if (text.size() != 20) return false;
  const std::string_view prefix = text.substr(0, 4);
  if (prefix != "AKIA" && prefix != "ASIA" && prefix != "ABIA" && prefix != "ACCA") return false;
  // The 16 characters after the prefix are base32 (RFC 4648: A-Z and 2-7).
  if (!std::all_of(text.begin() + 4, text.end(),
                   [](char c) { return IsUpper(c) || (c >= '2' && c <= '7'); })) {
    return false;
  }
  // Random keys score about 3.5-4.3 bits per character; AKIAXXXXXXXXXXXXXXXX about 1.0. There is
  // deliberately no allow-list for AWS's documentation key AKIAIOSFODNN7EXAMPLE: masking it
  // costs nothing.
  return ShannonEntropy(text) >= 3.0;
}

bool EmailValid(std::string_view text) {
  const size_t at = text.find('@');
  if (at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  return LocalPartValid(text.substr(0, at)) && DomainValid(text.substr(at + 1));
}

bool IsPlaceholder(std::string_view text) {
  if (text.empty() || AllSameCharacter(text)) return true;  // "", "xxxx", "****", "####"
  const absl::string_view value = ToAbsl(text);
  // Template references: ${ENV}, {{ secret }}, <token>.
  if ((absl::StartsWith(value, "${") && absl::EndsWith(value, "}")) ||
      (absl::StartsWith(value, "{{") && absl::EndsWith(value, "}}")) ||
      (value.size() >= 2 && value.front() == '<' && value.back() == '>')) {
    return true;
  }
  const std::string lower = absl::AsciiStrToLower(value);
  // Markers of sample values. "example" is not one: AWS's documented key AKIAIOSFODNN7EXAMPLE
  // must still be redacted (pii-rules.md).
  for (const absl::string_view marker : {"your-", "your_", "changeme", "placeholder", "redacted"}) {
    if (absl::StrContains(lower, marker)) return true;
  }
  return lower == "password" || lower == "user:password";
}

}  // namespace chaukas::filters::pii_redaction
