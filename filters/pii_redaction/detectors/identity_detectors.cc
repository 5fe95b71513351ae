#include "filters/pii_redaction/detectors/identity_detectors.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "filters/pii_redaction/ascii.h"
#include "filters/pii_redaction/detectors/detector_base.h"
#include "filters/pii_redaction/validators.h"
#include "gateway/common/strings.h"

namespace chaukas::filters::pii_redaction {
namespace {

using Pattern = MultiPatternScanner::Pattern;

bool IsWordChar(char c) { return IsAlnum(c) || c == '_'; }

std::string DigitsOf(std::string_view text) {
  std::string digits;
  for (const char c : text) {
    if (IsDigit(c)) digits += c;
  }
  return digits;
}

// True if one of `words` starts a word, case-insensitively, within `window` bytes before
// `begin` ("tel" in "tel:" or "telephone", not in "ratelimit").
bool ContextBefore(std::string_view text, size_t begin,
                   std::initializer_list<std::string_view> words, size_t window = 30) {
  const size_t from = begin > window ? begin - window : 0;
  const std::string before = absl::AsciiStrToLower(ToAbsl(text.substr(from, begin - from)));
  return std::any_of(words.begin(), words.end(), [&](std::string_view word) {
    for (size_t at = before.find(word); at != std::string::npos; at = before.find(word, at + 1)) {
      if (at == 0 || !IsAlpha(before[at - 1])) return true;
    }
    return false;
  });
}

// True if the Struct key names a timestamp or an id, whose digits are never a phone or an SSN.
bool IsTimeOrIdKey(std::string_view key) {
  const absl::string_view name = ToAbsl(key);
  return name == "id" || name == "ts" || absl::EndsWith(name, "_at") ||
         absl::EndsWith(name, "_ms") || absl::EndsWith(name, "_id") || absl::EndsWith(name, "Id") ||
         absl::EndsWith(name, "_ts");
}

bool KeyContains(std::string_view key, std::initializer_list<std::string_view> words) {
  const std::string lower = absl::AsciiStrToLower(ToAbsl(key));
  return std::any_of(words.begin(), words.end(),
                     [&](std::string_view word) { return absl::StrContains(lower, ToAbsl(word)); });
}

// ---- EMAIL --------------------------------------------------------------------------------

bool IsLocalPartChar(char c) {
  return IsAlnum(c) || c == '.' || c == '+' || c == '_' || c == '\'' || c == '%' || c == '-';
}
bool IsDomainChar(char c) { return IsAlnum(c) || c == '.' || c == '-'; }

// True if `begin` is inside the authority of a URL (scheme://user:password@host): there the
// text after the colon is a password, however much it looks like an address.
bool InUrlAuthority(std::string_view text, size_t begin) {
  const size_t from = begin > 256 ? begin - 256 : 0;
  for (size_t i = begin; i > from; --i) {
    const char c = text[i - 1];
    if (c == ' ' || c == '\n' || c == '\t' || c == '"' || c == '<' || c == '>' || c == '/') {
      return c == '/' && i >= 3 && text.substr(i - 3, 3) == "://";
    }
  }
  return false;
}

class EmailDetector final : public DetectorBase {
 public:
  EmailDetector() : DetectorBase(Category::kEmail, {{"[A-Za-z0-9._%+'-]@[A-Za-z0-9]"}}) {}

  size_t Extract(std::string_view text, size_t end, const TextContext& /*context*/,
                 std::vector<Finding>& findings) const override {
    const size_t at = end - 2;
    size_t begin = at;
    while (begin > 0 && at - begin < 64 && IsLocalPartChar(text[begin - 1])) --begin;
    while (begin < at && (text[begin] == '.' || text[begin] == '\'')) ++begin;
    size_t stop = at + 1;
    while (stop < text.size() && stop - at <= 253 && IsDomainChar(text[stop])) ++stop;
    while (stop > at + 1 && (text[stop - 1] == '.' || text[stop - 1] == '-')) --stop;
    if (begin < at && !InUrlAuthority(text, begin) &&
        EmailValid(text.substr(begin, stop - begin))) {
      findings.push_back({begin, stop, Category::kEmail});
    }
    return stop;
  }
};

// ---- CREDIT_CARD --------------------------------------------------------------------------

bool IsGroupSeparator(char c) { return c == ' ' || c == '-'; }

class CreditCardDetector final : public DetectorBase {
 public:
  CreditCardDetector() : DetectorBase(Category::kCreditCard, {{"\\b\\d{4}[ -]?\\d{4}"}}) {}

