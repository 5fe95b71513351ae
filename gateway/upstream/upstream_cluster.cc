#include "gateway/upstream/upstream_cluster.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/post.hpp"
#include "gateway/common/log.h"
#include "gateway/common/stable_hash.h"
#include "gateway/pipeline/ingest_status.h"
#include "gateway/upstream/backoff.h"
#include "gateway/upstream/grpc_transport.h"
#include "gateway/upstream/http_transport.h"

namespace chaukas::upstream {
namespace {

namespace common_v1 = chaukas::spec::common::v1;
namespace server_v1 = chaukas::spec::server::v1;

// Capabilities change rarely; asking the upstream for every client call would be waste.
constexpr absl::Duration kCapabilitiesCacheTtl = absl::Seconds(10);
constexpr absl::Duration kRefusalLogInterval = absl::Seconds(10);
constexpr absl::Duration kMaxRetryAfter = absl::Minutes(5);

std::chrono::steady_clock::duration ToSteady(absl::Duration duration) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(std::max(duration, absl::ZeroDuration())));
}

std::string BatchIdPrefix(const std::string& cluster, RandomSource& random) {
  return absl::StrCat(cluster, "-", absl::Hex(random.NextUint64(), absl::kZeroPad16));
}

}  // namespace

EndpointStats::EndpointStats(stats::StatsStore& store, const std::string& cluster,
                             const std::string& address)
    : requests(
          store.GetCounter("endpoint.requests", {{"cluster", cluster}, {"endpoint", address}})),
      failures(
          store.GetCounter("endpoint.failures", {{"cluster", cluster}, {"endpoint", address}})),
      ejections(
          store.GetCounter("endpoint.ejections", {{"cluster", cluster}, {"endpoint", address}})),
      healthy(store.GetGauge("endpoint.healthy", {{"cluster", cluster}, {"endpoint", address}})),
      ejected(store.GetGauge("endpoint.ejected", {{"cluster", cluster}, {"endpoint", address}})),
      in_flight(
          store.GetGauge("endpoint.in_flight", {{"cluster", cluster}, {"endpoint", address}})) {
  healthy.Set(1);
}

UpstreamCluster::UpstreamCluster(config::ClusterConfig config, stats::StatsStore& stats)
    : config_(std::move(config)),
      stats_store_(stats),
      stats_(stats::StatsScope(stats, "cluster", {{"cluster", config_.name}})),
      batch_id_prefix_(BatchIdPrefix(config_.name, random_)),
      hosts_(config_.upstream.endpoints, config_.upstream.health_check,
             config_.upstream.outlier_detection),
      balancer_(CreateLoadBalancer(config_.upstream.load_balancing, random_)),
      budget_(config_.upstream.retry.budget_percent, config_.upstream.retry.min_retry_concurrency),
      batch_timer_(io_),
      retry_timer_(io_),
      health_timer_(io_),
      sync_timer_(io_),
      ejection_timer_(io_),
      queue_(config_.batch.max_events, config_.batch.max_bytes, config_.upstream.tenant_weights) {
  for (const std::string& address : config_.upstream.endpoints) {
    endpoint_stats_.push_back(std::make_unique<EndpointStats>(stats, config_.name, address));
  }
}

UpstreamCluster::~UpstreamCluster() { Drain(absl::Seconds(10)); }

bool UpstreamCluster::synchronous() const {
  return config_.upstream.delivery == config::Delivery::kSync;
}

absl::Status UpstreamCluster::Start() {
  if (config_.protocol == config::ClusterProtocol::kGrpc) {
    absl::StatusOr<std::unique_ptr<GrpcTransport>> transport = GrpcTransport::Create(config_, io_);
    if (!transport.ok()) return transport.status();
    transport_ = *std::move(transport);
  } else {
    transport_ = std::make_unique<HttpTransport>(config_, io_);
  }
  work_.emplace(io_.get_executor());
  thread_ = std::thread([this] { io_.run(); });
  if (config_.upstream.health_check.enabled) {
    boost::asio::post(io_, [this] { RunHealthChecks(); });
  }
  return absl::OkStatus();
}

