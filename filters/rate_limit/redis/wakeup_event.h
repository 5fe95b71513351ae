#pragma once

#include <atomic>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace chaukas::filters::rate_limit {

// How ingest threads wake RedisBackend's background thread without blocking: Notify is an
// atomic exchange, plus one write(2) to an eventfd when the waiter was not already signalled,
// so a burst of notifications costs one system call. The waiter sleeps in ppoll(2) with a
// timeout, which a condition variable would also give, but notifying one without a lost
// wake-up needs its mutex, which an ingest thread must not wait for.
class WakeupEvent {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<WakeupEvent>> Create();
  ~WakeupEvent();
  WakeupEvent(const WakeupEvent&) = delete;
  WakeupEvent& operator=(const WakeupEvent&) = delete;

  // From any thread; never blocks.
  void Notify();

  // From the one waiting thread: returns once notified (true) or after `timeout` (false). A
  // Notify that came since the last Wait returns at once. Work published before a Notify is
  // visible after the Wait that it ends.
  bool Wait(absl::Duration timeout);

 private:
  explicit WakeupEvent(int fd) : fd_(fd) {}

  const int fd_;
  std::atomic<bool> signalled_{false};
};

}  // namespace chaukas::filters::rate_limit