  size_t Extract(std::string_view text, size_t end, const TextContext& /*context*/,
                 std::vector<Finding>& findings) const override {
    // The run of digits and single separators around the trigger, within bounds.
    constexpr size_t kMaxRun = 64;
    size_t begin = end;
    while (begin > 0 && end - begin < kMaxRun) {
      const char c = text[begin - 1];
      if (IsDigit(c) ||
          (IsGroupSeparator(c) && IsDigit(Before(text, begin - 1)) && IsDigit(At(text, begin)))) {
        --begin;
      } else {
        break;
      }
    }
    size_t stop = end;
    while (stop < text.size() && stop - begin < 2 * kMaxRun) {
      const char c = text[stop];
      if (IsDigit(c) ||
          (IsGroupSeparator(c) && IsDigit(Before(text, stop)) && IsDigit(At(text, stop + 1)))) {
        ++stop;
      } else {
        break;
      }
    }
    // Glued to letters (an IBAN's groups, an id), or part of a decimal or a longer token.
    const char before = Before(text, begin);
    const char after = At(text, stop);
    if (IsWordChar(before) || before == '.' || before == '+' || IsWordChar(after) ||
        (after == '.' && IsDigit(At(text, stop + 1)))) {
      return stop;
    }
    FindCards(text, begin, stop, findings);
    return stop;
  }

 private:
  // The cards among the groups of the run [begin, stop): the longest valid sequence of whole
  // groups from each group on.
  static void FindCards(std::string_view text, size_t begin, size_t stop,
                        std::vector<Finding>& findings) {
    std::vector<std::pair<size_t, size_t>> groups;
    for (size_t i = begin; i < stop;) {
      size_t j = i;
      while (j < stop && IsDigit(text[j])) ++j;
      groups.emplace_back(i, j);
      i = j + 1;
    }
    for (size_t first = 0; first < groups.size(); ++first) {
      for (size_t last = groups.size(); last-- > first;) {
        const std::string_view candidate =
            text.substr(groups[first].first, groups[last].second - groups[first].first);
        const std::string digits = DigitsOf(candidate);
        if (digits.size() < 12 || digits.size() > 19) continue;
        if (CardGroupingValid(candidate) && CardNumberValid(digits)) {
          findings.push_back({groups[first].first, groups[last].second, Category::kCreditCard});
          first = last;
          break;
        }
      }
    }
  }
};

// ---- US_SSN -------------------------------------------------------------------------------

class UsSsnDetector final : public DetectorBase {
 public:
  UsSsnDetector() : DetectorBase(Category::kUsSsn, {{"\\b\\d{3}[- .]?\\d{2}[- .]?\\d{4}\\b"}}) {}

  size_t Extract(std::string_view text, size_t end, const TextContext& context,
                 std::vector<Finding>& findings) const override {
    if (IsTimeOrIdKey(context.key)) return end;
    size_t begin;
    if (end >= 11 && IsDelimiter(text[end - 8]) && text[end - 8] == text[end - 5] &&
        AllDigits(text.substr(end - 11, 3)) && AllDigits(text.substr(end - 7, 2))) {
      begin = end - 11;
    } else if (end >= 9 && AllDigits(text.substr(end - 9, 9))) {
      begin = end - 9;
      const bool ssn_key = KeyContains(context.key, {"ssn", "social"});
      if (!ssn_key &&
          !ContextBefore(text, begin, {"ssn", "social security", "ss#", "tax id", "taxpayer"})) {
        return end;
      }
    } else {
      return end;
    }
    const char before = Before(text, begin);
    const char after = At(text, end);
    if (IsWordChar(before) || before == '-' || before == '.' || before == '+' ||
        IsWordChar(after) || ((IsDelimiter(after)) && IsDigit(At(text, end + 1)))) {
      return end;
    }
    if (SsnValid(DigitsOf(text.substr(begin, end - begin)))) {
      findings.push_back({begin, end, Category::kUsSsn});
    }
    return end;
  }

