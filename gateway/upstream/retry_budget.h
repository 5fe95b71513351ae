#pragma once

#include <cstdint>

namespace chaukas::upstream {

// Envoy's retry budget: retries in flight may be at most budget_percent of all calls in flight,
// but min_retry_concurrency retries may always run. It keeps retries from multiplying the load
// on an upstream that is already failing. A retry over budget waits for its turn; what waiting
// means is the caller's. One per cluster, a pure calculation over the counts it is given.
class RetryBudget {
 public:
  RetryBudget(int64_t budget_percent, int64_t min_retry_concurrency)
      : budget_percent_(budget_percent), min_retry_concurrency_(min_retry_concurrency) {}

  // Whether one more retry may start now, with `active_calls` calls in flight (retries
  // included, the one asking not yet), of which `active_retries` are retries.
  bool CanRetry(int64_t active_calls, int64_t active_retries) const;

 private:
  const int64_t budget_percent_;
  const int64_t min_retry_concurrency_;
};

}  // namespace chaukas::upstream
