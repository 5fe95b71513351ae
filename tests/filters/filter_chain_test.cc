#include "filters/filter_chain.h"

#include "gtest/gtest.h"

namespace chaukas::filters {
namespace {

// A filter that answers what it is told and remembers what it saw.
class ScriptedFilter final : public Filter {
 public:
  ScriptedFilter(absl::Status request_status, EventAction action, int* events_seen)
      : request_status_(std::move(request_status)), action_(action), events_seen_(events_seen) {}

  absl::Status OnRequest(RequestContext&, const IngestBatch&) const override {
    return request_status_;
  }
  EventVerdict OnEvent(const RequestContext&, Event&) const override {
    ++*events_seen_;
    return {action_, action_ == EventAction::kReject ? "type: bad" : ""};
  }

 private:
  absl::Status request_status_;
  EventAction action_;
  int* events_seen_;
};

std::vector<FilterChain::Stage> Stages(EventAction first, EventAction second, int* first_seen,
                                       int* second_seen,
                                       absl::Status first_request = absl::OkStatus()) {
  std::vector<FilterChain::Stage> stages;
  stages.push_back(
      {"first", std::make_unique<ScriptedFilter>(std::move(first_request), first, first_seen)});
  stages.push_back(
      {"second", std::make_unique<ScriptedFilter>(absl::OkStatus(), second, second_seen)});
  return stages;
}

TEST(FilterChainTest, RunsFiltersInOrderUntilOneStopsTheEvent) {
  stats::StatsStore stats;
  int first_seen = 0;
  int second_seen = 0;
  FilterChain chain(Stages(EventAction::kReject, EventAction::kContinue, &first_seen, &second_seen),
                    stats);
  pipeline::IngestBatch batch({});
  Event event;
  const EventVerdict verdict = chain.OnEvent(batch.context(), event);
  EXPECT_EQ(verdict.action, EventAction::kReject);
  EXPECT_EQ(verdict.reason, "type: bad");
  EXPECT_EQ(first_seen, 1);
  EXPECT_EQ(second_seen, 0);
  EXPECT_EQ(stats.ValueOf("filter.events_rejected", {{"filter", "first"}}), 1);
}

TEST(FilterChainTest, ContinuesThroughEveryFilter) {
  stats::StatsStore stats;
  int first_seen = 0;
  int second_seen = 0;
  FilterChain chain(Stages(EventAction::kContinue, EventAction::kDrop, &first_seen, &second_seen),
                    stats);
  pipeline::IngestBatch batch({});
  Event event;
  EXPECT_EQ(chain.OnEvent(batch.context(), event).action, EventAction::kDrop);
  EXPECT_EQ(second_seen, 1);
  EXPECT_EQ(stats.ValueOf("filter.events_dropped", {{"filter", "second"}}), 1);
}

TEST(FilterChainTest, FirstRequestRefusalEndsTheRequest) {
  stats::StatsStore stats;
  int seen = 0;
  FilterChain chain(Stages(EventAction::kContinue, EventAction::kContinue, &seen, &seen,
                           absl::UnauthenticatedError("no key")),
                    stats);
  pipeline::IngestBatch batch({});
  EXPECT_EQ(chain.OnRequest(batch.context(), batch).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(stats.ValueOf("filter.requests_denied", {{"filter", "first"}}), 1);
}

}  // namespace
}  // namespace chaukas::filters
