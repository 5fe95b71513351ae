#pragma once

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/common/clock.h"

namespace chaukas::testing {

// A clock that moves only when a test says so. Safe to read and move from any thread.
class ManualClock : public chaukas::Clock {
 public:
  explicit ManualClock(absl::Time now = absl::FromUnixSeconds(1'700'000'000)) : now_(now) {}

  absl::Time Now() const override {
    absl::MutexLock lock(&mutex_);
    return now_;
  }

  void Set(absl::Time now) {
    absl::MutexLock lock(&mutex_);
    now_ = now;
  }

  void Advance(absl::Duration duration) {
    absl::MutexLock lock(&mutex_);
    now_ += duration;
  }

 private:
  mutable absl::Mutex mutex_;
  absl::Time now_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace chaukas::testing
