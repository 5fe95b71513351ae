#pragma once

#include <functional>

#include "absl/time/time.h"

namespace chaukas::testing {

// Polls `condition` every 10 ms until it holds (true) or `timeout` passes (false). For
// conditions another process or thread makes true: a file written, a counter reached.
bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(10));

}  // namespace chaukas::testing