absl::Status UpstreamCluster::Enqueue(const pipeline::RequestContext& /*request*/,
                                      std::span<pipeline::Event* const> events,
                                      DeliveryCallback on_delivered) {
  const absl::Time now = absl::Now();
  std::shared_ptr<DeliveryTracker> tracker;
  if (on_delivered) {
    tracker = std::make_shared<DeliveryTracker>(events.size(), std::move(on_delivered));
  }
  const bool hash_sessions = config_.upstream.load_balancing == config::LoadBalancing::kSessionHash;
  std::vector<QueuedEvent> queued(events.size());
  int64_t bytes = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    QueuedEvent& event = queued[i];
    event.bytes = events[i]->SerializeAsString();
    event.event_id = events[i]->event_id();
    if (hash_sessions) event.session_hash = StableHash64(events[i]->session_id());
    event.enqueued = now;
    event.tracker = tracker;
    event.index = i;
    bytes += static_cast<int64_t>(event.bytes.size());
  }

  bool post_pump = false;
  {
    absl::MutexLock lock(&mutex_);
    if (draining_) return absl::UnavailableError("the gateway is shutting down");
    if (pending_bytes_ + bytes > config_.queue_max_bytes && pending_bytes_ > 0) {
      stats_.events_rejected_queue_full.Inc(events.size());
      return pipeline::OverloadError(
          absl::StrCat("high memory usage: cluster ", config_.name, " has ", pending_bytes_,
                       " bytes waiting for its upstream (queue.max_bytes ", config_.queue_max_bytes,
                       "); retry later"));
    }
    const bool was_empty = queue_.empty();
    bool full = false;
    for (size_t i = 0; i < events.size(); ++i) {
      full = queue_.Push(events[i]->tenant_id(), std::move(queued[i])) || full;
    }
    pending_bytes_ += bytes;
    if (tracker) new_trackers_.push_back(tracker);
    post_pump = !pump_posted_ && (was_empty || full);
    pump_posted_ = pump_posted_ || post_pump;
    stats_.queue_events.Set(static_cast<int64_t>(queue_.events()));
    stats_.queue_bytes.Set(pending_bytes_);
  }
  stats_.events_enqueued.Inc(events.size());
  if (post_pump) boost::asio::post(io_, [this] { Pump(); });
  return absl::OkStatus();
}

// --- The cluster's thread ---

bool UpstreamCluster::BatchReady(absl::Time now) const {
  return draining_ || queue_.HasFullBatch() ||
         now >= queue_.OldestEnqueued() + absl::Milliseconds(config_.batch.max_delay_ms);
}

void UpstreamCluster::Pump() {
  const absl::Time now = absl::Now();
  SendRetriesDue(now);
  absl::Time next_batch = absl::InfiniteFuture();
  while (true) {
    UpstreamBatch batch;
    {
      absl::MutexLock lock(&mutex_);
      pump_posted_ = false;
      for (auto& tracker : new_trackers_) {
        sync_deadlines_.emplace(now + absl::Milliseconds(config_.upstream.sync_timeout_ms),
                                tracker);
      }
      new_trackers_.clear();
      if (queue_.empty()) break;
      if (!BatchReady(now)) {
        next_batch = queue_.OldestEnqueued() + absl::Milliseconds(config_.batch.max_delay_ms);
        break;
      }
      if (in_flight_ >= config_.upstream.max_in_flight_batches) {
        stats_.circuit_breaker_open.Inc();
        break;  // a completion pumps again
      }
      batch = queue_.PopBatch();
      stats_.queue_events.Set(static_cast<int64_t>(queue_.events()));
    }
    batch.id = absl::StrCat(batch_id_prefix_, "-", next_batch_number_++);
    SendBatch(std::move(batch));
  }
  if (next_batch != absl::InfiniteFuture()) ArmBatchTimer(next_batch);
  ArmSyncDeadlines();
}

void UpstreamCluster::ArmBatchTimer(absl::Time when) {
  if (when >= batch_timer_at_) return;  // an earlier wake-up is already set
  batch_timer_at_ = when;
  batch_timer_.expires_after(ToSteady(when - absl::Now()));
  batch_timer_.async_wait([this](boost::system::error_code error) {
    if (error) return;  // cancelled: re-armed earlier, or stopping
    batch_timer_at_ = absl::InfiniteFuture();
    Pump();
  });
}

