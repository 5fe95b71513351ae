#include "tests/support/wait_until.h"

#include <chrono>
#include <thread>

#include "absl/time/clock.h"

namespace chaukas::testing {

bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace chaukas::testing
