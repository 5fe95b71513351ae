#pragma once

#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace chaukas::pipeline {

// The two "try again later" answers of DESIGN.md, both ResourceExhausted, told apart by a
// status payload so each protocol can answer its own way (status_mapping.h):
//   overload    -> HTTP 503 whose body says "high memory usage" (the SDK halves its batch),
//                  gRPC RESOURCE_EXHAUSTED;
//   rate limit  -> HTTP 429 with Retry-After, gRPC RESOURCE_EXHAUSTED.

// The gateway cannot take more right now (a full queue, the memory budget spent).
absl::Status OverloadError(std::string_view message);
bool IsOverload(const absl::Status& status);

// What a client over a rate limit is told besides the message: when to retry, and the
// x-ratelimit-limit / -remaining / -reset of the limit that refused it.
struct RateLimitInfo {
  absl::Duration retry_after;
  double limit = 0;      // the bucket's size (burst)
  double remaining = 0;  // tokens left in it
  absl::Duration reset;  // until it is full again
};

// The caller is over a rate limit and may retry after `info.retry_after`.
absl::Status RateLimitedError(std::string_view message, const RateLimitInfo& info);
std::optional<RateLimitInfo> RateLimitOf(const absl::Status& status);

}  // namespace chaukas::pipeline
