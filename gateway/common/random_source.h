#pragma once

#include <cstdint>

namespace chaukas {

// The source of chance for filters (sampling, jitter), so tests can control it.
// Implementations are safe to call from any thread.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual uint64_t NextUint64() = 0;
};

// A number in [0, bound) (bound > 0) from `random`: the high half of random * bound
// (Lemire's multiply-shift; its bias, at most bound / 2^64, is negligible).
uint64_t RandomBelow(RandomSource& random, uint64_t bound);

// A per-thread generator seeded from the OS.
class SystemRandom final : public RandomSource {
 public:
  uint64_t NextUint64() override;
};

}  // namespace chaukas
