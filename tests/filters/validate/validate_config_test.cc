#include "filters/validate/validate_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace chaukas::filters {
namespace {

using ::chaukas::testing::IsOk;
using ::chaukas::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

config::ConfigNode Node(const std::string& yaml) {
  return config::ConfigNode(YAML::Load(yaml), "gateway.yaml", "filters[0].config");
}

TEST(ValidateConfigTest, DefaultsAreTheOpenApiRequiredFields) {
  absl::StatusOr<ValidateConfig> config = ParseValidateConfig(Node("{}"));
  ASSERT_THAT(config, IsOk());
  EXPECT_THAT(config->required_fields,
              ElementsAre(RequiredField::kEventId, RequiredField::kType, RequiredField::kStatus,
                          RequiredField::kTimestamp, RequiredField::kSessionId));
  EXPECT_EQ(config->max_tags, 64);
  EXPECT_EQ(config->max_struct_depth, 32);
}

TEST(ValidateConfigTest, ParsesEveryOption) {
  absl::StatusOr<ValidateConfig> config = ParseValidateConfig(
      Node("{required_fields: [tenant_id, event_id], max_event_bytes: 2048, max_tags: 2, "
           "max_tag_bytes: 8, max_struct_depth: 4, max_events_per_batch: 10}"));
  ASSERT_THAT(config, IsOk());
  EXPECT_THAT(config->required_fields,
              ElementsAre(RequiredField::kTenantId, RequiredField::kEventId));
  EXPECT_EQ(config->max_event_bytes, 2048);
  EXPECT_EQ(config->max_tags, 2);
  EXPECT_EQ(config->max_tag_bytes, 8);
  EXPECT_EQ(config->max_struct_depth, 4);
  EXPECT_EQ(config->max_events_per_batch, 10);
}

TEST(ValidateConfigTest, RejectsUnknownRequiredField) {
  EXPECT_THAT(ParseValidateConfig(Node("required_fields: [event_id, colour]")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("gateway.yaml:1:29 filters[0].config.required_fields[1]: "
                                 "\"colour\" cannot be required")));
}

TEST(ValidateConfigTest, RejectsUnknownKey) {
  EXPECT_THAT(ParseValidateConfig(Node("max_tag: 3")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("filters[0].config.max_tag: unknown key \"max_tag\"")));
}

TEST(ValidateConfigTest, StructDepthStaysUnderProtobufsNestingLimit) {
  EXPECT_THAT(ParseValidateConfig(Node("max_struct_depth: 60")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("max_struct_depth: must be between 1 and 45")));
}

}  // namespace
}  // namespace chaukas::filters
