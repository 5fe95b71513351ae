#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "config/gateway_config.h"
#include "gateway/common/random_source.h"
#include "gateway/stats/stats_macros.h"
#include "gateway/upstream/cluster.h"
#include "gateway/upstream/fair_queue.h"
#include "gateway/upstream/host_set.h"
#include "gateway/upstream/load_balancer.h"
#include "gateway/upstream/retry_budget.h"
#include "gateway/upstream/upstream_transport.h"

namespace chaukas::upstream {

#define CHAUKAS_UPSTREAM_CLUSTER_COUNTERS(COUNTER) \
  COUNTER(events_enqueued)                         \
  COUNTER(events_rejected_queue_full)              \
  COUNTER(batches_sent)                            \
  COUNTER(events_sent)                             \
  COUNTER(events_delivered)                        \
  COUNTER(events_rejected_by_upstream)             \
  COUNTER(events_dropped_retries_exhausted)        \
  COUNTER(events_lost_on_shutdown)                 \
  COUNTER(retries)                                 \
  COUNTER(retries_delayed_by_budget)               \
  COUNTER(upstream_failures)                       \
  COUNTER(ejections)                               \
  COUNTER(circuit_breaker_open)                    \
  COUNTER(lb_panic)                                \
  COUNTER(sync_timeouts)
#define CHAUKAS_UPSTREAM_CLUSTER_GAUGES(GAUGE) \
  GAUGE(queue_events)                          \
  GAUGE(queue_bytes)                           \
  GAUGE(in_flight_batches)

struct UpstreamClusterStats {
  explicit UpstreamClusterStats(stats::StatsScope scope) : scope_(std::move(scope)) {}
  stats::StatsScope scope_;
  CHAUKAS_UPSTREAM_CLUSTER_COUNTERS(CHAUKAS_STATS_COUNTER)
  CHAUKAS_UPSTREAM_CLUSTER_GAUGES(CHAUKAS_STATS_GAUGE)
  stats::Histogram& upstream_latency_us = scope_.GetHistogram("upstream_latency_us");
};

// The stats of one endpoint, under "endpoint." with labels {cluster, endpoint}.
struct EndpointStats {
  EndpointStats(stats::StatsStore& store, const std::string& cluster, const std::string& address);
  stats::Counter& requests;
  stats::Counter& failures;
  stats::Counter& ejections;
  stats::Gauge& healthy;
  stats::Gauge& ejected;
  stats::Gauge& in_flight;
};

// A cluster of upstream Chaukas backends (protocol grpc or http).
//
// Ingest threads serialize their events once and queue them (a FairQueue: per tenant,
// weighted round robin), bounded by queue.max_bytes: past it, the overload answer. The
// cluster's own thread (one io_context) forms batches of one tenant (batch.max_events /
// max_bytes, or once the oldest event waited max_delay_ms), picks an endpoint (the load
// balancer, among endpoints healthy by active checks and not ejected by outlier detection),
// and sends with a per-call timeout, at most max_in_flight_batches at once (the circuit
// breaker). A retriable failure is retried with full-jitter backoff (or the upstream's own
// pushback) within the retry budget, as long as retry.max_attempts allows: the batch keeps
// its id and tenant, and with session_hash its sessions' endpoints. Events stay counted
// against the queue until the upstream has them, so an outage fills the queue and clients
// get the overload answer instead of anything being dropped.
//
// Sync delivery: the Enqueue that passed a callback gets the upstream's verdict per event,
// or a DeadlineExceeded report after sync_timeout_ms (the events still go on).
class UpstreamCluster final : public Cluster {
 public:
  UpstreamCluster(config::ClusterConfig config, stats::StatsStore& stats);
  ~UpstreamCluster() override;

