#pragma once

#include <optional>
#include <string_view>

#include "absl/time/time.h"
#include "gateway/common/random_source.h"

namespace chaukas::upstream {

// The delay before retry `attempt` (counting from 1): "full jitter" from the AWS Architecture
// Blog's "Exponential Backoff And Jitter", uniform in [0, min(max, initial * 2^(attempt - 1))].
// Spreading retries over the whole interval keeps clients that failed together from retrying
// together. Any attempt is safe from overflow; attempts below 1 count as 1, and a non-positive
// `initial` or `max` gives zero.
absl::Duration FullJitterBackoff(int attempt, absl::Duration initial, absl::Duration max,
                                 RandomSource& random);

// The delay an HTTP Retry-After value asks for, relative to `now`: delta-seconds, or an
// HTTP-date in the IMF-fixdate form ("Sun, 06 Nov 1994 08:49:37 GMT", RFC 9110 section 5.6.7),
// where a date in the past gives zero. nullopt when the value is neither (RFC 9110's obsolete
// RFC 850 and asctime date forms included). Delta-seconds above 2^31 count as 2^31, as RFC 9111
// section 1.2.2 asks; the caller caps the delay at what it is willing to wait.
std::optional<absl::Duration> ParseRetryAfter(std::string_view value, absl::Time now);

// Whether an upstream's answer means "try again later", as opposed to "this request is wrong".
// Transport errors (no answer at all) are the caller's to decide.
// gRPC: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED. `code` is a grpc::StatusCode value
// (0..16), taken as an int so that this file does not depend on gRPC.
bool IsRetriableGrpcCode(int code);
// HTTP: 429, 502, 503, 504.
bool IsRetriableHttpStatus(int status);

}  // namespace chaukas::upstream