 private:
  static bool IsDelimiter(char c) { return c == '-' || c == ' ' || c == '.'; }
};

// ---- IP_ADDRESS ---------------------------------------------------------------------------

class Ipv4Detector final : public DetectorBase {
 public:
  Ipv4Detector()
      : DetectorBase(Category::kIpAddress, {{"\\b\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\b"}}) {}

  size_t Extract(std::string_view text, size_t end, const TextContext& /*context*/,
                 std::vector<Finding>& findings) const override {
    const auto dotted = [](char c) { return IsDigit(c) || c == '.'; };
    size_t begin = end;
    while (begin > 0 && end - begin < 64 && dotted(text[begin - 1])) --begin;
    size_t stop = end;
    while (stop < text.size() && stop - begin < 128 && dotted(text[stop])) ++stop;
    const size_t looked = stop;
    while (stop > begin && text[stop - 1] == '.') --stop;  // the end of a sentence
    while (begin < stop && text[begin] == '.') ++begin;
    const std::string_view run = text.substr(begin, stop - begin);
    // Inside a longer dotted run (1.2.3.4.5, an OID) or a word, or a version.
    if (std::count(run.begin(), run.end(), '.') != 3 || IsWordChar(Before(text, begin)) ||
        IsWordChar(At(text, stop)) || IsVersionContext(text, begin)) {
      return looked;
    }
    if (Ipv4Valid(run)) findings.push_back({begin, stop, Category::kIpAddress});
    return looked;
  }

 private:
  // "version 1.2.3.4", "==2.31.0.1", "v 1.2.3.4": the run is a version number.
  static bool IsVersionContext(std::string_view text, size_t begin) {
    const size_t from = begin > 8 ? begin - 8 : 0;
    const std::string before = absl::AsciiStrToLower(ToAbsl(text.substr(from, begin - from)));
    return absl::EndsWith(before, "version ") || absl::EndsWith(before, "==") ||
           absl::EndsWith(before, "v ") || absl::EndsWith(before, "version: ");
  }
};

class Ipv6Detector final : public DetectorBase {
 public:
  Ipv6Detector() : DetectorBase(Category::kIpAddress, {{":[0-9A-Fa-f]{0,4}:"}}) {}

  size_t Extract(std::string_view text, size_t end, const TextContext& /*context*/,
                 std::vector<Finding>& findings) const override {
    const auto hex_colon = [](char c) {
      return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
    };
    size_t begin = end;
    while (begin > 0 && end - begin < 64 && hex_colon(text[begin - 1])) --begin;
    size_t stop = end;
    while (stop < text.size() && stop - begin < 128 && hex_colon(text[stop])) ++stop;
    const size_t looked = stop;
    while (stop > begin && text[stop - 1] == '.') --stop;
    // A single trailing colon ends a sentence or precedes a port; "::" is part of the address.
    if (stop - begin >= 2 && text[stop - 1] == ':' && text[stop - 2] != ':') --stop;
    const std::string_view run = text.substr(begin, stop - begin);
    // Needs a digit: "a::b" and "dead::beef" are C++ names far more often than addresses.
    if (IsWordChar(Before(text, begin)) || IsWordChar(At(text, stop)) ||
        std::none_of(run.begin(), run.end(), IsDigit)) {
      return looked;
    }
    if (Ipv6Valid(run)) findings.push_back({begin, stop, Category::kIpAddress});
    return looked;
  }
};

// ---- IBAN ---------------------------------------------------------------------------------

class IbanDetector final : public DetectorBase {
 public:
  IbanDetector() : DetectorBase(Category::kIban, {{"\\b[A-Z]{2}\\d{2}[ -]?[A-Z0-9]{4}"}}) {}

