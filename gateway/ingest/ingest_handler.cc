#include "gateway/ingest/ingest_handler.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gateway/common/strings.h"
#include "gateway/upstream/cluster.h"

namespace chaukas::ingest {
namespace {

using chaukas::spec::common::v1::EventType_Name;

std::string NoRouteReason(const pipeline::Event& event) {
  return absl::StrCat("no route matches tenant_id \"", event.tenant_id(), "\", project_id \"",
                      event.project_id(), "\", type ", EventType_Name(event.type()));
}

}  // namespace

IngestHandler::IngestHandler(const filters::FilterChain& chain, const pipeline::Router& router,
                             stats::StatsStore& stats, stats::EventAggregates& aggregates)
    : chain_(chain),
      router_(router),
      stats_(stats),
      aggregates_(aggregates),
      tenant_counters_(stats),
      unrouted_(stats.GetCounter("router.events_unrouted")),
      grpc_counters_(MakeListenerCounters("grpc")),
      http_counters_(MakeListenerCounters("http")) {}

IngestHandler::ListenerCounters IngestHandler::MakeListenerCounters(
    std::string_view listener) const {
  const stats::Labels labels = {{"listener", std::string(listener)}};
  return {stats_.GetCounter("listener.events_received", labels),
          stats_.GetCounter("listener.events_accepted", labels),
          stats_.GetCounter("listener.events_dropped", labels),
          stats_.GetCounter("listener.events_rejected", labels)};
}

const IngestHandler::ListenerCounters& IngestHandler::CountersFor(
    pipeline::Protocol protocol) const {
  return protocol == pipeline::Protocol::kGrpc ? grpc_counters_ : http_counters_;
}

IngestOutcome IngestHandler::Process(pipeline::IngestBatch& batch) const {
  IngestOutcome outcome;
  pipeline::RequestContext& request = batch.context();
  const ListenerCounters& counters = CountersFor(request.protocol);
  counters.received.Inc(batch.size());

  outcome.status = chain_.OnRequest(request, batch);
  if (!outcome.status.ok()) return outcome;

  // Events per cluster, in request order. Almost always a single cluster.
  std::vector<std::pair<upstream::Cluster*, std::vector<pipeline::Event*>>> routed;
  const std::span<pipeline::Event* const> events = batch.events();
  for (size_t index = 0; index < events.size(); ++index) {
    pipeline::Event& event = *events[index];
    filters::EventVerdict verdict = chain_.OnEvent(request, event);
    if (verdict.action == filters::EventAction::kDrop) {
      ++outcome.dropped;
      continue;
    }
    if (verdict.action == filters::EventAction::kReject) {
      outcome.rejected.push_back({index, event.event_id(), std::move(verdict.reason)});
      continue;
    }
    const pipeline::Route* route = router_.Match(event);
    if (route == nullptr) {
      unrouted_.Inc();
      outcome.rejected.push_back({index, event.event_id(), NoRouteReason(event)});
      continue;
    }
    auto group = std::find_if(routed.begin(), routed.end(),
                              [&](const auto& entry) { return entry.first == route->cluster; });
    if (group == routed.end()) group = routed.insert(routed.end(), {route->cluster, {}});
    group->second.push_back(&event);
  }

  std::vector<pipeline::Event*> enqueued;
  for (auto& [cluster, cluster_events] : routed) {
    outcome.status = cluster->Enqueue(request, cluster_events);
    if (!outcome.status.ok()) break;
    enqueued.insert(enqueued.end(), cluster_events.begin(), cluster_events.end());
  }
  aggregates_.Record(std::span<const pipeline::Event* const>(enqueued.data(), enqueued.size()));
  CountPerTenant(enqueued, outcome.rejected, events);
  if (!outcome.status.ok()) return outcome;

  outcome.accepted = enqueued.size() + outcome.dropped;
  counters.accepted.Inc(enqueued.size());
  counters.dropped.Inc(outcome.dropped);
  counters.rejected.Inc(outcome.rejected.size());
  return outcome;
}

void IngestHandler::CountPerTenant(std::span<pipeline::Event* const> accepted,
                                   const std::vector<RejectedEvent>& rejected,
                                   std::span<pipeline::Event* const> events) const {
  for (const pipeline::Event* event : accepted) {
    tenant_counters_.Accepted(event->tenant_id(), event->type()).Inc();
  }
  for (const RejectedEvent& rejection : rejected) {
    tenant_counters_.Rejected(events[rejection.index]->tenant_id()).Inc();
  }
}

std::string SummarizeRejections(const std::vector<RejectedEvent>& rejected,
                                std::string_view events_path, size_t limit) {
  std::string summary;
  for (size_t i = 0; i < rejected.size() && i < limit; ++i) {
    const RejectedEvent& rejection = rejected[i];
    if (!summary.empty()) summary += "; ";
    absl::StrAppend(&summary, ToAbsl(events_path), "[", rejection.index, "]");
    if (!rejection.event_id.empty()) {
      absl::StrAppend(&summary, " (event_id \"", rejection.event_id, "\")");
    }
    absl::StrAppend(&summary, ": ", rejection.reason);
  }
  if (rejected.size() > limit) {
    absl::StrAppend(&summary, "; and ", rejected.size() - limit, " more");
  }
  return summary;
}

}  // namespace chaukas::ingest
