#include "filters/rate_limit/redis/redis_backend.h"

#include <pthread.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "gateway/common/log.h"
#include "gateway/common/strings.h"

namespace chaukas::filters::rate_limit {
namespace {

// Rates and bursts beyond this are clamped to it: as good as unlimited, and still a number
// that doubles, Lua and Redis hold exactly (an infinite one would turn the bucket into NaN).
constexpr double kMaxTokens = 1e15;

// One pipeline's worth of keys: bounds the size of a write and of the replies held at once.
constexpr size_t kMaxPipeline = 512;

// Tokens can come back sooner than the refill says (another replica gives back an idle lease,
// the limit is raised), so a key Redis ran short for asks again at least this often.
constexpr absl::Duration kMaxFetchWait = absl::Seconds(1);

// A refused call that only waits for a fetch in flight is told to retry after this, not 0.
constexpr absl::Duration kMinRetryAfter = absl::Milliseconds(1);

// The limit with LocalBackend's meaning for bad numbers (negative or NaN count as 0), and
// clamped to kMaxTokens.
struct Shape {
  double rate_per_second;
  double burst;
};

double Sanitized(double value) { return value >= 0 ? std::min(value, kMaxTokens) : 0; }

Shape ShapeOf(const BucketLimit& limit) {
  return {Sanitized(limit.rate_per_second), Sanitized(limit.burst)};
}

// As LocalBackend: rounding dust of fractional costs must not refuse the last of them.
double Tolerance(double burst) { return 1e-9 * std::max(1.0, burst); }

absl::Duration TimeToAdd(double missing, double rate_per_second) {
  if (!(missing > 0)) return absl::ZeroDuration();
  if (!(rate_per_second > 0)) return absl::InfiniteDuration();
  return absl::Seconds(missing / rate_per_second);
}

absl::Status MustBePositive(std::string_view field, absl::Duration value) {
  if (value > absl::ZeroDuration()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(ToAbsl(field), ": must be > 0, got ", absl::FormatDuration(value)));
}

}  // namespace

std::string_view OnRedisErrorName(OnRedisError on_error) {
  switch (on_error) {
    case OnRedisError::kAllow:
      return "allow";
    case OnRedisError::kDeny:
      return "deny";
    case OnRedisError::kLocal:
      return "local";
  }
  return "allow";
}

absl::StatusOr<OnRedisError> ParseOnRedisError(std::string_view name) {
  for (OnRedisError on_error : {OnRedisError::kAllow, OnRedisError::kDeny, OnRedisError::kLocal}) {
    if (name == OnRedisErrorName(on_error)) return on_error;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown value \"", ToAbsl(name), "\" (allow | deny | local)"));
}

absl::Status ValidateRedisBackendOptions(const RedisBackendOptions& options) {
  if (absl::StatusOr<RedisAddress> address = ParseRedisAddress(options.address); !address.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("address: ", address.status().message()));
  }
  const std::pair<std::string_view, absl::Duration> durations[] = {
      {"connect_timeout", options.connect_timeout},
      {"command_timeout", options.command_timeout},
      {"lease", options.lease},
      {"sync_interval", options.sync_interval},
      {"idle_timeout", options.idle_timeout},
      {"reconnect_initial_backoff", options.reconnect_initial_backoff},
      {"reconnect_max_backoff", options.reconnect_max_backoff},
  };
  for (const auto& [field, value] : durations) {
    if (absl::Status status = MustBePositive(field, value); !status.ok()) return status;
  }
  if (options.reconnect_max_backoff < options.reconnect_initial_backoff) {
    return absl::InvalidArgumentError(
        "reconnect_max_backoff: must be >= reconnect_initial_backoff");
  }
  if (options.db < 0) {
    return absl::InvalidArgumentError(absl::StrCat("db: must be >= 0, got ", options.db));
  }
  return absl::OkStatus();
}

RedisBackendStats::RedisBackendStats(const stats::StatsScope& scope)
    : latency_us(scope.GetHistogram("redis.latency_us")),
      errors(scope.GetCounter("redis.errors")),
      degraded(scope.GetGauge("redis.degraded")),
      leases(scope.GetCounter("redis.leases")),
      tokens_granted(scope.GetCounter("redis.tokens_granted")),
      tokens_returned(scope.GetCounter("redis.tokens_returned")) {}

