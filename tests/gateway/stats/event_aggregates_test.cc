#include "gateway/stats/event_aggregates.h"

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/manual_clock.h"

namespace chaukas::stats {
namespace {

using ::chaukas::spec::common::v1::Event;
using ::chaukas::spec::common::v1::EventType;
using ::chaukas::spec::server::v1::GetEventStatsRequest;
using ::chaukas::spec::server::v1::GetEventStatsResponse;
using ::testing::DoubleEq;
using ::testing::DoubleNear;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

using enum ::chaukas::spec::common::v1::EventType;

// On a minute boundary, so bucket starts are easy to reason about.
const absl::Time kNow = absl::FromUnixSeconds(28'333'334LL * 60);

google::protobuf::Timestamp ToProto(absl::Time time) {
  google::protobuf::Timestamp timestamp;
  const absl::Duration since_epoch = time - absl::UnixEpoch();
  timestamp.set_seconds(absl::ToInt64Seconds(since_epoch));
  timestamp.set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(since_epoch - absl::Seconds(timestamp.seconds()))));
  return timestamp;
}

Event MakeEvent(std::string tenant, std::string project, EventType type, absl::Time time,
                std::string session = "") {
  Event event;
  event.set_tenant_id(std::move(tenant));
  event.set_project_id(std::move(project));
  event.set_type(type);
  event.set_session_id(std::move(session));
  *event.mutable_timestamp() = ToProto(time);
  return event;
}

GetEventStatsRequest MakeQuery(std::string tenant, std::string project,
                               std::optional<absl::Time> start = std::nullopt,
                               std::optional<absl::Time> end = std::nullopt) {
  GetEventStatsRequest request;
  request.set_tenant_id(std::move(tenant));
  request.set_project_id(std::move(project));
  if (start) *request.mutable_time_range()->mutable_start() = ToProto(*start);
  if (end) *request.mutable_time_range()->mutable_end() = ToProto(*end);
  return request;
}

class EventAggregatesTest : public ::testing::Test {
 protected:
  EventAggregates& Aggregates(EventAggregatesOptions options = {}) {
    aggregates_ = std::make_unique<EventAggregates>(options, clock_, stats_);
    return *aggregates_;
  }

  static void Record(EventAggregates& aggregates, const std::vector<Event>& events) {
    std::vector<const Event*> pointers;
    for (const Event& event : events) pointers.push_back(&event);
    aggregates.Record(pointers);
  }

  testing::ManualClock clock_{kNow};
  StatsStore stats_;
  std::unique_ptr<EventAggregates> aggregates_;
};

TEST_F(EventAggregatesTest, CountsEventsByTypePerTenantAndProject) {
  EventAggregates& aggregates = Aggregates();
  Record(aggregates, {MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow),
                      MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow),
                      MakeEvent("acme", "support", EVENT_TYPE_ERROR, kNow),
                      MakeEvent("globex", "shop", EVENT_TYPE_AGENT_START, kNow)});
  Record(aggregates, {MakeEvent("acme", "shop", EVENT_TYPE_TOOL_CALL_START, kNow),
                      MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow)});

  const GetEventStatsResponse shop = aggregates.Query(MakeQuery("acme", "shop"));
  EXPECT_EQ(shop.total_events(), 4);
  EXPECT_THAT(shop.events_by_type(), UnorderedElementsAre(Pair("EVENT_TYPE_AGENT_START", 3),
                                                          Pair("EVENT_TYPE_TOOL_CALL_START", 1)));
  const GetEventStatsResponse globex = aggregates.Query(MakeQuery("globex", "shop"));
  EXPECT_EQ(globex.total_events(), 1);
  EXPECT_THAT(globex.events_by_type(), UnorderedElementsAre(Pair("EVENT_TYPE_AGENT_START", 1)));
  EXPECT_EQ(aggregates.Query(MakeQuery("globex", "support")).total_events(), 0);
  EXPECT_EQ(stats_.ValueOf("aggregates.events_recorded"), 6);
  EXPECT_EQ(stats_.ValueOf("aggregates.tenant_projects"), 3);
}

TEST_F(EventAggregatesTest, UnknownEventTypesCountAsUnspecified) {
  EventAggregates& aggregates = Aggregates();
  Event event = MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow);
  event.set_type(static_cast<EventType>(500));
  Record(aggregates, {event});
  EXPECT_THAT(aggregates.Query(MakeQuery("acme", "shop")).events_by_type(),
              UnorderedElementsAre(Pair("EVENT_TYPE_UNSPECIFIED", 1)));
}

