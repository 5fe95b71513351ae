#include "gateway/codec/json_syntax.h"

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"

namespace chaukas::codec {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Length of the well-formed UTF-8 sequence at text[i] (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t lead = byte(i);
  size_t length;
  uint8_t second_min = 0x80;
  uint8_t second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;
    if (lead == 0xED) second_max = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;
    if (lead == 0xF4) second_max = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < second_min || byte(i + 1) > second_max) return 0;
  for (size_t k = 2; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return length;
}

// Scans JSON text with an explicit stack (no recursion, so any nesting is safe) and stops at
// the first byte that cannot continue a valid document.
class SyntaxScanner {
 public:
  explicit SyntaxScanner(std::string_view text) : text_(text) {}

  // Offset of the first error, or nullopt when the text is valid as far as this scan checks.
  std::optional<size_t> FindError() {
    State state = State::kValue;
    for (;;) {
      SkipWhitespace();
      if (AtEnd()) {
        if (state == State::kAfterValue && open_.empty()) return std::nullopt;
        return position_;
      }
      const char c = text_[position_];
      switch (state) {
        case State::kArrayStart:
          if (c == ']') {
            Close();
            state = State::kAfterValue;
            break;
          }
          [[fallthrough]];
        case State::kValue:
          if (c == '{' || c == '[') {
            open_.push_back(c);
            ++position_;
            state = c == '{' ? State::kObjectStart : State::kArrayStart;
          } else {
            if (!ScanScalar()) return position_;
            state = State::kAfterValue;
          }
          break;
        case State::kObjectStart:
          if (c == '}') {
            Close();
            state = State::kAfterValue;
            break;
          }
          [[fallthrough]];
        case State::kKey:
          if (c != '"' || !ScanString()) return position_;
          state = State::kColon;
          break;
        case State::kColon:
          if (c != ':') return position_;
          ++position_;
          state = State::kValue;
          break;
        case State::kAfterValue:
          if (open_.empty()) return position_;  // Content after the document.
          if (c == ',') {
            ++position_;
            state = open_.back() == '{' ? State::kKey : State::kValue;
          } else if (c == (open_.back() == '{' ? '}' : ']')) {
            Close();
          } else {
            return position_;
          }
          break;
      }
    }
  }

 private:
  enum class State { kValue, kArrayStart, kObjectStart, kKey, kColon, kAfterValue };

  bool AtEnd() const { return position_ >= text_.size(); }
  void Close() {
    open_.pop_back();
    ++position_;
  }
  void SkipWhitespace() {
    while (!AtEnd() && (text_[position_] == ' ' || text_[position_] == '\t' ||
                        text_[position_] == '\n' || text_[position_] == '\r')) {
      ++position_;
    }
  }

  // On failure position_ is left at the offending byte.
  bool ScanScalar() {
    switch (text_[position_]) {
      case '"':
        return ScanString();
      case 't':
        return ScanLiteral("true");
      case 'f':
        return ScanLiteral("false");
      case 'n':
        return ScanLiteral("null");
      default:
        return ScanNumber();
    }
  }

  bool ScanLiteral(std::string_view literal) {
    for (const char expected : literal) {
      if (AtEnd() || text_[position_] != expected) return false;
      ++position_;
    }
    return true;
  }

  bool ScanDigits() {
    if (AtEnd() || !IsDigit(text_[position_])) return false;
    while (!AtEnd() && IsDigit(text_[position_])) ++position_;
    return true;
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  bool ScanNumber() {
    if (text_[position_] == '-') ++position_;
    if (!AtEnd() && text_[position_] == '0') {
      ++position_;
    } else if (!ScanDigits()) {
      return false;
    }
    if (!AtEnd() && text_[position_] == '.') {
      ++position_;
      if (!ScanDigits()) return false;
    }
    if (!AtEnd() && (text_[position_] == 'e' || text_[position_] == 'E')) {
      ++position_;
      if (!AtEnd() && (text_[position_] == '+' || text_[position_] == '-')) ++position_;
      if (!ScanDigits()) return false;
    }
    return true;
  }

  bool ScanString() {
    ++position_;  // The opening quote.
    while (!AtEnd()) {
      const auto c = static_cast<uint8_t>(text_[position_]);
      if (c == '"') {
        ++position_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (!ScanEscape()) return false;
      } else if (c >= 0x80) {
        const size_t length = Utf8SequenceLength(text_, position_);
        if (length == 0) return false;
        position_ += length;
      } else {
        ++position_;
      }
    }
    return false;
  }

  bool ScanEscape() {
    ++position_;  // The backslash.
    if (AtEnd()) return false;
    const char c = text_[position_];
    if (c != 'u') {
      if (std::string_view("\"\\/bfnrt").find(c) == std::string_view::npos) return false;
      ++position_;
      return true;
    }
    ++position_;
    for (int i = 0; i < 4; ++i) {
      if (AtEnd() || !IsHexDigit(text_[position_])) return false;
      ++position_;
    }
    return true;
  }

  std::string_view text_;
  size_t position_ = 0;
  std::vector<char> open_;
};

}  // namespace

std::string DescribeSyntaxErrorLocation(std::string_view json) {
  const std::optional<size_t> offset = SyntaxScanner(json).FindError();
  if (!offset.has_value()) return "";
  size_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < *offset; ++i) {
    if (json[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return absl::StrCat(" at line ", line, ", column ", *offset - line_start + 1);
}

}  // namespace chaukas::codec
