#include "gateway/common/random_source.h"

#include "absl/numeric/int128.h"
#include "absl/random/random.h"

namespace chaukas {

uint64_t RandomBelow(RandomSource& random, uint64_t bound) {
  return absl::Uint128High64(absl::uint128(random.NextUint64()) * bound);
}

uint64_t SystemRandom::NextUint64() {
  thread_local absl::BitGen generator;
  return absl::Uniform<uint64_t>(generator);
}

}  // namespace chaukas
