#include "filters/validate/validate_filter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chaukas::filters {
namespace {

namespace v1 = chaukas::spec::common::v1;
using ::testing::HasSubstr;

v1::Event ValidEvent() {
  v1::Event event;
  event.set_event_id("evt-1");
  event.set_session_id("sess-1");
  event.set_type(v1::EVENT_TYPE_TOOL_CALL_START);
  event.set_status(v1::EVENT_STATUS_STARTED);
  event.mutable_timestamp()->set_seconds(1'764'000'000);
  return event;
}

class ValidateFilterTest : public ::testing::Test {
 protected:
  EventVerdict Check(v1::Event event, ValidateConfig config = {}) {
    ValidateFilter filter(std::move(config), scope_);
    pipeline::IngestBatch batch({});
    return filter.OnEvent(batch.context(), event);
  }
  int64_t Stat(const std::string& name) {
    return stats_.ValueOf("filter." + name, {{"filter", "validate"}});
  }

  stats::StatsStore stats_;
  stats::StatsScope scope_{stats_, "filter", {{"filter", "validate"}}};
};

TEST_F(ValidateFilterTest, AcceptsCompleteEvent) {
  EXPECT_EQ(Check(ValidEvent()).action, EventAction::kContinue);
  EXPECT_EQ(Stat("events_checked"), 1);
}

TEST_F(ValidateFilterTest, RejectsEachMissingRequiredFieldByName) {
  const std::vector<std::pair<std::string, void (*)(v1::Event&)>> cases = {
      {"event_id", [](v1::Event& e) { e.clear_event_id(); }},
      {"session_id", [](v1::Event& e) { e.clear_session_id(); }},
      {"type", [](v1::Event& e) { e.clear_type(); }},
      {"status", [](v1::Event& e) { e.clear_status(); }},
      {"timestamp", [](v1::Event& e) { e.clear_timestamp(); }},
  };
  for (const auto& [field, clear] : cases) {
    v1::Event event = ValidEvent();
    clear(event);
    const EventVerdict verdict = Check(event);
    EXPECT_EQ(verdict.action, EventAction::kReject) << field;
    EXPECT_EQ(verdict.reason, field + ": is required");
  }
  EXPECT_EQ(Stat("missing_field"), 5);
}

TEST_F(ValidateFilterTest, ConfiguredRequiredFieldsReplaceTheDefaults) {
  ValidateConfig config;
  config.required_fields = {RequiredField::kTenantId};
  v1::Event event = ValidEvent();
  EXPECT_EQ(Check(event, config).reason, "tenant_id: is required");
  event.set_tenant_id("acme");
  event.clear_session_id();
  EXPECT_EQ(Check(event, config).action, EventAction::kContinue);
}

TEST_F(ValidateFilterTest, RejectsEnumNumbersTheSchemaDoesNotDefine) {
  v1::Event event = ValidEvent();
  event.set_type(static_cast<v1::EventType>(99));
  EXPECT_EQ(Check(event).reason, "type: 99 is not a chaukas.spec.common.v1.EventType value");
  event = ValidEvent();
  event.set_severity(static_cast<v1::Severity>(7));
  EXPECT_EQ(Check(event).reason, "severity: 7 is not a chaukas.spec.common.v1.Severity value");
  EXPECT_EQ(Stat("invalid_enum"), 2);
}

TEST_F(ValidateFilterTest, RejectsTimestampOutsideRfc3339Range) {
  v1::Event event = ValidEvent();
  event.mutable_timestamp()->set_seconds(253'402'300'800);
  EXPECT_THAT(Check(event).reason, HasSubstr("timestamp: outside"));
  event = ValidEvent();
  event.mutable_timestamp()->set_nanos(-1);
  EXPECT_THAT(Check(event).reason, HasSubstr("timestamp: outside"));
}

TEST_F(ValidateFilterTest, LimitsTagCountAndLength) {
  ValidateConfig config;
  config.max_tags = 2;
  config.max_tag_bytes = 4;
  v1::Event event = ValidEvent();
  event.add_tags("a");
  event.add_tags("toolong");
  EXPECT_EQ(Check(event, config).reason, "tags[1]: 7 bytes, more than max_tag_bytes (4)");
  event.add_tags("b");
  EXPECT_EQ(Check(event, config).reason, "tags: 3 tags, more than max_tags (2)");
  EXPECT_EQ(Stat("tag_too_long"), 1);
  EXPECT_EQ(Stat("too_many_tags"), 1);
}

TEST_F(ValidateFilterTest, LimitsStructDepthInEveryStructField) {
  ValidateConfig config;
  config.max_struct_depth = 2;
  v1::Event event = ValidEvent();
  google::protobuf::Struct* level = event.mutable_tool_call()->mutable_arguments();
  for (int i = 0; i < 3; ++i) {
    level = (*level->mutable_fields())["nested"].mutable_struct_value();
  }
  EXPECT_EQ(Check(event, config).reason,
            "tool_call.arguments: nested deeper than max_struct_depth (2)");
  config.max_struct_depth = 4;
  EXPECT_EQ(Check(event, config).action, EventAction::kContinue);
}

TEST_F(ValidateFilterTest, ListsCountTowardsDepth) {
  ValidateConfig config;
  config.max_struct_depth = 2;
  v1::Event event = ValidEvent();
  auto& list = *(*event.mutable_metadata()->mutable_fields())["items"].mutable_list_value();
  list.add_values()->mutable_list_value()->add_values()->set_number_value(1);
  EXPECT_EQ(Check(event, config).reason, "metadata: nested deeper than max_struct_depth (2)");
}

TEST_F(ValidateFilterTest, LimitsSerializedEventSize) {
  ValidateConfig config;
  config.max_event_bytes = 100;
  v1::Event event = ValidEvent();
  event.mutable_message()->set_text(std::string(200, 'x'));
  EXPECT_THAT(Check(event, config).reason, HasSubstr("more than max_event_bytes (100)"));
  EXPECT_EQ(Stat("event_too_large"), 1);
}

TEST_F(ValidateFilterTest, RefusesBatchOverTheEventLimit) {
  ValidateConfig config;
  config.max_events_per_batch = 2;
  ValidateFilter filter(config, scope_);
  pipeline::IngestBatch batch({});
  for (int i = 0; i < 3; ++i) batch.AddEvent(batch.Create<v1::Event>());
  EventsInPlay events(batch, batch.events());
  const absl::Status status = filter.OnRequest(batch.context(), events);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("batch has 3 events, more than max_events_per_batch (2)"));
  EXPECT_EQ(Stat("batch_too_large"), 1);
}

}  // namespace
}  // namespace chaukas::filters