absl::StatusOr<std::unique_ptr<RedisBackend>> RedisBackend::Create(RedisBackendOptions options,
                                                                   const Clock& clock,
                                                                   const stats::StatsScope& scope) {
  if (absl::Status status = ValidateRedisBackendOptions(options); !status.ok()) return status;
  absl::StatusOr<RedisAddress> address = ParseRedisAddress(options.address);
  if (!address.ok()) return address.status();
  absl::StatusOr<std::unique_ptr<WakeupEvent>> wakeup = WakeupEvent::Create();
  if (!wakeup.ok()) return wakeup.status();
  std::unique_ptr<RedisBackend> backend(
      new RedisBackend(std::move(options), *std::move(address), clock, scope, *std::move(wakeup)));
  backend->thread_ = std::thread([raw = backend.get()] { raw->Run(); });
  return backend;
}

RedisBackend::RedisBackend(RedisBackendOptions options, RedisAddress address, const Clock& clock,
                           const stats::StatsScope& scope, std::unique_ptr<WakeupEvent> wakeup)
    : options_(std::move(options)),
      connection_options_{std::move(address), options_.connect_timeout, options_.command_timeout,
                          options_.password, options_.db},
      clock_(clock),
      stats_(scope),
      local_(options_.on_error == OnRedisError::kLocal
                 ? std::make_unique<LocalBackend>(clock, options_.idle_timeout)
                 : nullptr),
      wakeup_(std::move(wakeup)),
      backoff_(options_.reconnect_initial_backoff),
      next_connect_(absl::Now()) {
  reconnect_delay_ns_.store(absl::ToInt64Nanoseconds(backoff_), std::memory_order_relaxed);
  stats_.degraded.Set(0);
}

RedisBackend::~RedisBackend() {
  stopping_.store(true, std::memory_order_release);
  wakeup_->Notify();
  if (thread_.joinable()) thread_.join();
}

RedisBackend::Shard& RedisBackend::ShardFor(std::string_view key) {
  // The top bits, as LocalBackend does: the shard's map uses the low bits of the same hash.
  const uint64_t hash = absl::Hash<absl::string_view>{}(ToAbsl(key));
  static_assert(kShardCount == 64);
  return shards_[hash >> 58];
}

double RedisBackend::TargetTokens(const KeyState& state) const {
  const double lease = std::min(
      std::max(state.rate_per_second * absl::ToDoubleSeconds(options_.lease), 1.0), state.burst);
  return std::max(lease, state.wanted_cost);
}

bool RedisBackend::NeedsFetch(const KeyState& state, absl::Time now) const {
  if (state.queued || now < state.fetch_not_before) return false;
  // Under half a lease, so the next lease is normally there before this one runs out.
  const double target = TargetTokens(state);
  return state.tokens < target / 2 || state.tokens < state.wanted_cost;
}

void RedisBackend::Queue(Shard& shard, std::string_view key, KeyState& state) {
  state.queued = true;
  shard.wanted.emplace_back(key);
}

RedisBackend::Pending RedisBackend::MakeFetch(std::string_view key, KeyState& state) const {
  Pending pending;
  pending.key = std::string(key);
  pending.charged_debt = state.debt;
  state.debt = 0;
  pending.request.redis_key = absl::StrCat(options_.key_prefix, ToAbsl(key));
  pending.request.rate_per_second = state.rate_per_second;
  pending.request.burst = state.burst;
  pending.request.requested = std::max(TargetTokens(state) - state.tokens, 0.0);
  pending.request.debt = pending.charged_debt;
  state.queued = true;
  return pending;
}

