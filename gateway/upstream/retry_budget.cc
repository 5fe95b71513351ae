#include "gateway/upstream/retry_budget.h"

#include <algorithm>

namespace chaukas::upstream {

bool RetryBudget::CanRetry(int64_t active_calls, int64_t active_retries) const {
  // Rounded down, as Envoy does: 20% of 9 calls allows 1 retry, not 2.
  const int64_t max_retries =
      std::max(min_retry_concurrency_, active_calls * budget_percent_ / 100);
  return active_retries < max_retries;
}

}  // namespace chaukas::upstream
