#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/common/json_escape.h"

// Client text echoed in error messages, bounded so that a hostile client cannot make us echo
// megabytes back.
namespace chaukas::codec {

inline constexpr size_t kMaxEchoedBytes = 64;

// At most kMaxEchoedBytes of `text`, cut at a UTF-8 character boundary, with "..." appended
// when something was cut.
inline std::string Shortened(std::string_view text) {
  if (text.size() <= kMaxEchoedBytes) return std::string(text);
  size_t cut = kMaxEchoedBytes;
  while (cut > 0 && (static_cast<uint8_t>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

// Shortened(text) as a JSON string literal: "yesterday" with its quotes.
inline std::string Quoted(std::string_view text) {
  std::string out;
  AppendJsonString(Shortened(text), out);
  return out;
}

}  // namespace chaukas::codec
