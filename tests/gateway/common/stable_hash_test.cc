#include "gateway/common/stable_hash.h"

#include <bit>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace chaukas {
namespace {

// Sessions are placed by these values on every replica: a change here moves every session.
// Expected values computed independently from the published FNV-1a 64 (FNV-1a("a") =
// 0xaf63dc4c8601ec8c, FNV-1a("foobar") = 0x85944171f73967e8) followed by fmix64.
TEST(StableHashTest, GivesTheSameValuesEverywhere) {
  EXPECT_EQ(StableHash64(""), 0xefd01f60ba992926ULL);
  EXPECT_EQ(StableHash64("a"), 0x82a2a958a9bece5bULL);
  EXPECT_EQ(StableHash64("foobar"), 0x2c22194922d1672bULL);
  EXPECT_EQ(StableHash64("10.0.0.1:4317"), 0x86f959aa2b9d0f83ULL);
}

// Bytes above 0x7f as unsigned (a signed char would differ), and NULs as ordinary bytes.
TEST(StableHashTest, HashesEveryByteAsUnsigned) {
  EXPECT_EQ(StableHash64("\xff\x80"), 0x0c1fbda391c27e28ULL);
  EXPECT_EQ(StableHash64(std::string("a\0b", 3)), 0xab78f5eca36d0e2bULL);
}

TEST(StableHashTest, MixGivesTheSameValuesEverywhereAndIsNotSymmetric) {
  EXPECT_EQ(MixHash64(1, 2), 0x8d4f874c404dde5cULL);
  EXPECT_EQ(MixHash64(2, 1), 0x4e0fcd7162342871ULL);
}

TEST(StableHashTest, SpreadsSimilarKeysEvenlyOverLowAndHighBits) {
  constexpr int kKeys = 16'000;
  std::vector<int> by_low_bits(16);
  std::vector<int> by_high_bits(16);
  std::set<uint64_t> distinct;
  for (int i = 0; i < kKeys; ++i) {
    const uint64_t hash = StableHash64("session-" + std::to_string(i));
    ++by_low_bits[hash & 15];
    ++by_high_bits[hash >> 60];
    distinct.insert(hash);
  }
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kKeys));
  // 1000 expected per bucket, standard deviation about 31.
  for (int bucket = 0; bucket < 16; ++bucket) {
    EXPECT_NEAR(by_low_bits[bucket], 1000, 150) << "low bits " << bucket;
    EXPECT_NEAR(by_high_bits[bucket], 1000, 150) << "high bits " << bucket;
  }
}

TEST(StableHashTest, OneCharacterChangesAboutHalfTheBits) {
  constexpr int kPairs = 1000;
  int changed_bits = 0;
  for (int i = 0; i < kPairs; ++i) {
    const std::string key = "session-" + std::to_string(i);
    changed_bits += std::popcount(StableHash64(key + "a") ^ StableHash64(key + "b"));
  }
  EXPECT_NEAR(static_cast<double>(changed_bits) / kPairs, 32.0, 1.0);
}

}  // namespace
}  // namespace chaukas