  const std::string& name() const override { return config_.name; }
  [[nodiscard]] absl::Status Start() override;
  bool synchronous() const override;
  [[nodiscard]] absl::Status Enqueue(const pipeline::RequestContext& request,
                                     std::span<pipeline::Event* const> events,
                                     DeliveryCallback on_delivered) override;
  void Drain(absl::Duration timeout) override;
  void QueryEvents(const chaukas::spec::common::v1::QueryRequest& request,
                   ReadCallback<chaukas::spec::common::v1::QueryResponse> done) override;
  void GetCapabilities(ReadCallback<chaukas::spec::common::v1::Capabilities> done) override;
  void GetEventStats(const chaukas::spec::server::v1::GetEventStatsRequest& request,
                     ReadCallback<chaukas::spec::server::v1::GetEventStatsResponse> done) override;
  std::string DescribeForAdmin() const override;

 private:
  // --- on the cluster's thread ---
  void Pump();
  bool BatchReady(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void ArmBatchTimer(absl::Time when);
  void SendRetriesDue(absl::Time now);
  void SendBatch(UpstreamBatch batch);
  void SendTo(size_t endpoint, UpstreamBatch batch);
  void OnBatchDone(size_t endpoint, UpstreamBatch batch, const CallResult& result,
                   absl::Time started, bool was_retry);
  void ScheduleRetry(UpstreamBatch batch, const CallResult& result);
  // The upstream answered: every event of `batch` is delivered, except those it refused by
  // id. Releases the batch's queue bytes.
  void Resolve(const UpstreamBatch& batch, const std::vector<std::string>& rejected_ids,
               const std::string& rejection_reason);
  // `batch` will not be delivered (refused whole, retries exhausted, stopping): tells sync
  // clients, logs (rate-limited) and releases its queue bytes. Callers count it.
  void Refuse(const UpstreamBatch& batch, const std::string& reason);
  void ReleaseBytes(int64_t bytes);
  // False (after answering `done` with Unavailable) when the cluster is not running.
  template <typename Callback>
  bool RunningOrRefuse(Callback& done);
  std::vector<size_t> Candidates(absl::Time now);
  size_t PickEndpoint(uint64_t session_hash);
  void ArmSyncDeadlines();
  void RunHealthChecks();
  void UpdateEndpointGauges(absl::Time now);
  // Refreshes the endpoint gauges when the next ejection ends: nothing else happens then.
  void ArmEjectionExpiry();
  void StopOnClusterThread();

  const config::ClusterConfig config_;
  stats::StatsStore& stats_store_;
  UpstreamClusterStats stats_;
  std::vector<std::unique_ptr<EndpointStats>> endpoint_stats_;
  SystemRandom random_;
  const std::string batch_id_prefix_;  // unique per cluster and process

  // Declared before everything that posts to it or holds timers on it.
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::unique_ptr<UpstreamTransport> transport_;
  std::thread thread_;

  // The cluster thread's own state.
  HostSet hosts_;
  std::unique_ptr<LoadBalancer> balancer_;
  RetryBudget budget_;
  boost::asio::steady_timer batch_timer_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer health_timer_;
  boost::asio::steady_timer sync_timer_;
  boost::asio::steady_timer ejection_timer_;
  absl::Time batch_timer_at_ = absl::InfiniteFuture();
  bool stopping_ = false;
  int64_t in_flight_ = 0;
  int64_t retries_in_flight_ = 0;
  uint64_t next_batch_number_ = 0;
  std::multimap<absl::Time, UpstreamBatch> retries_;  // by when they may go
  std::multimap<absl::Time, std::weak_ptr<DeliveryTracker>> sync_deadlines_;
  std::optional<std::pair<absl::Time, chaukas::spec::common::v1::Capabilities>> capabilities_;
  absl::Time last_refusal_log_ = absl::InfinitePast();
  size_t refused_since_log_ = 0;

  // Shared with ingest threads.
  mutable absl::Mutex mutex_;
  FairQueue queue_ ABSL_GUARDED_BY(mutex_);
  // Bytes queued, waiting for a retry, or in flight: what queue.max_bytes bounds.
  int64_t pending_bytes_ ABSL_GUARDED_BY(mutex_) = 0;
  bool pump_posted_ ABSL_GUARDED_BY(mutex_) = false;
  bool draining_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<std::shared_ptr<DeliveryTracker>> new_trackers_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace chaukas::upstream
