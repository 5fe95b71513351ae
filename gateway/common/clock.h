#pragma once

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace chaukas {

// The source of "now" for everything that measures or buckets time, so tests can control it.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace chaukas
