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

// A per-thread generator seeded from the OS.
class SystemRandom final : public RandomSource {
 public:
  uint64_t NextUint64() override;
};

}  // namespace chaukas