TEST_F(EventAggregatesTest, EmptyTenantOrProjectInTheQueryMatchesAll) {
  EventAggregates& aggregates = Aggregates();
  Record(aggregates, {MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow),
                      MakeEvent("acme", "support", EVENT_TYPE_AGENT_START, kNow),
                      MakeEvent("acme", "support", EVENT_TYPE_AGENT_START, kNow),
                      MakeEvent("globex", "shop", EVENT_TYPE_ERROR, kNow),
                      MakeEvent("initech", "tps", EVENT_TYPE_ERROR, kNow)});

  const GetEventStatsResponse all = aggregates.Query(MakeQuery("", ""));
  EXPECT_EQ(all.total_events(), 5);
  EXPECT_THAT(all.events_by_type(),
              UnorderedElementsAre(Pair("EVENT_TYPE_AGENT_START", 3), Pair("EVENT_TYPE_ERROR", 2)));
  EXPECT_EQ(aggregates.Query(MakeQuery("acme", "")).total_events(), 3);
  EXPECT_EQ(aggregates.Query(MakeQuery("", "shop")).total_events(), 2);
  EXPECT_EQ(aggregates.Query(MakeQuery("nobody", "")).total_events(), 0);
}

TEST_F(EventAggregatesTest, QueryOfNothingIsAllZero) {
  EventAggregates& aggregates = Aggregates();
  const GetEventStatsResponse response = aggregates.Query(MakeQuery("", ""));
  EXPECT_EQ(response.total_events(), 0);
  EXPECT_EQ(response.total_sessions(), 0);
  EXPECT_THAT(response.events_by_type(), IsEmpty());
  EXPECT_THAT(response.avg_session_duration_ms(), DoubleEq(0));
}

TEST_F(EventAggregatesTest, TimeRangeSelectsBucketsByTheirStart) {
  EventAggregates& aggregates = Aggregates();
  Record(aggregates, {MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow - absl::Minutes(10)),
                      MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow - absl::Minutes(5)),
                      MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START,
                                kNow - absl::Minutes(5) + absl::Seconds(50)),
                      MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow)});

  const auto total = [&](std::optional<absl::Time> start, std::optional<absl::Time> end) {
    return aggregates.Query(MakeQuery("acme", "shop", start, end)).total_events();
  };
  // The start rounds down to its bucket, which then counts; the end is exclusive.
  EXPECT_EQ(total(kNow - absl::Minutes(5) + absl::Seconds(10), kNow), 2);
  EXPECT_EQ(total(kNow - absl::Minutes(5) + absl::Seconds(10), std::nullopt), 3);
  EXPECT_EQ(total(std::nullopt, kNow - absl::Minutes(5)), 1);
  EXPECT_EQ(total(std::nullopt, kNow - absl::Minutes(5) + absl::Seconds(1)), 3);
  EXPECT_EQ(total(kNow, kNow + absl::Minutes(1)), 1);
  EXPECT_EQ(total(kNow + absl::Minutes(1), std::nullopt), 0);
  EXPECT_EQ(total(std::nullopt, std::nullopt), 4);
}

TEST_F(EventAggregatesTest, EventWithoutTimestampCountsAtTheClocksNow) {
  EventAggregates& aggregates = Aggregates();
  Event event = MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow);
  event.clear_timestamp();
  clock_.Advance(absl::Minutes(3));
  Record(aggregates, {event});

  EXPECT_EQ(aggregates.Query(MakeQuery("acme", "shop", kNow + absl::Minutes(3))).total_events(), 1);
  EXPECT_EQ(aggregates.Query(MakeQuery("acme", "shop", std::nullopt, kNow + absl::Minutes(3)))
                .total_events(),
            0);
}