AcquireResult RedisBackend::TryAcquire(std::string_view key, const BucketLimit& limit,
                                       double cost) {
  // NaN is refused (as if infinite), negative takes nothing: LocalBackend's meaning.
  if (std::isnan(cost)) cost = std::numeric_limits<double>::infinity();
  cost = std::max(cost, 0.0);
  if (degraded()) return DecideDegraded(key, limit, cost);

  const Shape shape = ShapeOf(limit);
  Shard& shard = ShardFor(key);
  AcquireResult result;
  bool wake = false;
  {
    absl::MutexLock lock(&shard.mutex);
    const absl::Time now = clock_.Now();
    auto it = shard.keys.find(ToAbsl(key));
    if (it == shard.keys.end()) {
      KeyState fresh;
      fresh.rate_per_second = shape.rate_per_second;
      fresh.burst = shape.burst;
      // The starting credit: one lease now, charged to Redis by the first fetch.
      fresh.tokens = TargetTokens(fresh);
      fresh.debt = fresh.tokens;
      fresh.redis_tokens = shape.burst - fresh.tokens;
      fresh.redis_tokens_at = now;
      it = shard.keys.emplace(std::string(key), fresh).first;
    }
    KeyState& state = it->second;
    state.rate_per_second = shape.rate_per_second;
    state.burst = shape.burst;
    state.last_used = now;

    const double tolerance = Tolerance(shape.burst);
    if (std::isfinite(cost) && cost <= shape.burst + tolerance &&
        cost <= state.tokens + tolerance) {
      state.tokens = std::max(state.tokens - cost, 0.0);
      state.wanted_cost = 0;
      result.allowed = true;
    } else if (cost <= shape.burst) {
      state.wanted_cost = std::max(state.wanted_cost, cost);
    }

    // What this replica can still count on: its lease, plus Redis's bucket as last seen and
    // refilled since (other replicas may have taken some: an estimate).
    const double redis_now = std::min(
        state.redis_tokens + shape.rate_per_second *
                                 std::max(absl::ToDoubleSeconds(now - state.redis_tokens_at), 0.0),
        shape.burst);
    const double available = state.tokens + redis_now;
    result.remaining = std::clamp(available, 0.0, shape.burst);
    result.reset = TimeToAdd(shape.burst - available, shape.rate_per_second);
    if (!result.allowed) {
      // A cost above burst can never pass: it is told the time until the bucket is full.
      result.retry_after =
          std::max(TimeToAdd(std::min(cost, shape.burst) - available, shape.rate_per_second),
                   kMinRetryAfter);
    }

    if (NeedsFetch(state, now) || (state.debt != 0 && !state.queued)) {
      Queue(shard, key, state);
      wake = true;
    }
  }
  if (wake) wakeup_->Notify();
  return result;
}

void RedisBackend::Refund(std::string_view key, const BucketLimit& limit, double cost) {
  if (!(cost > 0)) return;
  if (degraded()) {
    if (local_ != nullptr) local_->Refund(key, limit, cost);
    return;
  }
  const Shape shape = ShapeOf(limit);
  Shard& shard = ShardFor(key);
  absl::MutexLock lock(&shard.mutex);
  const auto it = shard.keys.find(ToAbsl(key));
  if (it == shard.keys.end()) return;
  KeyState& state = it->second;
  state.tokens = std::min(state.tokens + cost, shape.burst);
  state.last_used = clock_.Now();
}

AcquireResult RedisBackend::DecideDegraded(std::string_view key, const BucketLimit& limit,
                                           double cost) {
  const Shape shape = ShapeOf(limit);
  AcquireResult result;
  switch (options_.on_error) {
    case OnRedisError::kAllow:
      // Not limited while Redis is away: as if the bucket were full.
      result.allowed = true;
      result.remaining = shape.burst;
      return result;
    case OnRedisError::kDeny:
      result.retry_after = absl::Nanoseconds(reconnect_delay_ns_.load(std::memory_order_relaxed));
      result.reset = result.retry_after;
      return result;
    case OnRedisError::kLocal:
      return local_->TryAcquire(key, limit, cost);
  }
  return result;
}

size_t RedisBackend::key_count() const {
  size_t count = 0;
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mutex);
    count += shard.keys.size();
  }
  return count;
}

// The background thread.

void RedisBackend::Run() {
  pthread_setname_np(pthread_self(), "redis-rate-lim");
  absl::Time next_sync = absl::Now() + options_.sync_interval;
  std::vector<Pending> batch;
  // Right after connecting, keys queued while disconnected are fetched without waiting.
  bool just_connected = false;
  while (!stopping_.load(std::memory_order_acquire)) {
    if (connection_ == nullptr && absl::Now() >= next_connect_) just_connected = Connect();
    if (!just_connected) {
      const absl::Time wake_at =
          connection_ == nullptr ? std::min(next_connect_, next_sync) : next_sync;
      wakeup_->Wait(wake_at - absl::Now());
      if (stopping_.load(std::memory_order_acquire)) break;
    }

    const bool sync_due = absl::Now() >= next_sync;
    if (sync_due) {
      next_sync = absl::Now() + options_.sync_interval;
      if (local_ != nullptr) local_->ExpireIdle();
    }
    // While disconnected, wanted keys stay queued: they are fetched once Redis is back.
    if (connection_ == nullptr) continue;
    batch.clear();
    CollectWanted(batch);
    if (sync_due || just_connected) CollectSync(batch);
    just_connected = false;
    if (!batch.empty()) Send(batch);
  }
  GiveEverythingBack();
}

