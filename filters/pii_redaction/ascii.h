#pragma once

#include <algorithm>
#include <string_view>

// ASCII character classes for the detectors and validators: <cctype> depends on the locale
// and is undefined for negative chars, and every format they read is defined over ASCII.
namespace chaukas::filters::pii_redaction {

constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }
constexpr bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
constexpr bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
constexpr bool IsAlpha(char c) { return IsUpper(c) || IsLower(c); }
constexpr bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }
constexpr char ToLower(char c) { return IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c; }

// Non-empty and made only of digits / only of letters and digits.
inline bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsDigit);
}
inline bool AllAlnum(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsAlnum);
}

}  // namespace chaukas::filters::pii_redaction
