#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "filters/rate_limit/local_backend.h"
#include "filters/rate_limit/rate_limit_backend.h"
#include "filters/rate_limit/redis/lease_script.h"
#include "filters/rate_limit/redis/redis_connection.h"
#include "filters/rate_limit/redis/wakeup_event.h"
#include "gateway/common/clock.h"
#include "gateway/stats/stats_store.h"

namespace chaukas::filters::rate_limit {

// What decides while Redis cannot be reached (refused, timed out, or answering with errors).
enum class OnRedisError {
  kAllow,  // every request passes: an outage of the limiter never stops ingest
  kDeny,   // every request is refused, with retry_after = the delay before reconnecting
  kLocal,  // each replica applies the limits alone (LocalBackend): the fleet allows up to
           // replicas × the limit until Redis is back
};

// "allow", "deny", "local": the words of the `on_redis_error` YAML key.
std::string_view OnRedisErrorName(OnRedisError on_error);
[[nodiscard]] absl::StatusOr<OnRedisError> ParseOnRedisError(std::string_view name);

// The rate_limit filter's `redis:` block, parsed.
struct RedisBackendOptions {
  std::string address;  // host:port of the Redis server the fleet shares
  absl::Duration connect_timeout = absl::Milliseconds(500);
  absl::Duration command_timeout = absl::Milliseconds(250);
  // A key's lease is rate × lease tokens (at least 1, at most burst): what one round trip
  // fetches. Larger leases mean fewer round trips and a larger error bound (see RedisBackend).
  absl::Duration lease = absl::Milliseconds(50);
  // How often unreported debt is settled, leases short after Redis ran dry are topped up, and
  // idle keys give their lease back, besides the fetches that low leases trigger at once.
  absl::Duration sync_interval = absl::Milliseconds(100);
  std::string key_prefix = "chaukas:rl:";
  OnRedisError on_error = OnRedisError::kAllow;
  // A key untouched this long gives its unused lease back to Redis and is forgotten here.
  absl::Duration idle_timeout = absl::Minutes(1);
  std::optional<std::string> password;  // AUTH
  int db = 0;                           // SELECT
  // After a failure, reconnect attempts wait this long, doubling up to the maximum; a round
  // trip that succeeds resets it.
  absl::Duration reconnect_initial_backoff = absl::Milliseconds(100);
  absl::Duration reconnect_max_backoff = absl::Seconds(5);
};

// Every check, each error naming the field: `lease: must be > 0, got -1s`.
[[nodiscard]] absl::Status ValidateRedisBackendOptions(const RedisBackendOptions& options);

// The backend's stats, looked up once from the scope it is given.
struct RedisBackendStats {
  explicit RedisBackendStats(const stats::StatsScope& scope);

  stats::Histogram& latency_us;     // redis.latency_us: one sample per round trip
  stats::Counter& errors;           // redis.errors: failed connects, round trips, error replies
  stats::Gauge& degraded;           // redis.degraded: 1 while on_redis_error decides
  stats::Counter& leases;           // redis.leases: grants of at least some tokens
  stats::Counter& tokens_granted;   // redis.tokens_granted: whole tokens Redis leased to us
  stats::Counter& tokens_returned;  // redis.tokens_returned: unused tokens idle keys gave back
};

// Token buckets shared by every gateway replica through one Redis server. Owned by the
// rate_limit filter; TryAcquire and Refund are called from every ingest thread.
//
// Ingest threads never wait for Redis: they decide from a lease of tokens this replica holds
// per key, in a map sharded over kShardCount mutexes. One background thread owns the Redis
// connection and refills the leases through an atomic Lua token bucket (lease_script.h), all
// keys that need it pipelined into one round trip. A key's lease is refilled when it falls
// under half a lease (or under a cost it refused); the ingest thread that sees it wakes the
// background thread without blocking (WakeupEvent).
//
// A key seen for the first time is given one lease of credit at once, so a new tenant's
// first request does not wait for Redis; the credit is charged to Redis as debt in the key's
// first fetch, so every token spent is accounted in Redis. A key idle for idle_timeout gives
// its unused lease back (a negative debt) and is forgotten; on destruction every key does.
//
// Error bound, for N replicas sharing a key: Redis's bucket is exact, and every token a
// replica allows was either leased from it or is starting credit that it is charged in the
// key's first fetch. So the fleet allows at most burst + rate × elapsed + N leases (the
// credits: once charged, the bucket is in debt by as much and refills past it before granting
// again). It allows at least that minus the tokens unused in leases (at most one lease per
// replica, given back when the key idles) and minus what Redis refilled since it was last
// asked (about one lease: a replica Redis ran short for asks again once `requested` refilled).
// Measured: two replicas hammering one key at about 18 times its limit for 3 s (2000/s, burst
// 1000, 50 ms lease) allowed 0.5-0.9% less than burst + rate × elapsed.
//
// While Redis cannot be reached (or answers with errors) the backend is degraded: errors are
// counted, the connection is retried with exponential backoff, and on_error decides every
// call; leases are kept, untouched, for when Redis answers again.
//
// Keys are stored in Redis as key_prefix + key. One Redis server (or a proxy in front of a
// cluster): pipelined calls touch keys of any hash slot.
class RedisBackend final : public RateLimitBackend {
 public:
  // Validates `options` and starts the background thread, which connects. Never blocks on
  // Redis: a server that is down shows up as a degraded backend. `clock` must outlive it.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RedisBackend>> Create(
      RedisBackendOptions options, const Clock& clock, const stats::StatsScope& scope);

