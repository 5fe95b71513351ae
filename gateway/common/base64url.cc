#include "gateway/common/base64url.h"

#include <array>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace chaukas {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr uint8_t kInvalid = 0xFF;

constexpr std::array<uint8_t, 256> MakeDecodeTable() {
  std::array<uint8_t, 256> table{};
  for (uint8_t& entry : table) entry = kInvalid;
  for (size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<uint8_t>(kAlphabet[i])] = static_cast<uint8_t>(i);
  }
  return table;
}

constexpr std::array<uint8_t, 256> kDecodeTable = MakeDecodeTable();

}  // namespace

absl::StatusOr<std::string> DecodeBase64Url(std::string_view text) {
  std::string bytes;
  bytes.reserve(text.size() / 4 * 3 + 2);
  uint32_t bits = 0;
  int bit_count = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const uint8_t value = kDecodeTable[static_cast<uint8_t>(text[i])];
    if (value == kInvalid) {
      if (text[i] == '=') {
        return absl::InvalidArgumentError("not base64url: '=' padding is not allowed");
      }
      return absl::InvalidArgumentError(
          absl::StrCat("not base64url: invalid character at offset ", i));
    }
    bits = (bits << 6) | value;
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      bytes.push_back(static_cast<char>((bits >> bit_count) & 0xFF));
    }
  }
  // Four characters carry three bytes; a final group of one character carries no whole byte.
  if (text.size() % 4 == 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("not base64url: a length of ", text.size(), " characters is impossible"));
  }
  // The 2 or 4 bits left over after the last byte must be zero (RFC 4648 section 3.5), so
  // every byte string has exactly one spelling.
  if ((bits & ((1u << bit_count) - 1)) != 0) {
    return absl::InvalidArgumentError("not base64url: the last character has non-zero spare bits");
  }
  return bytes;
}

std::string EncodeBase64Url(std::string_view bytes) {
  std::string text;
  text.reserve((bytes.size() * 4 + 2) / 3);
  uint32_t bits = 0;
  int bit_count = 0;
  for (const char byte : bytes) {
    bits = (bits << 8) | static_cast<uint8_t>(byte);
    bit_count += 8;
    while (bit_count >= 6) {
      bit_count -= 6;
      text.push_back(kAlphabet[(bits >> bit_count) & 0x3F]);
    }
  }
  if (bit_count > 0) text.push_back(kAlphabet[(bits << (6 - bit_count)) & 0x3F]);
  return text;
}

}  // namespace chaukas
