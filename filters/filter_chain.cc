#include "filters/filter_chain.h"

#include <algorithm>

namespace chaukas::filters {

FilterChain::FilterChain(std::vector<Stage> stages, stats::StatsStore& stats) {
  stages_.reserve(stages.size());
  for (Stage& stage : stages) {
    stats::StatsScope scope(stats, "filter", {{"filter", stage.name}});
    stages_.push_back(CountedStage{
        std::move(stage), scope.GetCounter("requests_denied"), scope.GetCounter("events_dropped"),
        scope.GetCounter("events_rejected"), scope.GetCounter("reads_denied")});
  }
}

ChainOutcome FilterChain::Run(RequestContext& request, const IngestBatch& batch) const {
  ChainOutcome outcome;
  // The events in play and their positions in the request, compacted after each stage.
  std::vector<Event*> in_play(batch.events().begin(), batch.events().end());
  std::vector<size_t> positions(in_play.size());
  for (size_t i = 0; i < positions.size(); ++i) positions[i] = i;

  for (const CountedStage& counted : stages_) {
    EventsInPlay events(batch, in_play);
    outcome.status = counted.stage.filter->OnRequest(request, events);
    if (!outcome.status.ok()) {
      counted.requests_denied.Inc();
      return outcome;
    }
    // Request-hook rejections, by position in play; a later duplicate is ignored.
    std::vector<std::pair<size_t, std::string>>& early = events.rejections();
    std::stable_sort(early.begin(), early.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    auto next_early = early.begin();
    size_t kept = 0;
    for (size_t i = 0; i < in_play.size(); ++i) {
      EventVerdict verdict;
      if (next_early != early.end() && next_early->first == i) {
        verdict = EventVerdict::Reject(std::move(next_early->second));
        while (next_early != early.end() && next_early->first == i) ++next_early;
      } else {
        verdict = counted.stage.filter->OnEvent(request, *in_play[i]);
      }
      switch (verdict.action) {
        case EventAction::kContinue:
          in_play[kept] = in_play[i];
          positions[kept] = positions[i];
          ++kept;
          break;
        case EventAction::kDrop:
          counted.events_dropped.Inc();
          ++outcome.dropped;
          break;
        case EventAction::kReject:
          counted.events_rejected.Inc();
          outcome.rejected.emplace_back(positions[i], std::move(verdict.reason));
          break;
      }
    }
    in_play.resize(kept);
    positions.resize(kept);
  }
  outcome.passed = std::move(positions);
  std::sort(outcome.rejected.begin(), outcome.rejected.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return outcome;
}

absl::Status FilterChain::OnRead(RequestContext& request, ReadRequest& read) const {
  for (const CountedStage& counted : stages_) {
    absl::Status status = counted.stage.filter->OnRead(request, read);
    if (!status.ok()) {
      counted.reads_denied.Inc();
      return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace chaukas::filters