void UpstreamCluster::SendRetriesDue(absl::Time now) {
  while (!retries_.empty() && retries_.begin()->first <= now) {
    if (in_flight_ >= config_.upstream.max_in_flight_batches) return;  // a completion pumps
    // Without any call in flight a retry always goes: otherwise nothing would ever move.
    if (in_flight_ > 0 && !budget_.CanRetry(in_flight_, retries_in_flight_)) {
      stats_.retries_delayed_by_budget.Inc();
      return;
    }
    UpstreamBatch batch = std::move(retries_.begin()->second);
    retries_.erase(retries_.begin());
    SendBatch(std::move(batch));
  }
  if (retries_.empty()) return;
  retry_timer_.expires_after(ToSteady(retries_.begin()->first - now));
  retry_timer_.async_wait([this](boost::system::error_code error) {
    if (!error) Pump();
  });
}

std::vector<size_t> UpstreamCluster::Candidates(absl::Time now) {
  bool panic = false;
  std::vector<size_t> candidates = hosts_.Available(now, &panic);
  if (panic) stats_.lb_panic.Inc();
  return candidates;
}

void UpstreamCluster::SendBatch(UpstreamBatch batch) {
  const std::vector<size_t> candidates = Candidates(absl::Now());
  if (config_.upstream.load_balancing != config::LoadBalancing::kSessionHash) {
    SendTo(balancer_->Pick(hosts_, candidates, 0), std::move(batch));
    return;
  }
  // Each session's events go to its own endpoint: split the batch where sessions differ.
  std::map<size_t, UpstreamBatch> parts;
  for (QueuedEvent& event : batch.events) {
    UpstreamBatch& part = parts[balancer_->Pick(hosts_, candidates, event.session_hash)];
    part.bytes += static_cast<int64_t>(event.bytes.size());
    part.events.push_back(std::move(event));
  }
  size_t index = 0;
  for (auto& [endpoint, part] : parts) {
    part.id = parts.size() == 1 ? batch.id : absl::StrCat(batch.id, ".", index++);
    part.tenant = batch.tenant;
    part.attempts = batch.attempts;
    SendTo(endpoint, std::move(part));
  }
}

void UpstreamCluster::SendTo(size_t endpoint, UpstreamBatch batch) {
  const bool is_retry = batch.attempts > 0;
  ++batch.attempts;
  ++in_flight_;
  if (is_retry) {
    ++retries_in_flight_;
    stats_.retries.Inc();
  }
  hosts_.OnCallStarted(endpoint);
  EndpointStats& endpoint_stats = *endpoint_stats_[endpoint];
  endpoint_stats.requests.Inc();
  endpoint_stats.in_flight.Set(hosts_.in_flight(endpoint));
  stats_.in_flight_batches.Set(in_flight_);
  stats_.batches_sent.Inc();
  stats_.events_sent.Inc(batch.events.size());

  auto shared = std::make_shared<UpstreamBatch>(std::move(batch));
  const absl::Time started = absl::Now();
  transport_->SendBatch(endpoint, *shared, absl::Milliseconds(config_.upstream.timeout_ms),
                        [this, endpoint, shared, started, is_retry](CallResult result) {
                          OnBatchDone(endpoint, std::move(*shared), result, started, is_retry);
                        });
}