  size_t Extract(std::string_view text, size_t end, const TextContext& /*context*/,
                 std::vector<Finding>& findings) const override {
    const size_t begin = (end >= 9 && IsGroupSeparator(text[end - 5])) ? end - 9 : end - 8;
    if (IsAlnum(Before(text, begin))) return end;
    // The IBAN's characters, in groups of any size separated by single spaces or dashes.
    std::string compact;
    std::vector<size_t> ends;  // ends[i]: the offset after the i-th character of `compact`
    size_t i = begin;
    while (i < text.size() && compact.size() < 34) {
      if (IsUpper(text[i]) || IsDigit(text[i])) {
        compact += text[i];
        ends.push_back(++i);
      } else if (IsGroupSeparator(text[i]) && IsAlnum(At(text, i + 1)) && i > begin &&
                 IsAlnum(text[i - 1])) {
        ++i;
      } else {
        break;
      }
    }
    // The registry fixes the length: the longest prefix that ends a group and validates.
    for (size_t length = compact.size(); length >= 15; --length) {
      if (IsAlnum(At(text, ends[length - 1]))) continue;
      if (IbanValid(std::string_view(compact).substr(0, length))) {
        findings.push_back({begin, ends[length - 1], Category::kIban});
        return ends[length - 1];
      }
    }
    return end;
  }
};

// ---- PHONE --------------------------------------------------------------------------------

// ITU-T E.164 country calling codes (one to three digits).
bool IsCallingCode(std::string_view code) {
  static constexpr std::array<std::string_view, 54> kOneAndTwoDigits = {
      "1",  "7",  "20", "27", "30",  "31",  "32",  "33",  "34",  "36",  "39",  "40", "41", "43",
      "44", "45", "46", "47", "48",  "49",  "51",  "52",  "53",  "54",  "55",  "56", "57", "58",
      "60", "61", "62", "63", "64",  "65",  "66",  "81",  "82",  "84",  "86",  "90", "91", "92",
      "93", "94", "95", "98", "211", "212", "213", "216", "218", "297", "298", "299"};
  if (std::find(kOneAndTwoDigits.begin(), kOneAndTwoDigits.end(), code) != kOneAndTwoDigits.end()) {
    return true;
  }
  if (code.size() != 3) return false;
  const int value = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  // The three-digit zones: Africa 220-269, 290-291, Europe 350-359 / 370-389 / 420-423,
  // the Americas 500-509 / 590-599, Oceania 670-692, Asia 850-856 / 880-886 / 960-998.
  constexpr std::array<std::pair<int, int>, 13> kRanges = {{{220, 269},
                                                            {290, 291},
                                                            {350, 359},
                                                            {370, 389},
                                                            {420, 423},
                                                            {500, 509},
                                                            {590, 599},
                                                            {670, 692},
                                                            {850, 856},
                                                            {880, 886},
                                                            {960, 968},
                                                            {970, 979},
                                                            {992, 998}}};
  return std::any_of(kRanges.begin(), kRanges.end(), [&](const auto& range) {
    return value >= range.first && value <= range.second;
  });
}

bool IsPhoneSeparator(char c) { return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')'; }

// The end of a phone number whose digits start at `from`: digits and single separators
// (")-" and ") " count as one), at most `max_digits` digits. Sets `digits`.
size_t PhoneEnd(std::string_view text, size_t from, size_t max_digits, std::string& digits) {
  size_t i = from;
  size_t last_digit_end = from;
  size_t separators_in_a_row = 0;
  while (i < text.size() && digits.size() <= max_digits) {
    const char c = text[i];
    if (IsDigit(c)) {
      digits += c;
      last_digit_end = ++i;
      separators_in_a_row = 0;
    } else if (IsPhoneSeparator(c) && ++separators_in_a_row <= 2) {
      ++i;
    } else {
      break;
    }
  }
  return last_digit_end;
}

bool PhoneBoundaries(std::string_view text, size_t begin, size_t end) {
  const char after = At(text, end);
  return !IsWordChar(Before(text, begin)) && !IsWordChar(after) &&
         !((after == '-' || after == '.') && IsDigit(At(text, end + 1)));
}

class InternationalPhoneDetector final : public DetectorBase {
 public:
  InternationalPhoneDetector() : DetectorBase(Category::kPhone, {{"\\+\\d"}}) {}