  // Gives every unused lease back to Redis and settles every debt in one last round trip (when
  // connected), then joins the background thread: may wait for up to command_timeout (and
  // connect_timeout when it is connecting just then).
  ~RedisBackend() override;
  RedisBackend(const RedisBackend&) = delete;
  RedisBackend& operator=(const RedisBackend&) = delete;

  AcquireResult TryAcquire(std::string_view key, const BucketLimit& limit, double cost) override;
  // Tokens go back to the key's local lease (never past burst); while degraded with `local`,
  // to the local bucket.
  void Refund(std::string_view key, const BucketLimit& limit, double cost) override;

  // True while on_error decides: Redis has not answered since it last failed.
  bool degraded() const { return degraded_.load(std::memory_order_acquire); }
  // How many keys hold a lease here now (a snapshot).
  size_t key_count() const;

  // 64 shards, as LocalBackend: two busy threads rarely share one on a few-core machine.
  static constexpr size_t kShardCount = 64;

 private:
  // The lease this replica holds for one key.
  struct KeyState {
    double tokens = 0;           // leased and not spent yet
    double debt = 0;             // spent without a lease and not yet charged to Redis
    double wanted_cost = 0;      // a cost refused since the last allowed one: fetch up to it
    double rate_per_second = 0;  // the limit of the last call
    double burst = 0;
    absl::Time last_used;
    absl::Time fetch_not_before;  // Redis was short: ask again from then on
    double redis_tokens = 0;      // the bucket in Redis at redis_tokens_at, for estimates
    absl::Time redis_tokens_at;
    bool queued = false;  // a fetch is wanted or in flight; at most one per key
  };

  struct alignas(64) Shard {
    mutable absl::Mutex mutex;
    // The default absl string hash and equality are transparent: lookups by
    // absl::string_view build no std::string.
    absl::flat_hash_map<std::string, KeyState> keys ABSL_GUARDED_BY(mutex);
    std::vector<std::string> wanted ABSL_GUARDED_BY(mutex);  // keys queued for a fetch
  };

  // One call of the lease script the background thread makes, and how to undo it locally if
  // it fails: the debt and the returned tokens it took out of the key's state.
  struct Pending {
    std::string key;
    LeaseRequest request;
    double charged_debt = 0;
    double returned_tokens = 0;
    bool give_back = false;  // an idle key's: forget it once Redis has its tokens
  };

  RedisBackend(RedisBackendOptions options, RedisAddress address, const Clock& clock,
               const stats::StatsScope& scope, std::unique_ptr<WakeupEvent> wakeup);

  Shard& ShardFor(std::string_view key);
  AcquireResult DecideDegraded(std::string_view key, const BucketLimit& limit, double cost);
  // Tokens one fetch aims for: a lease, or the refused cost when larger.
  double TargetTokens(const KeyState& state) const;
  bool NeedsFetch(const KeyState& state, absl::Time now) const;
  // Queues `key` for the next round trip; the caller wakes the background thread.
  void Queue(Shard& shard, std::string_view key, KeyState& state)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mutex);
  Pending MakeFetch(std::string_view key, KeyState& state) const;

  // The background thread and what only it touches.
  void Run();
  bool Connect();
  // Drops the connection and lets on_error decide until a reconnect succeeds.
  void Degrade(const absl::Status& cause);
  void CollectWanted(std::vector<Pending>& batch);
  void CollectSync(std::vector<Pending>& batch);
  void Send(std::vector<Pending>& batch);
  // One pipelined round trip for `chunk` (two when Redis lost the script); what fails goes
  // back into its keys' state.
  void SendChunk(std::span<Pending> chunk);
  void Apply(const Pending& pending, const LeaseGrant& grant);
  void Restore(std::span<const Pending> pendings);
  void GiveEverythingBack();
  void CountGranted(double tokens);

  const RedisBackendOptions options_;
  const RedisConnectionOptions connection_options_;
  const Clock& clock_;
  RedisBackendStats stats_;
  const std::unique_ptr<LocalBackend> local_;  // on_error == kLocal only
  const std::unique_ptr<WakeupEvent> wakeup_;
  std::array<Shard, kShardCount> shards_;

  std::atomic<bool> degraded_{false};
  std::atomic<int64_t> reconnect_delay_ns_{0};  // what kDeny answers as retry_after
  std::atomic<bool> stopping_{false};

  std::unique_ptr<RedisConnection> connection_;  // null while disconnected
  std::string script_sha_;
  absl::Duration backoff_;
  absl::Time next_connect_;
  double granted_fraction_ = 0;  // tokens_granted counts whole tokens: the rest waits here
  double returned_fraction_ = 0;

  std::thread thread_;  // last: started once everything above is built
};

}  // namespace chaukas::filters::rate_limit
