#include "filters/rate_limit/local_backend.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "absl/hash/hash.h"
#include "gateway/common/strings.h"

namespace chaukas::filters::rate_limit {
namespace {

// A limit with the meaning LocalBackend's header gives to bad numbers: never negative or NaN.
struct Shape {
  double rate_per_second;
  double burst;
};

// `value` if it is >= 0 (infinity included), else 0; NaN >= 0 is false.
double NonNegativeOrZero(double value) { return value >= 0 ? value : 0; }

Shape ShapeOf(const BucketLimit& limit) {
  return {NonNegativeOrZero(limit.rate_per_second), NonNegativeOrZero(limit.burst)};
}

// Repeated fractional costs leave rounding dust: 0.3 - 0.1 - 0.1 is 0.0999…98, so a third
// take of 0.1 would be refused. Each subtraction is off by about 1e-16 of the burst, so a
// billionth of the burst covers millions of them and is still far below a cost a user means.
// Only a bucket with tokens left gets the benefit, and taking empties it (tokens stop at 0), so
// the dust given away is at most one tolerance per time the bucket runs dry.
// An infinite cost never fits, not even an infinite bucket (inf - inf would make it NaN).
bool Fits(double cost, double tokens, const Shape& shape) {
  if (!std::isfinite(cost)) return false;
  if (cost <= tokens) return true;
  return tokens > 0 && cost - tokens <= 1e-9 * std::max(1.0, shape.burst);
}

// How long `rate` takes to add `missing` tokens: zero when nothing is missing, infinite when
// nothing refills. absl::Seconds(double) saturates to InfiniteDuration on overflow.
absl::Duration TimeToAdd(double missing, double rate_per_second) {
  if (!(missing > 0)) return absl::ZeroDuration();
  if (!(rate_per_second > 0)) return absl::InfiniteDuration();
  return absl::Seconds(missing / rate_per_second);
}

}  // namespace

void LocalBackend::Bucket::RefillTo(absl::Time now, double rate_per_second, double burst) {
  // A clock that stepped back refills nothing, and last_update follows it back, so the bucket
  // refills from the new "now" on instead of waiting for the old one to come round again.
  const double elapsed_seconds = absl::ToDoubleSeconds(now - last_update);
  if (elapsed_seconds > 0 && rate_per_second > 0) tokens += rate_per_second * elapsed_seconds;
  // Also applies a burst lowered since the last call.
  tokens = std::min(tokens, burst);
  last_update = now;
}

LocalBackend::LocalBackend(const Clock& clock, absl::Duration idle_timeout)
    : clock_(clock), idle_timeout_(idle_timeout) {}

LocalBackend::Shard& LocalBackend::ShardFor(std::string_view key) {
  // The top bits: the shard's map hashes the key with the same absl::Hash and keeps its low 7
  // bits as the tag it compares before comparing keys (H2). Picking the shard by low bits would
  // leave one tag bit varying within a shard, and most probes would compare keys.
  const uint64_t hash = absl::Hash<absl::string_view>{}(ToAbsl(key));
  static_assert(kShardCount == 64);
  return shards_[hash >> 58];
}

AcquireResult LocalBackend::TryAcquire(std::string_view key, const BucketLimit& limit,
                                       double cost) {
  const Shape shape = ShapeOf(limit);
  // NaN is refused (as if infinite), negative takes nothing: see the header.
  if (std::isnan(cost)) cost = std::numeric_limits<double>::infinity();
  cost = std::max(cost, 0.0);

  Shard& shard = ShardFor(key);
  absl::MutexLock lock(&shard.mutex);
  // Read under the lock so each bucket sees time move forward: two threads that read the clock
  // before locking could store an older last_update after a newer one and refill twice.
  const absl::Time now = clock_.Now();

  auto it = shard.buckets.find(ToAbsl(key));
  if (it == shard.buckets.end()) {
    it = shard.buckets.emplace(std::string(key), Bucket{shape.burst, now, now}).first;
  }
  Bucket& bucket = it->second;
  bucket.RefillTo(now, shape.rate_per_second, shape.burst);

  AcquireResult result;
  if (Fits(cost, bucket.tokens, shape)) {
    bucket.tokens = std::max(bucket.tokens - cost, 0.0);
    result.allowed = true;
  } else {
    // A cost above burst can never pass, however long the caller waits; it is told the time
    // until the bucket is full, the most that waiting can do.
    result.retry_after =
        TimeToAdd(std::min(cost, shape.burst) - bucket.tokens, shape.rate_per_second);
  }
  result.remaining = bucket.tokens;
  result.reset = TimeToAdd(shape.burst - bucket.tokens, shape.rate_per_second);
  bucket.full_at = now + result.reset;
  return result;
}

void LocalBackend::Refund(std::string_view key, const BucketLimit& limit, double cost) {
  if (!(cost > 0)) return;
  const Shape shape = ShapeOf(limit);

  Shard& shard = ShardFor(key);
  absl::MutexLock lock(&shard.mutex);
  const auto it = shard.buckets.find(ToAbsl(key));
  if (it == shard.buckets.end()) return;
  const absl::Time now = clock_.Now();
  Bucket& bucket = it->second;
  // Refill first, so the refund lands on today's level and the cap applies to both together.
  bucket.RefillTo(now, shape.rate_per_second, shape.burst);
  bucket.tokens = std::min(bucket.tokens + cost, shape.burst);
  bucket.full_at = now + TimeToAdd(shape.burst - bucket.tokens, shape.rate_per_second);
}

size_t LocalBackend::ExpireIdle() {
  size_t removed = 0;
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mutex);
    const absl::Time now = clock_.Now();
    removed += absl::erase_if(shard.buckets, [&](const auto& entry) {
      const Bucket& bucket = entry.second;
      return now - bucket.last_update >= idle_timeout_ && now >= bucket.full_at;
    });
  }
  return removed;
}

size_t LocalBackend::key_count() const {
  size_t count = 0;
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mutex);
    count += shard.buckets.size();
  }
  return count;
}

}  // namespace chaukas::filters::rate_limit