TEST_F(EventAggregatesTest, CountsDistinctSessionsExactlyWhenFew) {
  EventAggregates& aggregates = Aggregates();
  Record(aggregates, {MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow, "s1"),
                      MakeEvent("acme", "shop", EVENT_TYPE_AGENT_END, kNow, "s1"),
                      MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow, "s2"),
                      MakeEvent("acme", "shop", EVENT_TYPE_SYSTEM, kNow)});
  Record(aggregates,
         {MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow + absl::Minutes(1), "s1"),
          MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow + absl::Minutes(1), "s3"),
          MakeEvent("acme", "support", EVENT_TYPE_AGENT_START, kNow, "s1")});

  EXPECT_EQ(
      aggregates.Query(MakeQuery("acme", "shop", kNow, kNow + absl::Minutes(1))).total_sessions(),
      2);
  // s1 is in both buckets: counted once.
  EXPECT_EQ(aggregates.Query(MakeQuery("acme", "shop")).total_sessions(), 3);
  // The same session_id in another project is another session.
  EXPECT_EQ(aggregates.Query(MakeQuery("acme", "")).total_sessions(), 4);
}

TEST_F(EventAggregatesTest, EstimatesManyDistinctSessionsWithinTwoPercent) {
  EventAggregates& aggregates = Aggregates();
  constexpr int kSessions = 100000;
  constexpr int kBatch = 1000;
  for (int first = 0; first < kSessions; first += kBatch) {
    std::vector<Event> events;
    for (int i = first; i < first + kBatch; ++i) {
      const absl::Time time = kNow - absl::Minutes(i % 5);
      const std::string session = absl::StrCat("session-", i);
      events.push_back(MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, time, session));
      events.push_back(MakeEvent("acme", "shop", EVENT_TYPE_AGENT_END, time, session));
    }
    Record(aggregates, events);
  }

  const GetEventStatsResponse response = aggregates.Query(MakeQuery("acme", "shop"));
  EXPECT_EQ(response.total_events(), 2 * kSessions);
  EXPECT_THAT(static_cast<double>(response.total_sessions()),
              DoubleNear(kSessions, 0.02 * kSessions));
}

TEST_F(EventAggregatesTest, PairsSessionStartAndEndInEitherOrderAcrossCalls) {
  EventAggregates& aggregates = Aggregates();
  const absl::Time start = kNow - absl::Minutes(10);
  // "a": START, then END in a later call, 90 s apart.
  Record(aggregates, {MakeEvent("acme", "shop", EVENT_TYPE_SESSION_START, start, "a")});
  Record(aggregates,
         {MakeEvent("acme", "shop", EVENT_TYPE_SESSION_END, start + absl::Seconds(90), "a")});
  // "b": END first, then START, 30 s apart.
  Record(aggregates,
         {MakeEvent("acme", "shop", EVENT_TYPE_SESSION_END, start + absl::Seconds(30), "b")});
  Record(aggregates, {MakeEvent("acme", "shop", EVENT_TYPE_SESSION_START, start, "b")});
  // "c": both in one call.
  Record(aggregates,
         {MakeEvent("acme", "shop", EVENT_TYPE_SESSION_END, start + absl::Seconds(45), "c"),
          MakeEvent("acme", "shop", EVENT_TYPE_SESSION_START, start, "c")});

  const GetEventStatsResponse response = aggregates.Query(MakeQuery("acme", "shop"));
  EXPECT_THAT(response.avg_session_duration_ms(), DoubleEq((90000.0 + 30000.0 + 45000.0) / 3));
  EXPECT_EQ(response.total_sessions(), 3);
  EXPECT_EQ(stats_.ValueOf("aggregates.open_sessions"), 0);
}

TEST_F(EventAggregatesTest, CreditsSessionDurationToTheBucketOfTheEnd) {
  EventAggregates& aggregates = Aggregates();
  Record(aggregates,
         {MakeEvent("acme", "shop", EVENT_TYPE_SESSION_START, kNow - absl::Minutes(10), "a"),
          MakeEvent("acme", "shop", EVENT_TYPE_SESSION_END, kNow, "a")});

  EXPECT_THAT(
      aggregates.Query(MakeQuery("acme", "shop", std::nullopt, kNow)).avg_session_duration_ms(),
      DoubleEq(0));
  EXPECT_THAT(aggregates.Query(MakeQuery("acme", "shop", kNow)).avg_session_duration_ms(),
              DoubleEq(600000));
}

TEST_F(EventAggregatesTest, RepeatedSessionStartKeepsTheFirst) {
  EventAggregates& aggregates = Aggregates();
  Record(aggregates,
         {MakeEvent("acme", "shop", EVENT_TYPE_SESSION_START, kNow - absl::Seconds(20), "a"),
          MakeEvent("acme", "shop", EVENT_TYPE_SESSION_START, kNow - absl::Seconds(10), "a"),
          MakeEvent("acme", "shop", EVENT_TYPE_SESSION_END, kNow, "a")});
  EXPECT_THAT(aggregates.Query(MakeQuery("acme", "shop")).avg_session_duration_ms(),
              DoubleEq(20000));
}

