#include "filters/filter_chain.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chaukas::filters {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// A filter that answers what it is told and remembers what it saw.
class ScriptedFilter final : public Filter {
 public:
  ScriptedFilter(absl::Status request_status, EventAction action, int* events_seen)
      : request_status_(std::move(request_status)), action_(action), events_seen_(events_seen) {}

  absl::Status OnRequest(RequestContext&, EventsInPlay&) const override { return request_status_; }
  EventVerdict OnEvent(const RequestContext&, Event&) const override {
    ++*events_seen_;
    return {action_, action_ == EventAction::kReject ? "type: bad" : ""};
  }
  absl::Status OnRead(RequestContext&, ReadRequest&) const override { return request_status_; }

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

// A batch of `count` events with event_id "e0", "e1", ...
void AddEvents(pipeline::IngestBatch& batch, int count) {
  for (int i = 0; i < count; ++i) {
    Event* event = batch.Create<Event>();
    event->set_event_id("e" + std::to_string(i));
    batch.AddEvent(event);
  }
}

TEST(FilterChainTest, AnEventStoppedByOneFilterNeverReachesTheNext) {
  stats::StatsStore stats;
  int first_seen = 0;
  int second_seen = 0;
  FilterChain chain(Stages(EventAction::kReject, EventAction::kContinue, &first_seen, &second_seen),
                    stats);
  pipeline::IngestBatch batch({});
  AddEvents(batch, 2);
  const ChainOutcome outcome = chain.Run(batch.context(), batch);
  ASSERT_TRUE(outcome.status.ok());
  EXPECT_THAT(outcome.rejected, ElementsAre(Pair(0, "type: bad"), Pair(1, "type: bad")));
  EXPECT_TRUE(outcome.passed.empty());
  EXPECT_EQ(first_seen, 2);
  EXPECT_EQ(second_seen, 0);
  EXPECT_EQ(stats.ValueOf("filter.events_rejected", {{"filter", "first"}}), 2);
}

TEST(FilterChainTest, ContinuesThroughEveryFilter) {
  stats::StatsStore stats;
  int first_seen = 0;
  int second_seen = 0;
  FilterChain chain(Stages(EventAction::kContinue, EventAction::kDrop, &first_seen, &second_seen),
                    stats);
  pipeline::IngestBatch batch({});
  AddEvents(batch, 3);
  const ChainOutcome outcome = chain.Run(batch.context(), batch);
  EXPECT_EQ(outcome.dropped, 3);
  EXPECT_EQ(second_seen, 3);
  EXPECT_EQ(stats.ValueOf("filter.events_dropped", {{"filter", "second"}}), 3);
}

TEST(FilterChainTest, FirstRequestRefusalEndsTheRequest) {
  stats::StatsStore stats;
  int seen = 0;
  FilterChain chain(Stages(EventAction::kContinue, EventAction::kContinue, &seen, &seen,
                           absl::UnauthenticatedError("no key")),
                    stats);
  pipeline::IngestBatch batch({});
  AddEvents(batch, 1);
  EXPECT_EQ(chain.Run(batch.context(), batch).status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(seen, 0);
  EXPECT_EQ(stats.ValueOf("filter.requests_denied", {{"filter", "first"}}), 1);
}

// Stamps every event's tenant in its event hook.
class StampingFilter final : public Filter {
 public:
  EventVerdict OnEvent(const RequestContext&, Event& event) const override {
    event.set_tenant_id("acme");
    return EventVerdict::Continue();
  }
};

// Rejects, in its request hook, every event in play past the first `admit`, and records the
// tenants it saw there.
class PrefixFilter final : public Filter {
 public:
  PrefixFilter(size_t admit, std::vector<std::string>* tenants_seen)
      : admit_(admit), tenants_seen_(tenants_seen) {}

  absl::Status OnRequest(RequestContext&, EventsInPlay& events) const override {
    for (size_t i = 0; i < events.size(); ++i) {
      tenants_seen_->push_back(events[i].tenant_id());
      if (i >= admit_) events.Reject(i, "rate limited");
    }
    return absl::OkStatus();
  }
  EventVerdict OnEvent(const RequestContext&, Event&) const override {
    return EventVerdict::Continue();
  }

 private:
  size_t admit_;
  std::vector<std::string>* tenants_seen_;
};

TEST(FilterChainTest, RequestHooksSeeTheEventsAsEarlierFiltersLeftThem) {
  stats::StatsStore stats;
  std::vector<std::string> tenants_seen;
  std::vector<FilterChain::Stage> stages;
  stages.push_back({"stamp", std::make_unique<StampingFilter>()});
  stages.push_back({"prefix", std::make_unique<PrefixFilter>(2, &tenants_seen)});
  FilterChain chain(std::move(stages), stats);
  pipeline::IngestBatch batch({});
  AddEvents(batch, 4);

  const ChainOutcome outcome = chain.Run(batch.context(), batch);
  EXPECT_THAT(tenants_seen, ElementsAre("acme", "acme", "acme", "acme"));
  EXPECT_THAT(outcome.passed, ElementsAre(0, 1));
  EXPECT_THAT(outcome.rejected, ElementsAre(Pair(2, "rate limited"), Pair(3, "rate limited")));
  EXPECT_EQ(stats.ValueOf("filter.events_rejected", {{"filter", "prefix"}}), 2);
}

TEST(FilterChainTest, RejectionsKeepTheirPositionInTheRequest) {
  stats::StatsStore stats;
  std::vector<std::string> tenants_seen;
  std::vector<FilterChain::Stage> stages;
  stages.push_back({"first_two", std::make_unique<PrefixFilter>(2, &tenants_seen)});
  stages.push_back({"first_one", std::make_unique<PrefixFilter>(1, &tenants_seen)});
  FilterChain chain(std::move(stages), stats);
  pipeline::IngestBatch batch({});
  AddEvents(batch, 3);

  const ChainOutcome outcome = chain.Run(batch.context(), batch);
  EXPECT_THAT(outcome.passed, ElementsAre(0));
  EXPECT_THAT(outcome.rejected, ElementsAre(Pair(1, "rate limited"), Pair(2, "rate limited")));
}

TEST(FilterChainTest, ReadHooksRunInOrderUntilOneRefuses) {
  stats::StatsStore stats;
  int seen = 0;
  FilterChain chain(Stages(EventAction::kContinue, EventAction::kContinue, &seen, &seen,
                           absl::PermissionDeniedError("not yours")),
                    stats);
  pipeline::IngestBatch batch({});
  ReadRequest read;
  EXPECT_EQ(chain.OnRead(batch.context(), read).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(stats.ValueOf("filter.reads_denied", {{"filter", "first"}}), 1);
}

}  // namespace
}  // namespace chaukas::filters
