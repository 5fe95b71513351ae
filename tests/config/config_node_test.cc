#include "config/config_node.h"

#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace chaukas::config {
namespace {

using ::chaukas::testing::IsOk;
using ::chaukas::testing::StatusIs;
using ::testing::HasSubstr;

ConfigNode Parse(const std::string& text) { return ConfigNode(YAML::Load(text), "test.yaml"); }

TEST(ConfigNodeTest, ErrorNamesFileLineColumnAndKeyPath) {
  const ConfigNode root = Parse("clusters:\n  - name: local\n    protocol: grcp\n");
  const ConfigNode protocol = root.Child("clusters").Elements()[0].Child("protocol");
  EXPECT_THAT(protocol.AsEnum({"grpc", "http", "file"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "test.yaml:3:15 clusters[0].protocol: unknown value \"grcp\"; expected one "
                       "of grpc, http, file"));
}

TEST(ConfigNodeTest, MissingKeyIsReportedAtItsParent) {
  const ConfigNode root = Parse("listeners:\n  grpc: {max_message_bytes: 10}\n");
  EXPECT_THAT(root.Child("listeners").Child("grpc").Require("address"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "test.yaml:2:9 listeners.grpc.address: is required"));
}

TEST(ConfigNodeTest, RejectsUnknownKeyListingAllowedOnes) {
  const ConfigNode root = Parse("admin: {adress: x}\n");
  EXPECT_THAT(root.Child("admin").CheckKeys({"address"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("admin.adress: unknown key \"adress\"; allowed here: address")));
}

TEST(ConfigNodeTest, RejectsDuplicatedKey) {
  const ConfigNode root = Parse("a: 1\nb: 2\na: 3\n");
  EXPECT_THAT(root.CheckKeys({"a", "b"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key appears twice")));
}

TEST(ConfigNodeTest, IntegersAreRangeChecked) {
  const ConfigNode root = Parse("n: 5\nbad: 5x\n");
  EXPECT_EQ(*root.Child("n").AsInt(0, 10), 5);
  EXPECT_THAT(root.Child("n").AsInt(6, 10),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be between 6 and 10")));
  EXPECT_THAT(root.Child("bad").AsInt(0, 10),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be an integer")));
  EXPECT_EQ(*root.GetInt("absent", 7, 0, 10), 7);
}

TEST(ConfigNodeTest, BooleansAreOnlyTrueOrFalse) {
  const ConfigNode root = Parse("yes_value: yes\nok: true\n");
  EXPECT_TRUE(*root.Child("ok").AsBool());
  EXPECT_THAT(root.Child("yes_value").AsBool(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be true or false")));
}

TEST(ConfigNodeTest, SubstitutesEnvironmentVariables) {
  setenv("CHAUKAS_TEST_PORT", "9000", 1);
  unsetenv("CHAUKAS_TEST_UNSET");
  const ConfigNode root = Parse(
      "a: \"host:${CHAUKAS_TEST_PORT}\"\nb: ${CHAUKAS_TEST_UNSET:-fallback}\n"
      "c: ${CHAUKAS_TEST_UNSET}\nd: $${literal}\n");
  EXPECT_EQ(*root.Child("a").AsString(), "host:9000");
  EXPECT_EQ(*root.Child("b").AsString(), "fallback");
  EXPECT_THAT(root.Child("c").AsString(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("test.yaml:3:4 c: environment variable CHAUKAS_TEST_UNSET is not "
                                 "set")));
  EXPECT_EQ(*root.Child("d").AsString(), "${literal}");
}

TEST(ConfigNodeTest, SubstitutionDetectsUnterminatedReference) {
  EXPECT_THAT(SubstituteEnvironment("${OOPS"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unterminated ${")));
  EXPECT_THAT(SubstituteEnvironment("plain"), IsOk());
}

TEST(ConfigNodeTest, ElementsCarryIndexedPaths) {
  const ConfigNode root = Parse("list: [a, b]\n");
  const std::vector<ConfigNode> elements = root.Child("list").Elements();
  ASSERT_EQ(elements.size(), 2u);
  EXPECT_EQ(elements[1].path(), "list[1]");
  EXPECT_EQ(*elements[1].AsString(), "b");
}

}  // namespace
}  // namespace chaukas::config
