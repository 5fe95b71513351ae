#pragma once

#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "filters/filter.h"
#include "gateway/stats/stats_store.h"

namespace chaukas::filters {

// What the chain made of one request's events.
struct ChainOutcome {
  // Non-OK: a request hook refused the whole request; the other fields are then incomplete.
  absl::Status status;
  // Positions in the request of the events every filter let through, ascending.
  std::vector<size_t> passed;
  size_t dropped = 0;
  // (position in the request, reason), ascending by position.
  std::vector<std::pair<size_t, std::string>> rejected;
};

// The configured filters in order. Counts, per filter, what each one stopped:
// filter.<name>.requests_denied, events_dropped, events_rejected, reads_denied.
class FilterChain {
 public:
  struct Stage {
    std::string name;
    std::unique_ptr<Filter> filter;
  };

  FilterChain(std::vector<Stage> stages, stats::StatsStore& stats);

  // Runs every filter over the request, filter by filter (see Filter): its request hook, then
  // its event hook on each event still in play.
  [[nodiscard]] ChainOutcome Run(RequestContext& request, const IngestBatch& batch) const;

  // The first non-OK OnRead, or OK.
  [[nodiscard]] absl::Status OnRead(RequestContext& request, ReadRequest& read) const;

  size_t size() const { return stages_.size(); }

 private:
  struct CountedStage {
    Stage stage;
    stats::Counter& requests_denied;
    stats::Counter& events_dropped;
    stats::Counter& events_rejected;
    stats::Counter& reads_denied;
  };
  std::vector<CountedStage> stages_;
};

}  // namespace chaukas::filters