void UpstreamCluster::OnBatchDone(size_t endpoint, UpstreamBatch batch, const CallResult& result,
                                  absl::Time started, bool was_retry) {
  const absl::Time now = absl::Now();
  --in_flight_;
  if (was_retry) --retries_in_flight_;
  hosts_.OnCallFinished(endpoint);
  stats_.in_flight_batches.Set(in_flight_);
  stats_.upstream_latency_us.Record(
      static_cast<uint64_t>(absl::ToInt64Microseconds(now - started)));

  if (result.status.ok()) {
    hosts_.OnCallResult(endpoint, true, now);
    Resolve(batch, result.rejected_event_ids,
            absl::StrCat("rejected by upstream ", hosts_.address(endpoint)));
  } else {
    stats_.upstream_failures.Inc();
    endpoint_stats_[endpoint]->failures.Inc();
    stats_store_
        .GetCounter(
            "cluster.upstream_failures_by_code",
            {{"cluster", config_.name}, {"code", absl::StatusCodeToString(result.status.code())}})
        .Inc();
    if (stopping_ || absl::IsCancelled(result.status)) {
      // Cancelled only comes from the transport shutting down.
      stats_.events_lost_on_shutdown.Inc(batch.events.size());
      Refuse(batch, "the gateway stopped before the upstream answered");
    } else if (!result.retriable) {
      // The upstream answered and refused the batch: it is alive, and a retry would only be
      // refused again.
      hosts_.OnCallResult(endpoint, true, now);
      stats_.events_rejected_by_upstream.Inc(batch.events.size());
      Refuse(batch, std::string(result.status.message()));
    } else {
      if (hosts_.OnCallResult(endpoint, false, now)) {
        stats_.ejections.Inc();
        endpoint_stats_[endpoint]->ejections.Inc();
        Log(LogLevel::kWarning,
            absl::StrCat("cluster ", config_.name, ": ejected ", hosts_.address(endpoint),
                         " until ", absl::FormatTime(hosts_.ejected_until(endpoint)),
                         " after consecutive failures; last: ", result.status.message()));
        ArmEjectionExpiry();
      }
      const int64_t max_attempts = config_.upstream.retry.max_attempts;
      if (max_attempts > 0 && batch.attempts >= max_attempts) {
        stats_.events_dropped_retries_exhausted.Inc(batch.events.size());
        Refuse(batch, absl::StrCat("gave up after ", batch.attempts,
                                   " attempts; last: ", result.status.message()));
      } else {
        ScheduleRetry(std::move(batch), result);
      }
    }
  }
  UpdateEndpointGauges(now);
  if (!stopping_ && !absl::IsCancelled(result.status)) Pump();
}

void UpstreamCluster::ScheduleRetry(UpstreamBatch batch, const CallResult& result) {
  const config::RetryConfig& retry = config_.upstream.retry;
  absl::Duration delay =
      FullJitterBackoff(batch.attempts, absl::Milliseconds(retry.initial_backoff_ms),
                        absl::Milliseconds(retry.max_backoff_ms), random_);
  // Honour the upstream's pushback, but never park a batch longer than kMaxRetryAfter on its
  // word alone.
  if (result.retry_after) delay = std::max(delay, std::min(*result.retry_after, kMaxRetryAfter));
  retries_.emplace(absl::Now() + delay, std::move(batch));
}

void UpstreamCluster::Resolve(const UpstreamBatch& batch,
                              const std::vector<std::string>& rejected_ids,
                              const std::string& rejection_reason) {
  const absl::flat_hash_set<std::string> rejected(rejected_ids.begin(), rejected_ids.end());
  size_t refused = 0;
  for (const QueuedEvent& event : batch.events) {
    if (rejected.contains(event.event_id)) {
      ++refused;
      if (event.tracker) event.tracker->Reject(event.index, rejection_reason);
    } else if (event.tracker) {
      event.tracker->Accept(event.index);
    }
  }
  stats_.events_delivered.Inc(batch.events.size() - refused);
  stats_.events_rejected_by_upstream.Inc(refused);
  ReleaseBytes(batch.bytes);
}

void UpstreamCluster::Refuse(const UpstreamBatch& batch, const std::string& reason) {
  for (const QueuedEvent& event : batch.events) {
    if (event.tracker) event.tracker->Reject(event.index, reason);
  }
  // Only clients in sync mode hear of it; operators learn it from the log and stats. At most
  // one line per kRefusalLogInterval, so a refusing upstream cannot flood the log.
  refused_since_log_ += batch.events.size();
  const absl::Time now = absl::Now();
  if (now - last_refusal_log_ >= kRefusalLogInterval) {
    Log(LogLevel::kError,
        absl::StrCat("cluster ", config_.name, ": ", refused_since_log_,
                     " events not delivered since the last report; latest: ", batch.events.size(),
                     " events of tenant \"", batch.tenant, "\": ", reason));
    last_refusal_log_ = now;
    refused_since_log_ = 0;
  }
  ReleaseBytes(batch.bytes);
}

void UpstreamCluster::ReleaseBytes(int64_t bytes) {
  absl::MutexLock lock(&mutex_);
  pending_bytes_ -= bytes;
  stats_.queue_bytes.Set(pending_bytes_);
}

size_t UpstreamCluster::PickEndpoint(uint64_t session_hash) {
  return balancer_->Pick(hosts_, Candidates(absl::Now()), session_hash);
}