bool RedisBackend::Connect() {
  absl::StatusOr<std::unique_ptr<RedisConnection>> connection =
      RedisConnection::Connect(connection_options_);
  if (!connection.ok()) {
    stats_.errors.Inc();
    Degrade(connection.status());
    return false;
  }
  // Every connect loads the script: the server may be a new one with an empty script cache.
  absl::StatusOr<RedisReply> loaded =
      (*connection)->Command({"SCRIPT", "LOAD", std::string(LeaseScriptSource())});
  if (!loaded.ok() || loaded->type != RedisReply::Type::kString) {
    stats_.errors.Inc();
    Degrade(loaded.ok() ? absl::UnavailableError(absl::StrCat("redis ", (*connection)->peer(),
                                                              ": SCRIPT LOAD: ", loaded->text))
                        : loaded.status());
    return false;
  }
  script_sha_ = loaded->text;
  connection_ = *std::move(connection);
  if (degraded_.exchange(false, std::memory_order_acq_rel)) {
    Log(LogLevel::kInfo, absl::StrCat("rate_limit: redis ", connection_->peer(),
                                      " answers again; leaving on_redis_error"));
  }
  stats_.degraded.Set(0);
  return true;
}

void RedisBackend::Degrade(const absl::Status& cause) {
  connection_.reset();
  next_connect_ = absl::Now() + backoff_;
  reconnect_delay_ns_.store(absl::ToInt64Nanoseconds(backoff_), std::memory_order_relaxed);
  backoff_ = std::min(backoff_ * 2, options_.reconnect_max_backoff);
  if (!degraded_.exchange(true, std::memory_order_acq_rel)) {
    Log(LogLevel::kWarning,
        absl::StrCat("rate_limit: ", cause.message(), "; on_redis_error: ",
                     ToAbsl(OnRedisErrorName(options_.on_error)), " until it answers again"));
  }
  stats_.degraded.Set(1);
}

void RedisBackend::CollectWanted(std::vector<Pending>& batch) {
  std::vector<std::string> wanted;
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mutex);
    if (shard.wanted.empty()) continue;
    wanted.swap(shard.wanted);
    for (const std::string& key : wanted) {
      const auto it = shard.keys.find(key);
      if (it != shard.keys.end()) batch.push_back(MakeFetch(key, it->second));
    }
    wanted.clear();
  }
}

void RedisBackend::CollectSync(std::vector<Pending>& batch) {
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mutex);
    const absl::Time now = clock_.Now();
    for (auto it = shard.keys.begin(); it != shard.keys.end();) {
      KeyState& state = it->second;
      if (state.queued) {
        ++it;
        continue;
      }
      if (now - state.last_used >= options_.idle_timeout) {
        if (state.tokens == 0 && state.debt == 0) {
          shard.keys.erase(it++);
          continue;
        }
        // Idle: give the unused lease back (and settle any debt) rather than let it lapse,
        // so a fleet whose keys come and go does not leak tokens; forgotten once Redis has it.
        Pending pending = MakeFetch(it->first, state);
        pending.give_back = true;
        pending.returned_tokens = state.tokens;
        state.tokens = 0;
        pending.request.requested = 0;
        pending.request.debt = pending.charged_debt - pending.returned_tokens;
        batch.push_back(std::move(pending));
      } else if (NeedsFetch(state, now) || state.debt != 0) {
        batch.push_back(MakeFetch(it->first, state));
      }
      ++it;
    }
  }
}

void RedisBackend::Send(std::vector<Pending>& batch) {
  for (size_t start = 0; start < batch.size(); start += kMaxPipeline) {
    const std::span<Pending> chunk(batch.data() + start,
                                   std::min(kMaxPipeline, batch.size() - start));
    // A chunk that failed dropped the connection: the rest wait for the next one.
    if (connection_ == nullptr) {
      Restore(chunk);
    } else {
      SendChunk(chunk);
    }
  }
}

