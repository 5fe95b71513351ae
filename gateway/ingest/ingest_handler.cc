#include "gateway/ingest/ingest_handler.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gateway/common/strings.h"
#include "gateway/upstream/cluster.h"

namespace chaukas::ingest {
namespace {

using chaukas::spec::common::v1::EventType_Name;

std::string NoRouteReason(const pipeline::Event& event) {
  return absl::StrCat("no route matches tenant_id \"", event.tenant_id(), "\", project_id \"",
                      event.project_id(), "\", type ", EventType_Name(event.type()));
}

// The events one request hands to one cluster.
struct ClusterShare {
  upstream::Cluster* cluster = nullptr;
  const pipeline::Route* route = nullptr;  // for mirrors: whose copy this is
  std::vector<pipeline::Event*> events;
  std::vector<size_t> indexes;  // each event's position in the request
};

ClusterShare& ShareFor(std::vector<ClusterShare>& shares, upstream::Cluster* cluster,
                       const pipeline::Route* route) {
  for (ClusterShare& share : shares) {
    if (share.cluster == cluster) return share;
  }
  shares.push_back({cluster, route, {}, {}});
  return shares.back();
}

// The outcome of one request while sync clusters are still to give their verdict. The
// request's own part counts as one awaited part, so the callback runs once every part is in,
// on whichever thread brings the last.
class PendingOutcome {
 public:
  explicit PendingOutcome(IngestCallback done) : done_(std::move(done)) {}

  void AwaitOneMore() {
    absl::MutexLock lock(&mutex_);
    ++awaited_;
  }

  // The request's own part, from the receiving thread.
  void Complete(IngestOutcome outcome) {
    std::optional<IngestOutcome> final_outcome;
    {
      absl::MutexLock lock(&mutex_);
      local_ = std::move(outcome);
      final_outcome = PartDone();
    }
    if (final_outcome) done_(*std::move(final_outcome));
  }

  // A sync cluster's verdict on the events it was given (their request positions and ids).
  void Merge(const upstream::DeliveryReport& report, const std::vector<size_t>& indexes,
             const std::vector<std::string>& event_ids) {
    std::optional<IngestOutcome> final_outcome;
    {
      absl::MutexLock lock(&mutex_);
      for (const auto& [position, reason] : report.rejected) {
        upstream_rejected_.push_back({indexes[position], event_ids[position], reason});
      }
      if (!report.status.ok() && upstream_status_.ok()) upstream_status_ = report.status;
      final_outcome = PartDone();
    }
    if (final_outcome) done_(*std::move(final_outcome));
  }

 private:
  // The combined outcome once the last awaited part is in.
  std::optional<IngestOutcome> PartDone() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (--awaited_ > 0) return std::nullopt;
    IngestOutcome outcome = std::move(local_);
    if (outcome.status.ok()) outcome.status = upstream_status_;
    outcome.accepted -= std::min(outcome.accepted, upstream_rejected_.size());
    outcome.rejected.insert(outcome.rejected.end(), upstream_rejected_.begin(),
                            upstream_rejected_.end());
    std::sort(outcome.rejected.begin(), outcome.rejected.end(),
              [](const RejectedEvent& a, const RejectedEvent& b) { return a.index < b.index; });
    return outcome;
  }

  absl::Mutex mutex_;
  int awaited_ ABSL_GUARDED_BY(mutex_) = 1;
  IngestOutcome local_ ABSL_GUARDED_BY(mutex_);
  std::vector<RejectedEvent> upstream_rejected_ ABSL_GUARDED_BY(mutex_);
  absl::Status upstream_status_ ABSL_GUARDED_BY(mutex_);
  IngestCallback done_;  // called once, by whoever completes the last part
};

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

void IngestHandler::Process(pipeline::IngestBatch& batch, IngestCallback done) const {
  auto pending = std::make_shared<PendingOutcome>(std::move(done));
  IngestOutcome outcome;
  pipeline::RequestContext& request = batch.context();
  const ListenerCounters& counters = CountersFor(request.protocol);
  counters.received.Inc(batch.size());

  filters::ChainOutcome filtered = chain_.Run(request, batch);
  outcome.status = std::move(filtered.status);
  if (!outcome.status.ok()) return pending->Complete(std::move(outcome));
  outcome.dropped = filtered.dropped;
  const std::span<pipeline::Event* const> events = batch.events();
  for (auto& [index, reason] : filtered.rejected) {
    outcome.rejected.push_back({index, events[index]->event_id(), std::move(reason)});
  }

  std::vector<ClusterShare> primaries;
  std::vector<ClusterShare> mirrors;
  for (const size_t index : filtered.passed) {
    pipeline::Event& event = *events[index];
    const pipeline::Route* route = router_.Match(event);
    if (route == nullptr) {
      unrouted_.Inc();
      outcome.rejected.push_back({index, event.event_id(), NoRouteReason(event)});
      continue;
    }
    route->events_matched->Inc();
    ClusterShare& primary = ShareFor(primaries, route->cluster, route);
    primary.events.push_back(&event);
    primary.indexes.push_back(index);
    for (upstream::Cluster* mirror : route->mirrors) {
      ClusterShare& copy = ShareFor(mirrors, mirror, route);
      copy.events.push_back(&event);
      copy.indexes.push_back(index);
    }
  }

  std::vector<pipeline::Event*> enqueued;
  for (ClusterShare& share : primaries) {
    upstream::DeliveryCallback on_delivered;
    if (share.cluster->synchronous()) {
      std::vector<std::string> event_ids;
      for (const pipeline::Event* event : share.events) event_ids.push_back(event->event_id());
      on_delivered = [pending, indexes = share.indexes,
                      event_ids = std::move(event_ids)](upstream::DeliveryReport report) {
        pending->Merge(report, indexes, event_ids);
      };
      pending->AwaitOneMore();
    }
    outcome.status = share.cluster->Enqueue(request, share.events, std::move(on_delivered));
    if (!outcome.status.ok()) {
      // The callback was dropped with the refused events: nothing more to wait for.
      if (share.cluster->synchronous()) pending->Merge({}, {}, {});
      break;
    }
    enqueued.insert(enqueued.end(), share.events.begin(), share.events.end());
  }
  // A mirror's copy is best effort: its failure never fails the request.
  for (ClusterShare& copy : mirrors) {
    if (!outcome.status.ok()) break;
    if (!copy.cluster->Enqueue(request, copy.events, nullptr).ok()) {
      stats_
          .GetCounter("route.mirror_events_refused",
                      {{"route", copy.route->name}, {"cluster", copy.cluster->name()}})
          .Inc(copy.events.size());
    }
  }
  aggregates_.Record(std::span<const pipeline::Event* const>(enqueued.data(), enqueued.size()));
  CountPerTenant(enqueued, outcome.rejected, events);
  if (outcome.status.ok()) {
    outcome.accepted = enqueued.size() + outcome.dropped;
    counters.accepted.Inc(enqueued.size());
    counters.dropped.Inc(outcome.dropped);
    counters.rejected.Inc(outcome.rejected.size());
  }
  pending->Complete(std::move(outcome));
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
