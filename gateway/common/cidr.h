#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace chaukas {

// An IPv4 or IPv6 address range such as "127.0.0.0/8" or "::1/128" (a bare address is its own
// /32 or /128). IPv4-mapped IPv6 peers ("::ffff:127.0.0.1") match IPv4 ranges, since a
// dual-stack listener reports IPv4 clients that way.
class Cidr {
 public:
  // Errors name the text and what is wrong with it.
  static absl::StatusOr<Cidr> Parse(std::string_view text);

  // `address` is a bare IP literal, or a peer as listeners report it ("127.0.0.1:5000",
  // "[::1]:5000"); anything unparsable matches nothing.
  bool Contains(std::string_view address) const;

 private:
  Cidr(std::array<uint8_t, 16> bytes, int prefix_bits) : bytes_(bytes), prefix_bits_(prefix_bits) {}

  // The address as 16 bytes (IPv4 as IPv4-mapped IPv6), or false.
  static bool ToBytes(std::string_view ip, std::array<uint8_t, 16>& bytes);

  std::array<uint8_t, 16> bytes_;
  int prefix_bits_;  // of the 128, IPv4 ranges counted as mapped (96 + n)
};

}  // namespace chaukas