TEST_F(EventAggregatesTest, SkipsNegativeSessionDurationsAndCountsThem) {
  EventAggregates& aggregates = Aggregates();
  Record(aggregates,
         {MakeEvent("acme", "shop", EVENT_TYPE_SESSION_START, kNow, "a"),
          MakeEvent("acme", "shop", EVENT_TYPE_SESSION_END, kNow - absl::Seconds(5), "a")});

  EXPECT_THAT(aggregates.Query(MakeQuery("acme", "shop")).avg_session_duration_ms(), DoubleEq(0));
  EXPECT_EQ(stats_.ValueOf("aggregates.negative_session_durations"), 1);
  EXPECT_EQ(stats_.ValueOf("aggregates.open_sessions"), 0);
}

TEST_F(EventAggregatesTest, EvictsTheOldestOpenSessionPastTheBound) {
  EventAggregates& aggregates = Aggregates({.max_open_sessions = 2});
  Record(aggregates, {MakeEvent("acme", "shop", EVENT_TYPE_SESSION_START, kNow, "a"),
                      MakeEvent("acme", "shop", EVENT_TYPE_SESSION_START, kNow, "b")});
  Record(aggregates, {MakeEvent("acme", "shop", EVENT_TYPE_SESSION_START, kNow, "c")});
  EXPECT_EQ(stats_.ValueOf("aggregates.sessions_evicted"), 1);
  EXPECT_EQ(stats_.ValueOf("aggregates.open_sessions"), 2);

  const absl::Time later = kNow + absl::Seconds(10);
  Record(aggregates, {MakeEvent("acme", "shop", EVENT_TYPE_SESSION_END, later, "c"),
                      MakeEvent("acme", "shop", EVENT_TYPE_SESSION_END, later, "b"),
                      MakeEvent("acme", "shop", EVENT_TYPE_SESSION_END, later, "a")});

  // "b" and "c" pair up; "a" was forgotten, so its END now waits for a START.
  const GetEventStatsResponse response = aggregates.Query(MakeQuery("acme", "shop"));
  EXPECT_THAT(response.avg_session_duration_ms(), DoubleEq(10000));
  EXPECT_EQ(stats_.ValueOf("aggregates.sessions_evicted"), 1);
  EXPECT_EQ(stats_.ValueOf("aggregates.open_sessions"), 1);
}

TEST_F(EventAggregatesTest, DropsBucketsPastTheRetention) {
  EventAggregates& aggregates = Aggregates({.retention = absl::Hours(1)});
  Record(aggregates, {MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow - absl::Minutes(50)),
                      MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow - absl::Minutes(5))});
  EXPECT_EQ(aggregates.Query(MakeQuery("acme", "shop")).total_events(), 2);

  clock_.Advance(absl::Minutes(11));  // the bucket at -50 min now ends before now - 1 h
  EXPECT_EQ(aggregates.Query(MakeQuery("acme", "shop")).total_events(), 1);

  clock_.Advance(absl::Minutes(60));
  EXPECT_EQ(aggregates.Query(MakeQuery("acme", "shop")).total_events(), 0);
  Record(aggregates, {MakeEvent("globex", "x", EVENT_TYPE_AGENT_START, clock_.Now())});
  EXPECT_EQ(stats_.ValueOf("aggregates.tenant_projects"), 1);  // acme/shop was swept away
}

TEST_F(EventAggregatesTest, ExpiredTenantProjectsFreeTheirPlaceUnderTheLimit) {
  EventAggregates& aggregates = Aggregates({.retention = absl::Hours(1), .max_tenant_projects = 1});
  Record(aggregates, {MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow)});
  Record(aggregates, {MakeEvent("globex", "x", EVENT_TYPE_AGENT_START, kNow)});
  EXPECT_EQ(stats_.ValueOf("aggregates.events_untracked"), 1);

  clock_.Advance(absl::Minutes(62));
  Record(aggregates, {MakeEvent("globex", "x", EVENT_TYPE_AGENT_START, clock_.Now())});

  EXPECT_EQ(stats_.ValueOf("aggregates.events_untracked"), 1);
  EXPECT_EQ(aggregates.Query(MakeQuery("globex", "x")).total_events(), 1);
}

