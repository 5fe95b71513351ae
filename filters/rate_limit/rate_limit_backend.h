#pragma once

#include <string_view>

#include "absl/time/time.h"

namespace chaukas::filters::rate_limit {

// A token bucket's shape: it holds at most `burst` tokens and refills at `rate_per_second`.
// Budgets per minute, hour or day are buckets too: burst = the budget, rate = budget / period.
struct BucketLimit {
  double rate_per_second = 0;
  double burst = 0;

  friend bool operator==(const BucketLimit&, const BucketLimit&) = default;
};

struct AcquireResult {
  bool allowed = false;
  double remaining = 0;  // tokens left in the bucket after this call (refused: as they are)
  // Refused: how long until the bucket holds `cost` tokens again (an estimate for another
  // backend than local); 0 when allowed. A cost larger than `burst` can never fit: it gets
  // the time to fill the whole bucket.
  absl::Duration retry_after;
  // How long until the bucket is full again (x-ratelimit-reset).
  absl::Duration reset;
};

// Where token buckets live: in this process (LocalBackend) or shared by a fleet through
// Redis (RedisBackend). Called on ingest threads, concurrently: implementations never block
// on I/O and take no lock shared by all keys. Keys are opaque strings built by the filter
// (descriptor values joined); a key's bucket is created full on first use and forgotten once
// it has been idle (full and untouched) long enough, so memory follows the active keys.
class RateLimitBackend {
 public:
  virtual ~RateLimitBackend() = default;

  // Takes `cost` tokens from the key's bucket if it holds them: all or nothing.
  virtual AcquireResult TryAcquire(std::string_view key, const BucketLimit& limit, double cost) = 0;

  // Gives back tokens an earlier TryAcquire took (another bucket of the same request refused,
  // so the request takes nothing). Never past `burst`.
  virtual void Refund(std::string_view key, const BucketLimit& limit, double cost) = 0;
};

}  // namespace chaukas::filters::rate_limit