void UpstreamCluster::ArmSyncDeadlines() {
  if (sync_deadlines_.empty() || stopping_) return;
  sync_timer_.expires_after(ToSteady(sync_deadlines_.begin()->first - absl::Now()));
  sync_timer_.async_wait([this](boost::system::error_code error) {
    if (error) return;
    const absl::Time now = absl::Now();
    while (!sync_deadlines_.empty() && sync_deadlines_.begin()->first <= now) {
      if (std::shared_ptr<DeliveryTracker> tracker = sync_deadlines_.begin()->second.lock()) {
        stats_.sync_timeouts.Inc();
        tracker->Fail(absl::DeadlineExceededError(absl::StrCat(
            "cluster ", config_.name, ": the upstream gave no verdict within sync_timeout_ms (",
            config_.upstream.sync_timeout_ms,
            "); the events stay queued and will be delivered at least once")));
      }
      sync_deadlines_.erase(sync_deadlines_.begin());
    }
    ArmSyncDeadlines();
  });
}

void UpstreamCluster::RunHealthChecks() {
  if (stopping_) return;
  const absl::Duration timeout = absl::Milliseconds(config_.upstream.health_check.timeout_ms);
  for (size_t endpoint = 0; endpoint < hosts_.size(); ++endpoint) {
    transport_->CheckHealth(endpoint, timeout, [this, endpoint](bool passed) {
      if (hosts_.OnHealthCheck(endpoint, passed)) {
        Log(passed ? LogLevel::kInfo : LogLevel::kWarning,
            absl::StrCat("cluster ", config_.name, ": ", hosts_.address(endpoint), " is now ",
                         passed ? "healthy" : "unhealthy (failed health checks)"));
      }
      UpdateEndpointGauges(absl::Now());
    });
  }
  health_timer_.expires_after(
      ToSteady(absl::Milliseconds(config_.upstream.health_check.interval_ms)));
  health_timer_.async_wait([this](boost::system::error_code error) {
    if (!error) RunHealthChecks();
  });
}

void UpstreamCluster::UpdateEndpointGauges(absl::Time now) {
  for (size_t endpoint = 0; endpoint < hosts_.size(); ++endpoint) {
    EndpointStats& endpoint_stats = *endpoint_stats_[endpoint];
    endpoint_stats.healthy.Set(hosts_.healthy(endpoint) ? 1 : 0);
    endpoint_stats.ejected.Set(hosts_.ejected(endpoint, now) ? 1 : 0);
    endpoint_stats.in_flight.Set(hosts_.in_flight(endpoint));
  }
}

void UpstreamCluster::ArmEjectionExpiry() {
  const absl::Time now = absl::Now();
  absl::Time next = absl::InfiniteFuture();
  for (size_t endpoint = 0; endpoint < hosts_.size(); ++endpoint) {
    const absl::Time until = hosts_.ejected_until(endpoint);
    if (until > now) next = std::min(next, until);
  }
  if (next == absl::InfiniteFuture() || stopping_) return;
  ejection_timer_.expires_after(ToSteady(next - now));
  ejection_timer_.async_wait([this](boost::system::error_code error) {
    if (error) return;
    UpdateEndpointGauges(absl::Now());
    ArmEjectionExpiry();
  });
}

void UpstreamCluster::StopOnClusterThread() {
  stopping_ = true;
  batch_timer_.cancel();
  retry_timer_.cancel();
  health_timer_.cancel();
  sync_timer_.cancel();
  ejection_timer_.cancel();
  std::vector<UpstreamBatch> left;
  for (auto& [when, batch] : retries_) left.push_back(std::move(batch));
  retries_.clear();
  {
    absl::MutexLock lock(&mutex_);
    while (!queue_.empty()) left.push_back(queue_.PopBatch());
  }
  size_t lost = 0;
  for (const UpstreamBatch& batch : left) {
    lost += batch.events.size();
    for (const QueuedEvent& event : batch.events) {
      if (event.tracker) event.tracker->Fail(absl::UnavailableError("the gateway is stopping"));
    }
    ReleaseBytes(batch.bytes);
  }
  if (lost > 0) {
    stats_.events_lost_on_shutdown.Inc(lost);
    Log(LogLevel::kError, absl::StrCat("cluster ", config_.name, ": drain timed out with ", lost,
                                       " events not delivered to the upstream"));
  }
}