  size_t Extract(std::string_view text, size_t end, const TextContext& context,
                 std::vector<Finding>& findings) const override {
    const size_t begin = end - 2;  // the '+'
    std::string digits;
    const size_t stop = PhoneEnd(text, begin + 1, 15, digits);
    if (IsTimeOrIdKey(context.key) || digits.size() < 8 || digits.size() > 15 ||
        !PhoneBoundaries(text, begin, stop)) {
      return stop;
    }
    const bool known_code = IsCallingCode(digits.substr(0, 1)) ||
                            IsCallingCode(digits.substr(0, 2)) ||
                            IsCallingCode(digits.substr(0, 3));
    if (known_code) findings.push_back({begin, stop, Category::kPhone});
    return stop;
  }
};

// NANP: (415) 555-0132, 415-555-0132, 415.555.0132, 1-800-555-0199, 415 555 0132.
class NanpPhoneDetector final : public DetectorBase {
 public:
  NanpPhoneDetector()
      : DetectorBase(Category::kPhone,
                     {{"\\(?\\b[2-9]\\d{2}\\)?[ .-]?[2-9]\\d{2}[ .-]\\d{4}\\b"}}) {}

  size_t Extract(std::string_view text, size_t end, const TextContext& context,
                 std::vector<Finding>& findings) const override {
    if (IsTimeOrIdKey(context.key) || end < 12) return end;
    // Backwards from the exchange (the trigger matched it, its separator and the line number):
    // an optional separator, then the area code, bare or in parentheses.
    size_t p = end - 8;
    if (text[p - 1] == ' ' || text[p - 1] == '-' || text[p - 1] == '.') --p;
    size_t begin;
    if (p >= 5 && text[p - 1] == ')' && text[p - 5] == '(') {
      begin = p - 5;
    } else if (p >= 3 && IsDigit(text[p - 1]) && IsDigit(text[p - 3])) {
      begin = p - 3;
    } else {
      return end;
    }
    // A leading country code: "1-800-...", "1 (415) ...", "+1 415 ..." (the international
    // detector finds the last; the union is one finding).
    if (begin >= 2 &&
        (text[begin - 1] == '-' || text[begin - 1] == ' ' || text[begin - 1] == '.') &&
        text[begin - 2] == '1' && !IsWordChar(Before(text, begin - 2))) {
      begin -= 2;
    }
    if (PhoneBoundaries(text, begin, end) && Before(text, begin) != '-' &&
        Before(text, begin) != '.') {
      findings.push_back({begin, end, Category::kPhone});
    }
    return end;
  }
};

// UK national numbers: 020 7946 0958, 0161 496 0000, 07700 900123.
class UkPhoneDetector final : public DetectorBase {
 public:
  UkPhoneDetector()
      : DetectorBase(Category::kPhone, {{"\\b0\\d{2} \\d{4} \\d{4}\\b"},
                                        {"\\b0\\d{3} \\d{3} \\d{4}\\b"},
                                        {"\\b0\\d{4} \\d{6}\\b"}}) {}

  size_t Extract(std::string_view text, size_t end, const TextContext& context,
                 std::vector<Finding>& findings) const override {
    if (IsTimeOrIdKey(context.key)) return end;
    for (const std::string_view shape : {"0dd dddd dddd", "0ddd ddd dddd", "0dddd dddddd"}) {
      if (end < shape.size()) continue;
      const size_t begin = end - shape.size();
      if (Matches(text.substr(begin, shape.size()), shape) && PhoneBoundaries(text, begin, end)) {
        findings.push_back({begin, end, Category::kPhone});
        break;
      }
    }
    return end;
  }

 private:
  static bool Matches(std::string_view candidate, std::string_view shape) {
    for (size_t i = 0; i < shape.size(); ++i) {
      const bool ok = shape[i] == 'd' ? IsDigit(candidate[i]) : candidate[i] == shape[i];
      if (!ok) return false;
    }
    return true;
  }
};

// A bare run of 10-11 digits is a phone only where the field or the words before say so.
class ContextPhoneDetector final : public DetectorBase {
 public:
  ContextPhoneDetector() : DetectorBase(Category::kPhone, {{"\\b\\d{10}"}}) {}

