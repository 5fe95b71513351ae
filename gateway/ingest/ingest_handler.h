#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "filters/filter_chain.h"
#include "gateway/ingest/tenant_counters.h"
#include "gateway/pipeline/ingest_batch.h"
#include "gateway/pipeline/router.h"
#include "gateway/stats/event_aggregates.h"
#include "gateway/stats/stats_store.h"

namespace chaukas::ingest {

struct RejectedEvent {
  size_t index = 0;      // position in the client's request
  std::string event_id;  // as the client sent it (may be empty)
  std::string reason;    // field path inside the event, then what is wrong
};

// What happened to one request.
struct IngestOutcome {
  // Non-OK: the request as a whole was refused (a filter's request hook, a full queue), or
  // a sync upstream gave no verdict in time.
  absl::Status status;
  size_t accepted = 0;  // the gateway took responsibility: queued, or deliberately dropped
  size_t dropped = 0;   // of `accepted`: discarded by a filter (sampling)
  std::vector<RejectedEvent> rejected;  // by a filter, the router, or a sync upstream
};

// Move-only, so front ends can hand over what they answer through (an HTTP Responder).
using IngestCallback = absl::AnyInvocable<void(IngestOutcome)>;

// The one entry point both ingest front ends (gRPC and HTTP) call, on their receiving
// thread: runs the filter chain, routes each event, enqueues per cluster (the route's
// cluster, plus a copy to each mirror), and counts. Safe from any thread.
//
// Stats: listener.events_{received,accepted,dropped,rejected}{listener},
// router.events_unrouted, route.events_matched{route}, route.mirror_events_refused{route},
// tenant.events_accepted{tenant,type}, tenant.events_rejected{tenant}.
class IngestHandler {
 public:
  IngestHandler(const filters::FilterChain& chain, const pipeline::Router& router,
                stats::StatsStore& stats, stats::EventAggregates& aggregates);

  // `done` runs exactly once: before Process returns, unless a route's cluster delivers
  // synchronously; then once every such cluster gave its verdict, on a cluster thread.
  // `batch` is not used after Process returns.
  void Process(pipeline::IngestBatch& batch, IngestCallback done) const;

 private:
  struct ListenerCounters {
    stats::Counter& received;
    stats::Counter& accepted;
    stats::Counter& dropped;
    stats::Counter& rejected;
  };
  ListenerCounters MakeListenerCounters(std::string_view listener) const;
  const ListenerCounters& CountersFor(pipeline::Protocol protocol) const;
  void CountPerTenant(std::span<pipeline::Event* const> accepted,
                      const std::vector<RejectedEvent>& rejected,
                      std::span<pipeline::Event* const> events) const;

  const filters::FilterChain& chain_;
  const pipeline::Router& router_;
  stats::StatsStore& stats_;
  stats::EventAggregates& aggregates_;
  mutable TenantCounters tenant_counters_;
  stats::Counter& unrouted_;
  const ListenerCounters grpc_counters_;
  const ListenerCounters http_counters_;
};

// "<events_path>[3] (event_id \"e-1\"): timestamp: is required; ..." for the first
// `limit` rejections: the text error answers show. `events_path` is where the events sit in
// the client's request ("events" in an HTTP EventBatch, "event_batch.events" in gRPC).
std::string SummarizeRejections(const std::vector<RejectedEvent>& rejected,
                                std::string_view events_path, size_t limit = 5);

}  // namespace chaukas::ingest