// --- Any thread ---

void UpstreamCluster::Drain(absl::Duration timeout) {
  if (!thread_.joinable()) return;
  {
    absl::MutexLock lock(&mutex_);
    draining_ = true;
  }
  boost::asio::post(io_, [this] { Pump(); });
  {
    absl::MutexLock lock(&mutex_);
    const auto delivered = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
      return pending_bytes_ == 0;
    };
    mutex_.AwaitWithTimeout(absl::Condition(&delivered), timeout);
  }
  boost::asio::post(io_, [this] { StopOnClusterThread(); });
  // Cancels the calls still in flight; their completions run on the cluster's thread, which
  // counts them lost, and then it runs out of work and ends.
  transport_->Shutdown();
  work_.reset();
  thread_.join();
}

void UpstreamCluster::QueryEvents(const common_v1::QueryRequest& request,
                                  ReadCallback<common_v1::QueryResponse> done) {
  if (!RunningOrRefuse(done)) return;
  boost::asio::post(io_, [this, request, done = std::move(done)]() mutable {
    transport_->QueryEvents(PickEndpoint(StableHash64(request.filter().session_id())), request,
                            absl::Milliseconds(config_.upstream.timeout_ms), std::move(done));
  });
}

void UpstreamCluster::GetCapabilities(ReadCallback<common_v1::Capabilities> done) {
  if (!RunningOrRefuse(done)) return;
  boost::asio::post(io_, [this, done = std::move(done)]() mutable {
    if (capabilities_ && absl::Now() - capabilities_->first < kCapabilitiesCacheTtl) {
      return done(capabilities_->second);
    }
    transport_->GetCapabilities(
        PickEndpoint(0), absl::Milliseconds(config_.upstream.timeout_ms),
        [this, done = std::move(done)](absl::StatusOr<common_v1::Capabilities> result) {
          if (result.ok()) capabilities_.emplace(absl::Now(), *result);
          done(std::move(result));
        });
  });
}

void UpstreamCluster::GetEventStats(const server_v1::GetEventStatsRequest& request,
                                    ReadCallback<server_v1::GetEventStatsResponse> done) {
  if (!RunningOrRefuse(done)) return;
  boost::asio::post(io_, [this, request, done = std::move(done)]() mutable {
    transport_->GetEventStats(PickEndpoint(0), request,
                              absl::Milliseconds(config_.upstream.timeout_ms), std::move(done));
  });
}

template <typename Callback>
bool UpstreamCluster::RunningOrRefuse(Callback& done) {
  {
    absl::MutexLock lock(&mutex_);
    if (thread_.joinable() && !draining_) return true;
  }
  done(absl::UnavailableError(absl::StrCat("cluster ", config_.name, " is not running")));
  return false;
}

std::string UpstreamCluster::DescribeForAdmin() const {
  const std::string& name = config_.name;
  std::string text = absl::StrCat(
      name, "::protocol::", config_.protocol == config::ClusterProtocol::kGrpc ? "grpc" : "http",
      "\n", name, "::queue_events::", stats_.queue_events.value(), "\n", name,
      "::queue_bytes::", stats_.queue_bytes.value(), "\n", name,
      "::in_flight_batches::", stats_.in_flight_batches.value(), "\n", name,
      "::events_delivered::", stats_.events_delivered.value(), "\n", name,
      "::retries::", stats_.retries.value(), "\n");
  for (size_t endpoint = 0; endpoint < endpoint_stats_.size(); ++endpoint) {
    const EndpointStats& endpoint_stats = *endpoint_stats_[endpoint];
    const std::string prefix = absl::StrCat(name, "::", config_.upstream.endpoints[endpoint], "::");
    absl::StrAppend(&text, prefix,
                    "health::", endpoint_stats.healthy.value() != 0 ? "healthy" : "unhealthy", "\n",
                    prefix, "ejected::", endpoint_stats.ejected.value() != 0 ? "true" : "false",
                    "\n", prefix, "in_flight::", endpoint_stats.in_flight.value(), "\n", prefix,
                    "requests::", endpoint_stats.requests.value(), "\n", prefix,
                    "failures::", endpoint_stats.failures.value(), "\n", prefix,
                    "ejections::", endpoint_stats.ejections.value(), "\n");
  }
  return text;
}

}  // namespace chaukas::upstream
