#include "filters/sampling/sampling_filter.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "chaukas/spec/common/v1/events.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "yaml-cpp/yaml.h"

namespace chaukas::filters::sampling {
namespace {

namespace v1 = chaukas::spec::common::v1;
using ::chaukas::testing::IsOk;
using ::chaukas::testing::StatusIs;
using ::testing::HasSubstr;

class SamplingFilterTest : public ::testing::Test {
 protected:
  std::unique_ptr<SamplingFilter> Make(const std::string& yaml) {
    absl::StatusOr<SamplingConfig> config = ParseSamplingConfig(Node(yaml));
    EXPECT_THAT(config.status(), IsOk());
    return std::make_unique<SamplingFilter>(*std::move(config), scope_);
  }

  static config::ConfigNode Node(const std::string& yaml) {
    return config::ConfigNode(YAML::Load(yaml), "gateway.yaml", "filters[0].config");
  }

  static v1::Event MakeEvent(const std::string& session,
                             v1::EventType type = v1::EVENT_TYPE_TOOL_CALL_END,
                             const std::string& tenant = "acme") {
    v1::Event event;
    event.set_event_id(absl::StrCat(session, "-", type));
    event.set_session_id(session);
    event.set_tenant_id(tenant);
    event.set_project_id("shop");
    event.set_type(type);
    event.set_severity(v1::SEVERITY_INFO);
    event.set_status(v1::EVENT_STATUS_COMPLETED);
    return event;
  }

  static bool Kept(const SamplingFilter& filter, v1::Event event) {
    return filter.OnEvent(pipeline::RequestContext(), event).action == EventAction::kContinue;
  }

  int64_t Dropped(const std::string& tenant, const std::string& type) {
    return static_cast<int64_t>(
        stats_
            .GetCounter("filter.dropped",
                        {{"filter", "sampling"}, {"tenant", tenant}, {"type", type}})
            .value());
  }

