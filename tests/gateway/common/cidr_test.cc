#include "gateway/common/cidr.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chaukas {
namespace {

using ::testing::HasSubstr;

Cidr MustParse(std::string_view text) {
  absl::StatusOr<Cidr> cidr = Cidr::Parse(text);
  EXPECT_TRUE(cidr.ok()) << cidr.status();
  return *cidr;
}

TEST(CidrTest, MatchesIpv4RangesAndPeersWithPorts) {
  const Cidr loopback = MustParse("127.0.0.0/8");
  EXPECT_TRUE(loopback.Contains("127.0.0.1"));
  EXPECT_TRUE(loopback.Contains("127.255.3.4:5555"));
  EXPECT_FALSE(loopback.Contains("128.0.0.1:5555"));
  EXPECT_FALSE(loopback.Contains("10.0.0.1"));
  // A dual-stack listener reports IPv4 clients as IPv4-mapped IPv6.
  EXPECT_TRUE(loopback.Contains("[::ffff:127.0.0.1]:80"));
}

TEST(CidrTest, MatchesIpv6RangesAndOddPrefixes) {
  EXPECT_TRUE(MustParse("::1/128").Contains("[::1]:443"));
  EXPECT_FALSE(MustParse("::1/128").Contains("[::2]:443"));
  EXPECT_TRUE(MustParse("fd00::/8").Contains("fd12:3456::1"));
  EXPECT_FALSE(MustParse("fd00::/8").Contains("fe80::1"));
  const Cidr odd = MustParse("10.0.0.0/9");
  EXPECT_TRUE(odd.Contains("10.127.0.1"));
  EXPECT_FALSE(odd.Contains("10.128.0.1"));
  EXPECT_TRUE(MustParse("0.0.0.0/0").Contains("203.0.113.9:1"));
}

TEST(CidrTest, ABareAddressIsItsOwnRange) {
  const Cidr one = MustParse("192.0.2.7");
  EXPECT_TRUE(one.Contains("192.0.2.7:1000"));
  EXPECT_FALSE(one.Contains("192.0.2.8:1000"));
}

TEST(CidrTest, GarbageMatchesNothing) {
  const Cidr all = MustParse("0.0.0.0/0");
  EXPECT_FALSE(all.Contains("unix:/tmp/socket"));
  EXPECT_FALSE(all.Contains(""));
}

TEST(CidrTest, ErrorsNameWhatIsWrong) {
  EXPECT_THAT(std::string(Cidr::Parse("localhost").status().message()),
              HasSubstr("\"localhost\" is not an IP address or CIDR range"));
  EXPECT_THAT(std::string(Cidr::Parse("10.0.0.0/33").status().message()),
              HasSubstr("prefix length must be 0..32"));
  EXPECT_THAT(std::string(Cidr::Parse("10.0.0.1/8").status().message()),
              HasSubstr("has bits set past its /8 prefix"));
}

}  // namespace
}  // namespace chaukas
