#pragma once

#include <memory>
#include <string>
#include <vector>

#include "filters/filter.h"
#include "gateway/stats/stats_store.h"

namespace chaukas::filters {

// The configured filters in order. Counts, per filter, what each one stopped:
// filter.<name>.requests_denied, events_dropped, events_rejected.
class FilterChain {
 public:
  struct Stage {
    std::string name;
    std::unique_ptr<Filter> filter;
  };

  FilterChain(std::vector<Stage> stages, stats::StatsStore& stats);

  // The first non-OK OnRequest, or OK.
  [[nodiscard]] absl::Status OnRequest(RequestContext& request, const IngestBatch& batch) const;
  // The first verdict that is not kContinue, or kContinue.
  [[nodiscard]] EventVerdict OnEvent(const RequestContext& request, Event& event) const;

  size_t size() const { return stages_.size(); }

 private:
  struct CountedStage {
    Stage stage;
    stats::Counter& requests_denied;
    stats::Counter& events_dropped;
    stats::Counter& events_rejected;
  };
  std::vector<CountedStage> stages_;
};

}  // namespace chaukas::filters
