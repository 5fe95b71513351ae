#include "filters/filter_chain.h"

namespace chaukas::filters {

FilterChain::FilterChain(std::vector<Stage> stages, stats::StatsStore& stats) {
  stages_.reserve(stages.size());
  for (Stage& stage : stages) {
    stats::StatsScope scope(stats, "filter", {{"filter", stage.name}});
    stages_.push_back(CountedStage{std::move(stage), scope.GetCounter("requests_denied"),
                                   scope.GetCounter("events_dropped"),
                                   scope.GetCounter("events_rejected")});
  }
}

absl::Status FilterChain::OnRequest(RequestContext& request, const IngestBatch& batch) const {
  for (const CountedStage& counted : stages_) {
    absl::Status status = counted.stage.filter->OnRequest(request, batch);
    if (!status.ok()) {
      counted.requests_denied.Inc();
      return status;
    }
  }
  return absl::OkStatus();
}

EventVerdict FilterChain::OnEvent(const RequestContext& request, Event& event) const {
  for (const CountedStage& counted : stages_) {
    EventVerdict verdict = counted.stage.filter->OnEvent(request, event);
    switch (verdict.action) {
      case EventAction::kContinue:
        continue;
      case EventAction::kDrop:
        counted.events_dropped.Inc();
        return verdict;
      case EventAction::kReject:
        counted.events_rejected.Inc();
        return verdict;
    }
  }
  return EventVerdict::Continue();
}

}  // namespace chaukas::filters
