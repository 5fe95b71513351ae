#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "gateway/upstream/cluster.h"

namespace chaukas::upstream {

// Gathers the upstream's verdict on the events of one sync Enqueue, which may travel in
// several upstream calls, and reports it once: when every event is resolved, or earlier
// through Fail (the sync deadline, shutdown). Later verdicts are ignored. Shared by the
// queued events (shared_ptr); thread-safe.
class DeliveryTracker {
 public:
  DeliveryTracker(size_t events, DeliveryCallback done);

  void Accept(size_t index);
  void Reject(size_t index, std::string reason);
  // Reports now with `status`, whatever is still unresolved.
  void Fail(absl::Status status);

 private:
  struct Completion {
    DeliveryCallback done;
    DeliveryReport report;
    void Run() && { done(std::move(report)); }
  };
  // Takes callback and report out once the report is complete, so the callback runs outside
  // the lock.
  std::optional<Completion> TakeIfDone() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  absl::Mutex mutex_;
  size_t remaining_ ABSL_GUARDED_BY(mutex_);
  DeliveryReport report_ ABSL_GUARDED_BY(mutex_);
  DeliveryCallback done_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace chaukas::upstream
