#include "gateway/common/stable_hash.h"

namespace chaukas {
namespace {

constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

}  // namespace

uint64_t Fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

uint64_t StableHash64(std::string_view data) {
  uint64_t hash = kFnvOffsetBasis;
  for (const char c : data) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kFnvPrime;
  }
  return Fmix64(hash);
}

uint64_t MixHash64(uint64_t a, uint64_t b) { return Fmix64(a ^ Fmix64(b)); }

}  // namespace chaukas