  stats::StatsStore stats_;
  stats::StatsScope scope_{stats_, "filter", {{"filter", "sampling"}}};
};

TEST_F(SamplingFilterTest, EverySessionGetsOneDecisionTheSameOnEveryReplica) {
  auto replica_a = Make("default_rate: 0.3\nseed: 7\n");
  auto replica_b = Make("default_rate: 0.3\nseed: 7\n");
  auto reseeded = Make("default_rate: 0.3\nseed: 8\n");
  int kept = 0;
  int differs_with_another_seed = 0;
  constexpr int kSessions = 4000;
  for (int s = 0; s < kSessions; ++s) {
    const std::string session = absl::StrCat("session-", s);
    const bool decision = Kept(*replica_a, MakeEvent(session));
    // Another event type of the same session, and the same event on another replica.
    EXPECT_EQ(Kept(*replica_a, MakeEvent(session, v1::EVENT_TYPE_TOOL_CALL_START)), decision);
    EXPECT_EQ(Kept(*replica_b, MakeEvent(session)), decision);
    kept += decision ? 1 : 0;
    differs_with_another_seed += Kept(*reseeded, MakeEvent(session)) != decision ? 1 : 0;
  }
  EXPECT_NEAR(static_cast<double>(kept) / kSessions, 0.3, 0.03);
  EXPECT_GT(differs_with_another_seed, kSessions / 5);
}

TEST_F(SamplingFilterTest, KeptEventsCarryTheirRateAndDroppedOnesAreCountedPerTenantAndType) {
  auto filter = Make("default_rate: 0.5\n");
  int dropped = 0;
  for (int s = 0; s < 200; ++s) {
    v1::Event event = MakeEvent(absl::StrCat("s", s));
    const bool kept =
        filter->OnEvent(pipeline::RequestContext(), event).action == EventAction::kContinue;
    if (kept) {
      ASSERT_TRUE(event.metadata().fields().contains(kRateMetadataKey));
      EXPECT_EQ(event.metadata().fields().at(kRateMetadataKey).number_value(), 0.5);
    } else {
      ++dropped;
    }
  }
  EXPECT_GT(dropped, 0);
  EXPECT_EQ(Dropped("acme", "EVENT_TYPE_TOOL_CALL_END"), dropped);
  // At rate 1 nothing is annotated.
  auto everything = Make("default_rate: 1\n");
  v1::Event event = MakeEvent("s1");
  EXPECT_TRUE(Kept(*everything, event));
  EXPECT_FALSE(event.has_metadata());
}

TEST_F(SamplingFilterTest, ErrorsPolicyDecisionsAndWarningsAreAlwaysKept) {
  auto filter = Make("default_rate: 0\n");
  EXPECT_FALSE(Kept(*filter, MakeEvent("s")));
  EXPECT_TRUE(Kept(*filter, MakeEvent("s", v1::EVENT_TYPE_ERROR)));
  EXPECT_TRUE(Kept(*filter, MakeEvent("s", v1::EVENT_TYPE_POLICY_DECISION)));
  EXPECT_TRUE(Kept(*filter, MakeEvent("s", v1::EVENT_TYPE_DATA_ACCESS)));
  v1::Event warning = MakeEvent("s");
  warning.set_severity(v1::SEVERITY_WARN);
  EXPECT_TRUE(Kept(*filter, warning));
  // Configurable: only what the config lists.
  auto strict = Make("default_rate: 0\nalways_keep: {types: [SESSION_END], min_severity: none}\n");
  EXPECT_FALSE(Kept(*strict, MakeEvent("s", v1::EVENT_TYPE_ERROR)));
  EXPECT_FALSE(Kept(*strict, warning));
  EXPECT_TRUE(Kept(*strict, MakeEvent("s", v1::EVENT_TYPE_SESSION_END)));
}

TEST_F(SamplingFilterTest, TheFirstMatchingRuleSetsTheRate) {
  auto filter = Make(R"(
default_rate: 1
rules:
  - {match: {tenant: "glob*", types: [TOOL_CALL_END]}, rate: 0}
  - {match: {tenant: "glob*", statuses: [FAILED]}, rate: 1}
  - {match: {tenant: "glob*"}, rate: 0}
  - {match: {severities: [DEBUG]}, rate: 0}
)");
  EXPECT_TRUE(Kept(*filter, MakeEvent("s", v1::EVENT_TYPE_TOOL_CALL_END, "acme")));
  EXPECT_FALSE(Kept(*filter, MakeEvent("s", v1::EVENT_TYPE_TOOL_CALL_END, "globex")));
  v1::Event failed = MakeEvent("s", v1::EVENT_TYPE_TOOL_CALL_START, "globex");
  failed.set_status(v1::EVENT_STATUS_FAILED);
  EXPECT_TRUE(Kept(*filter, failed));
  EXPECT_FALSE(Kept(*filter, MakeEvent("s", v1::EVENT_TYPE_TOOL_CALL_START, "globex")));
  v1::Event debug = MakeEvent("s");
  debug.set_severity(v1::SEVERITY_DEBUG);
  EXPECT_FALSE(Kept(*filter, debug));
}

TEST_F(SamplingFilterTest, AfterAnErrorTheRestOfTheSessionIsKeptWithinABoundedMemory) {
  auto filter =
      Make("default_rate: 0\nkeep_sessions_after_error: {enabled: true, max_sessions: 16}\n");
  EXPECT_FALSE(Kept(*filter, MakeEvent("s1")));
  EXPECT_TRUE(Kept(*filter, MakeEvent("s1", v1::EVENT_TYPE_ERROR)));
  EXPECT_TRUE(Kept(*filter, MakeEvent("s1")));
  v1::Event failed = MakeEvent("s2", v1::EVENT_TYPE_TOOL_CALL_END);
  failed.set_status(v1::EVENT_STATUS_FAILED);
  EXPECT_TRUE(Kept(*filter, failed));
  EXPECT_TRUE(Kept(*filter, MakeEvent("s2")));
  EXPECT_FALSE(Kept(*filter, MakeEvent("s3")));
  // Many erroring sessions later, the oldest are forgotten.
  for (int s = 0; s < 1000; ++s)
    Kept(*filter, MakeEvent(absl::StrCat("e", s), v1::EVENT_TYPE_ERROR));
  EXPECT_FALSE(Kept(*filter, MakeEvent("s1")));
  EXPECT_TRUE(Kept(*filter, MakeEvent("e999")));
}

TEST_F(SamplingFilterTest, WithoutTheKeyTheEventIdDecides) {
  auto filter = Make("default_rate: 0.5\nkey: trace_id\n");
  v1::Event event = MakeEvent("s");
  event.set_event_id("only-id");
  const bool decision = filter->Draw("only-id") < 0.5;
  EXPECT_EQ(Kept(*filter, event), decision);
}

TEST_F(SamplingFilterTest, BadConfigsNameWhatIsWrong) {
  EXPECT_THAT(ParseSamplingConfig(Node("default_rate: 1.5\n")).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("default_rate")));
  EXPECT_THAT(
      ParseSamplingConfig(Node("rules: [{match: {types: [NOPE]}, rate: 0.1}]\n")).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"NOPE\" is not an event type")));
  EXPECT_THAT(ParseSamplingConfig(Node("rules: [{match: {tenant: a}}]\n")).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rate")));
  EXPECT_THAT(ParseSamplingConfig(Node("key: user_id\n")).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("session_id")));
}

}  // namespace
}  // namespace chaukas::filters::sampling