  size_t Extract(std::string_view text, size_t end, const TextContext& context,
                 std::vector<Finding>& findings) const override {
    size_t begin = end - 10;
    while (begin > 0 && end - begin < 16 && IsDigit(text[begin - 1])) --begin;
    size_t stop = end;
    while (stop < text.size() && stop - begin < 16 && IsDigit(text[stop])) ++stop;
    if (IsTimeOrIdKey(context.key) || stop - begin > 11 || !PhoneBoundaries(text, begin, stop)) {
      return stop;
    }
    const bool phone_key = KeyContains(context.key, {"phone", "mobile", "tel", "cell", "fax"});
    if (phone_key ||
        ContextBefore(text, begin,
                      {"phone", "tel", "mobile", "cell", "call", "whatsapp", "sms", "fax"})) {
      findings.push_back({begin, stop, Category::kPhone});
    }
    return stop;
  }
};

// ---- CRYPTO_ADDRESS -----------------------------------------------------------------------

bool IsBase58(char c) { return IsAlnum(c) && c != '0' && c != 'O' && c != 'I' && c != 'l'; }

class CryptoAddressDetector final : public DetectorBase {
 public:
  CryptoAddressDetector()
      : DetectorBase(Category::kCryptoAddress, {{"\\b[13][1-9A-HJ-NP-Za-km-z]{25}"},
                                                {"bc1[02-9ac-hj-np-z]{8}"},
                                                {"BC1[02-9AC-HJ-NP-Z]{8}"}}) {}

  size_t Extract(std::string_view text, size_t end, const TextContext& /*context*/,
                 std::vector<Finding>& findings) const override {
    const bool bech32 =
        end >= 11 && (text.substr(end - 11, 3) == "bc1" || text.substr(end - 11, 3) == "BC1");
    const size_t begin = bech32 ? end - 11 : end - 26;
    size_t stop = end;
    const size_t max_length = bech32 ? 90 : 35;
    while (stop < text.size() && stop - begin < max_length &&
           (bech32 ? IsAlnum(text[stop]) : IsBase58(text[stop]))) {
      ++stop;
    }
    if (IsAlnum(Before(text, begin)) || IsAlnum(At(text, stop))) return stop;
    const std::string_view candidate = text.substr(begin, stop - begin);
    if (bech32 ? BtcBech32AddressValid(candidate) : BtcBase58AddressValid(candidate)) {
      findings.push_back({begin, stop, Category::kCryptoAddress});
    }
    return stop;
  }
};

}  // namespace

std::unique_ptr<Detector> MakeEmailDetector() { return std::make_unique<EmailDetector>(); }
std::unique_ptr<Detector> MakeCreditCardDetector() {
  return std::make_unique<CreditCardDetector>();
}
std::unique_ptr<Detector> MakeUsSsnDetector() { return std::make_unique<UsSsnDetector>(); }
std::unique_ptr<Detector> MakeIbanDetector() { return std::make_unique<IbanDetector>(); }
std::unique_ptr<Detector> MakeCryptoAddressDetector() {
  return std::make_unique<CryptoAddressDetector>();
}

std::vector<std::unique_ptr<Detector>> MakeIpAddressDetectors() {
  std::vector<std::unique_ptr<Detector>> detectors;
  detectors.push_back(std::make_unique<Ipv4Detector>());
  detectors.push_back(std::make_unique<Ipv6Detector>());
  return detectors;
}

std::vector<std::unique_ptr<Detector>> MakePhoneDetectors() {
  std::vector<std::unique_ptr<Detector>> detectors;
  detectors.push_back(std::make_unique<InternationalPhoneDetector>());
  detectors.push_back(std::make_unique<NanpPhoneDetector>());
  detectors.push_back(std::make_unique<UkPhoneDetector>());
  detectors.push_back(std::make_unique<ContextPhoneDetector>());
  return detectors;
}

}  // namespace chaukas::filters::pii_redaction
