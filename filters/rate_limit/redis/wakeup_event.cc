#include "filters/rate_limit/redis/wakeup_event.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "absl/status/status.h"

namespace chaukas::filters::rate_limit {

absl::StatusOr<std::unique_ptr<WakeupEvent>> WakeupEvent::Create() {
  const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, "eventfd");
  return std::unique_ptr<WakeupEvent>(new WakeupEvent(fd));
}

WakeupEvent::~WakeupEvent() { close(fd_); }

void WakeupEvent::Notify() {
  // Only the notifier that moves the flag from false writes. The waiter clears the flag before
  // it looks for work, so a notifier that finds it set knows the waiter has yet to look.
  if (signalled_.exchange(true, std::memory_order_acq_rel)) return;
  const uint64_t one = 1;
  // Non-blocking: EAGAIN (the counter at its maximum) still leaves the eventfd readable.
  [[maybe_unused]] const ssize_t written = write(fd_, &one, sizeof(one));
}

bool WakeupEvent::Wait(absl::Duration timeout) {
  pollfd event = {fd_, POLLIN, 0};
  timespec limit = absl::ToTimespec(std::max(timeout, absl::ZeroDuration()));
  const int ready =
      ppoll(&event, 1, timeout == absl::InfiniteDuration() ? nullptr : &limit, nullptr);
  if (ready <= 0) return false;
  uint64_t count = 0;
  [[maybe_unused]] const ssize_t drained = read(fd_, &count, sizeof(count));
  signalled_.store(false, std::memory_order_seq_cst);
  return true;
}

}  // namespace chaukas::filters::rate_limit
