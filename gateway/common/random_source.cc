#include "gateway/common/random_source.h"

#include "absl/random/random.h"

namespace chaukas {

uint64_t SystemRandom::NextUint64() {
  thread_local absl::BitGen generator;
  return absl::Uniform<uint64_t>(generator);
}

}  // namespace chaukas
