#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "filters/rate_limit/rate_limit_backend.h"
#include "gateway/common/clock.h"

namespace chaukas::filters::rate_limit {

// Token buckets in this process's memory, for one gateway replica (RedisBackend shares them
// across a fleet and falls back to this one). The rate_limit filter owns it and calls it from
// every ingest thread; it keeps no reference to keys or limits between calls.
//
// Buckets refill lazily: each call adds rate * (time since the bucket's last call), capped at
// burst, so an untouched bucket costs nothing. Keys are spread over kShardCount shards, each
// with its own mutex, so threads working on different keys rarely wait for each other.
//
// Memory follows the active keys through ExpireIdle, never through eviction: a bucket is
// forgotten only once it would be full by now, so a key that comes back gets the same full
// bucket it would have had anyway. A drained key cannot shed its debt by making others push
// it out, and a drained budget that never refills (rate 0) is kept for good.
//
// Inputs the filter's config validation should have caught are still given a defined meaning
// here, because a limiter must not fail open on a bad number:
//   - a cost that is NaN is refused like a cost larger than burst (it can never pass); a
//     negative cost counts as 0 (it must never add tokens); an infinite cost is refused;
//   - a rate that is negative or NaN counts as 0 (no refill); a burst that is negative or NaN
//     counts as 0 (nothing with a positive cost passes);
//   - a Refund of NaN or a non-positive amount gives nothing back.
// Durations it cannot express (no refill at rate 0) are absl::InfiniteDuration().
class LocalBackend final : public RateLimitBackend {
 public:
  // `clock` must outlive the backend. A bucket untouched for `idle_timeout` is forgotten by
  // ExpireIdle once it would be full by now.
  LocalBackend(const Clock& clock, absl::Duration idle_timeout);

  LocalBackend(const LocalBackend&) = delete;
  LocalBackend& operator=(const LocalBackend&) = delete;

  AcquireResult TryAcquire(std::string_view key, const BucketLimit& limit, double cost) override;

  // Tokens go back to a bucket that exists; a key with no bucket (never used, or forgotten
  // because it was full) has nothing to get back, so no bucket is created for it.
  void Refund(std::string_view key, const BucketLimit& limit, double cost) override;

  // Forgets the buckets that have been idle for idle_timeout and would be full by now, locking
  // one shard at a time so acquires on other shards go on. Returns how many it forgot. The
  // filter calls it periodically; its cost is one pass over every bucket.
  size_t ExpireIdle();

  // How many buckets are held now (a snapshot: other threads may be adding or expiring).
  size_t key_count() const;

  // 64 shards keep two busy threads on the same shard unlikely on the few-core machines the
  // gateway runs on, at about 4 KiB of fixed cost.
  static constexpr size_t kShardCount = 64;

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time last_update;
    // When the bucket would be full if nobody touched it, under the limit of its last call
    // (absl::InfiniteFuture() when it never refills). ExpireIdle forgets only buckets past it.
    absl::Time full_at;

    // Adds what `rate_per_second` gave since last_update, capped at `burst`, and moves
    // last_update to `now`.
    void RefillTo(absl::Time now, double rate_per_second, double burst);
  };

  // alignas(64): a cache line per shard, so threads locking neighbouring shards do not
  // invalidate each other's line (std::hardware_destructive_interference_size draws a GCC
  // warning about ABI stability).
  struct alignas(64) Shard {
    mutable absl::Mutex mutex;
    // The default absl string hash and equality are transparent, so lookups by
    // absl::string_view do not build a std::string.
    absl::flat_hash_map<std::string, Bucket> buckets ABSL_GUARDED_BY(mutex);
  };

  Shard& ShardFor(std::string_view key);

  const Clock& clock_;
  const absl::Duration idle_timeout_;
  std::array<Shard, kShardCount> shards_;
};

}  // namespace chaukas::filters::rate_limit