TEST_F(EventAggregatesTest, CountsEventsOutsideTheWindowWithoutAggregatingThem) {
  EventAggregates& aggregates = Aggregates({.retention = absl::Hours(1)});
  Record(aggregates, {MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow - absl::Minutes(61)),
                      MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow - absl::Minutes(59)),
                      MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow + absl::Minutes(59)),
                      MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow + absl::Minutes(61))});

  EXPECT_EQ(stats_.ValueOf("aggregates.events_outside_window"), 2);
  EXPECT_EQ(aggregates.Query(MakeQuery("acme", "shop")).total_events(), 2);
}

TEST_F(EventAggregatesTest, EventsOfTenantProjectsPastTheLimitAreCountedAsUntracked) {
  EventAggregates& aggregates = Aggregates({.max_tenant_projects = 2});
  Record(aggregates, {MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow),
                      MakeEvent("acme", "support", EVENT_TYPE_AGENT_START, kNow)});
  Record(aggregates, {MakeEvent("globex", "x", EVENT_TYPE_AGENT_START, kNow),
                      MakeEvent("globex", "x", EVENT_TYPE_AGENT_START, kNow),
                      MakeEvent("acme", "shop", EVENT_TYPE_AGENT_START, kNow)});

  EXPECT_EQ(stats_.ValueOf("aggregates.events_untracked"), 2);
  EXPECT_EQ(stats_.ValueOf("aggregates.tenant_projects"), 2);
  EXPECT_EQ(aggregates.Query(MakeQuery("", "")).total_events(), 3);
  EXPECT_EQ(aggregates.Query(MakeQuery("globex", "x")).total_events(), 0);
}

TEST_F(EventAggregatesTest, ConcurrentRecordsGiveExactTotals) {
  EventAggregates& aggregates = Aggregates();
  constexpr int kThreads = 4;
  constexpr int kCalls = 200;
  constexpr int kEventsPerCall = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int call = 0; call < kCalls; ++call) {
        std::vector<Event> events;
        for (int i = 0; i < kEventsPerCall; ++i) {
          const std::string project = i % 2 == 0 ? "shop" : "support";
          events.push_back(MakeEvent("acme", project, EVENT_TYPE_TOOL_CALL_END, kNow,
                                     absl::StrCat("thread-", t, "-session-", i % 10)));
        }
        Record(aggregates, events);
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 100; ++i) aggregates.Query(MakeQuery("acme", ""));
  });
  for (std::thread& thread : threads) thread.join();

  const GetEventStatsResponse response = aggregates.Query(MakeQuery("acme", ""));
  EXPECT_EQ(response.total_events(), kThreads * kCalls * kEventsPerCall);
  EXPECT_THAT(
      response.events_by_type(),
      UnorderedElementsAre(Pair("EVENT_TYPE_TOOL_CALL_END", kThreads * kCalls * kEventsPerCall)));
  EXPECT_EQ(response.total_sessions(), kThreads * 10);
  EXPECT_EQ(aggregates.Query(MakeQuery("acme", "shop")).total_events(),
            kThreads * kCalls * kEventsPerCall / 2);
}

TEST_F(EventAggregatesTest, ConcurrentSessionPairingLosesNoSession) {
  EventAggregates& aggregates = Aggregates();
  constexpr int kThreads = 4;
  constexpr int kSessionsPerThread = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kSessionsPerThread; ++i) {
        const std::string session = absl::StrCat("thread-", t, "-session-", i);
        const std::string project = absl::StrCat("project-", i % 7);
        Record(aggregates, {MakeEvent("acme", project, EVENT_TYPE_SESSION_END,
                                      kNow - absl::Seconds(1), session)});
        Record(aggregates, {MakeEvent("acme", project, EVENT_TYPE_SESSION_START,
                                      kNow - absl::Seconds(3), session)});
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  const GetEventStatsResponse response = aggregates.Query(MakeQuery("acme", ""));
  EXPECT_THAT(response.avg_session_duration_ms(), DoubleEq(2000));
  EXPECT_EQ(response.total_sessions(), kThreads * kSessionsPerThread);
  EXPECT_EQ(stats_.ValueOf("aggregates.open_sessions"), 0);
  EXPECT_EQ(stats_.ValueOf("aggregates.sessions_evicted"), 0);
}

}  // namespace
}  // namespace chaukas::stats
