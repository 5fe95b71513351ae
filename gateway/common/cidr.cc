#include "gateway/common/cidr.h"

#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/common/host_port.h"
#include "gateway/common/strings.h"

namespace chaukas {

bool Cidr::ToBytes(std::string_view ip, std::array<uint8_t, 16>& bytes) {
  const std::string text(ip);
  bytes.fill(0);
  if (inet_pton(AF_INET, text.c_str(), bytes.data() + 12) == 1) {
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    return true;
  }
  return inet_pton(AF_INET6, text.c_str(), bytes.data()) == 1;
}

absl::StatusOr<Cidr> Cidr::Parse(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string_view ip = text.substr(0, slash);
  std::array<uint8_t, 16> bytes{};
  if (!ToBytes(ip, bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", ToAbsl(text), "\" is not an IP address or CIDR range"));
  }
  const bool ipv4 = ip.find(':') == std::string_view::npos;
  const int max_bits = ipv4 ? 32 : 128;
  int bits = max_bits;
  if (slash != std::string_view::npos) {
    const std::string_view suffix = text.substr(slash + 1);
    if (!absl::SimpleAtoi(ToAbsl(suffix), &bits) || bits < 0 || bits > max_bits) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", ToAbsl(text), "\": prefix length must be 0..", max_bits));
    }
  }
  const int prefix_bits = ipv4 ? 96 + bits : bits;
  // Bits past the prefix must be zero, or the range is probably not what was meant.
  for (int bit = prefix_bits; bit < 128; ++bit) {
    if (bytes[static_cast<size_t>(bit / 8)] & (0x80 >> (bit % 8))) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", ToAbsl(text), "\" has bits set past its /", bits, " prefix"));
    }
  }
  return Cidr(bytes, prefix_bits);
}

bool Cidr::Contains(std::string_view address) const {
  std::array<uint8_t, 16> bytes{};
  if (!ToBytes(HostOf(address), bytes)) return false;
  const auto full_bytes = static_cast<size_t>(prefix_bits_ / 8);
  if (std::memcmp(bytes.data(), bytes_.data(), full_bytes) != 0) return false;
  const int rest = prefix_bits_ % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (bytes[full_bytes] & mask) == (bytes_[full_bytes] & mask);
}

}  // namespace chaukas