void RedisBackend::SendChunk(std::span<Pending> chunk) {
  // EVALSHA first; the calls Redis answers NOSCRIPT go again as EVAL, which also puts the
  // script back in the server's cache for the next EVALSHA.
  std::vector<size_t> to_send(chunk.size());
  std::iota(to_send.begin(), to_send.end(), 0);
  absl::Status error_reply;
  for (const std::string_view sha : {std::string_view(script_sha_), std::string_view()}) {
    if (to_send.empty()) break;
    std::vector<std::vector<std::string>> commands;
    commands.reserve(to_send.size());
    for (size_t index : to_send) commands.push_back(LeaseCommand(chunk[index].request, sha));

    const absl::Time start = absl::Now();
    absl::StatusOr<std::vector<RedisReply>> replies = connection_->Pipeline(commands);
    if (!replies.ok()) {
      for (size_t index : to_send) Restore(chunk.subspan(index, 1));
      stats_.errors.Inc();
      Degrade(replies.status());
      return;
    }
    stats_.latency_us.Record(static_cast<uint64_t>(absl::ToInt64Microseconds(absl::Now() - start)));

    std::vector<size_t> no_script;
    for (size_t i = 0; i < to_send.size(); ++i) {
      const size_t index = to_send[i];
      const RedisReply& reply = (*replies)[i];
      if (!sha.empty() && IsNoScriptError(reply)) {
        no_script.push_back(index);
        continue;
      }
      absl::StatusOr<LeaseGrant> grant = ParseLeaseReply(reply);
      if (!grant.ok()) {
        stats_.errors.Inc();
        Restore(chunk.subspan(index, 1));
        if (error_reply.ok()) {
          error_reply = absl::UnavailableError(
              absl::StrCat("redis ", connection_->peer(), ": ", grant.status().message()));
        }
        continue;
      }
      Apply(chunk[index], *grant);
    }
    to_send = std::move(no_script);
  }
  if (!error_reply.ok()) {
    // The server is up but not serving us (OOM, READONLY after a failover, LOADING, NOAUTH,
    // a foreign value under our prefix): degrade and reconnect, which tells when it serves
    // again.
    Degrade(error_reply);
    return;
  }
  backoff_ = options_.reconnect_initial_backoff;
}

void RedisBackend::Apply(const Pending& pending, const LeaseGrant& grant) {
  if (grant.granted > 0) {
    stats_.leases.Inc();
    CountGranted(grant.granted);
  }
  if (pending.returned_tokens > 0) {
    returned_fraction_ += pending.returned_tokens;
    const double whole = std::floor(returned_fraction_);
    stats_.tokens_returned.Inc(static_cast<uint64_t>(whole));
    returned_fraction_ -= whole;
  }
  Shard& shard = ShardFor(pending.key);
  absl::MutexLock lock(&shard.mutex);
  const auto it = shard.keys.find(pending.key);
  if (it == shard.keys.end()) return;
  KeyState& state = it->second;
  const absl::Time now = clock_.Now();
  state.queued = false;
  state.tokens += grant.granted;
  state.redis_tokens = grant.remaining;
  state.redis_tokens_at = now;
  if (grant.granted < pending.request.requested) {
    state.fetch_not_before = now + std::min(grant.wait, kMaxFetchWait);
  }
  // A give-back: forget the key unless it was used meanwhile.
  if (pending.give_back && now - state.last_used >= options_.idle_timeout && state.tokens == 0 &&
      state.debt == 0) {
    shard.keys.erase(it);
  }
}

void RedisBackend::Restore(std::span<const Pending> pendings) {
  for (const Pending& pending : pendings) {
    Shard& shard = ShardFor(pending.key);
    absl::MutexLock lock(&shard.mutex);
    const auto it = shard.keys.find(pending.key);
    if (it == shard.keys.end()) continue;
    KeyState& state = it->second;
    state.queued = false;
    state.debt += pending.charged_debt;
    state.tokens += pending.returned_tokens;
  }
}

void RedisBackend::GiveEverythingBack() {
  if (connection_ == nullptr) return;
  std::vector<LeaseRequest> give_backs;
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mutex);
    for (auto& [key, state] : shard.keys) {
      const double debt = state.debt - state.tokens;
      if (debt == 0) continue;
      give_backs.push_back(LeaseRequest{absl::StrCat(options_.key_prefix, key),
                                        state.rate_per_second, state.burst, 0, debt});
      state.tokens = 0;
      state.debt = 0;
    }
  }
  // The script is loaded again first, in the same round trip: a script cache flushed since
  // would otherwise turn every give-back into NOSCRIPT, with no later round trip to retry.
  std::vector<std::vector<std::string>> commands = {
      {"SCRIPT", "LOAD", std::string(LeaseScriptSource())}};
  for (size_t start = 0; start < give_backs.size(); start += kMaxPipeline) {
    const size_t end = std::min(give_backs.size(), start + kMaxPipeline);
    for (size_t i = start; i < end; ++i) {
      commands.push_back(LeaseCommand(give_backs[i], script_sha_));
    }
    if (!connection_->Pipeline(commands).ok()) {
      stats_.errors.Inc();
      return;
    }
    commands.clear();
  }
}

void RedisBackend::CountGranted(double tokens) {
  granted_fraction_ += tokens;
  const double whole = std::floor(granted_fraction_);
  stats_.tokens_granted.Inc(static_cast<uint64_t>(whole));
  granted_fraction_ -= whole;
}

}  // namespace chaukas::filters::rate_limit
