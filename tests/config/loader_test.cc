#include "config/loader.h"

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace chaukas::config {
namespace {

using ::chaukas::testing::IsOk;
using ::chaukas::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kMinimal[] = R"(
listeners:
  grpc: {address: "127.0.0.1:0"}
routes:
  - match: {}
    cluster: local
clusters:
  - name: local
    protocol: file
    path: /tmp/events.jsonl
)";

TEST(LoaderTest, FillsDefaults) {
  absl::StatusOr<GatewayConfig> config = LoadConfigText(kMinimal, "gateway.yaml");
  ASSERT_THAT(config, IsOk());
  EXPECT_TRUE(config->grpc.enabled);
  EXPECT_FALSE(config->http.enabled);
  EXPECT_EQ(config->admin.address.host, "127.0.0.1");
  EXPECT_EQ(config->admin.address.port, 9901);
  EXPECT_EQ(config->grpc.max_message_bytes, 4 * 1024 * 1024);
  ASSERT_EQ(config->clusters.size(), 1u);
  EXPECT_EQ(config->clusters[0].file.format, FileFormat::kJson);
  EXPECT_EQ(config->clusters[0].queue_max_bytes, 64 * 1024 * 1024);
  ASSERT_EQ(config->routes.size(), 1u);
  EXPECT_EQ(config->routes[0].match.tenant, "*");
}

TEST(LoaderTest, TheShippedDefaultConfigIsValid) {
  absl::StatusOr<GatewayConfig> config =
      LoadConfigFile(std::string(CHAUKAS_SOURCE_DIR) + "/config/gateway.yaml");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->grpc.address.port, 50051);
  EXPECT_EQ(config->http.address.port, 8080);
  ASSERT_EQ(config->filters.size(), 1u);
  EXPECT_EQ(config->filters[0].name, "validate");
}

TEST(LoaderTest, ParsesRouteMatchWithShortAndFullTypeNames) {
  std::string text = kMinimal;
  text.replace(text.find("match: {}"), 9,
               "match: {tenant: \"acme-*\", project: shop, types: [ERROR, EVENT_TYPE_RETRY]}");
  absl::StatusOr<GatewayConfig> config = LoadConfigText(text, "gateway.yaml");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->routes[0].match.tenant, "acme-*");
  EXPECT_EQ(config->routes[0].match.project, "shop");
  EXPECT_THAT(config->routes[0].match.types, ElementsAre(40, 41));
}

TEST(LoaderTest, RejectsUnknownEventTypeInRoute) {
  std::string text = kMinimal;
  text.replace(text.find("match: {}"), 9, "match: {types: [EROR]}");
  EXPECT_THAT(LoadConfigText(text, "gateway.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("gateway.yaml:5:21 routes[0].match.types[0]: \"EROR\" is not an "
                                 "event type")));
}

TEST(LoaderTest, RejectsRouteToUnknownCluster) {
  std::string text = kMinimal;
  text.replace(text.find("cluster: local"), 14, "cluster: remote");
  EXPECT_THAT(LoadConfigText(text, "gateway.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("gateway.yaml:6:14 routes[0].cluster: no cluster named "
                                 "\"remote\"")));
}

TEST(LoaderTest, RejectsMisspelledProtocolWithLocation) {
  std::string text = kMinimal;
  text.replace(text.find("protocol: file"), 14, "protocol: fiel");
  EXPECT_THAT(LoadConfigText(text, "gateway.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "gateway.yaml:9:15 clusters[0].protocol: unknown value \"fiel\"; expected "
                       "one of grpc, http, file"));
}

TEST(LoaderTest, RejectsDuplicateClusterNamesAndPaths) {
  std::string text = kMinimal;
  text += "  - name: local\n    protocol: file\n    path: /tmp/other.jsonl\n";
  EXPECT_THAT(LoadConfigText(text, "gateway.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("clusters[1].name: another cluster is already named")));
  text = kMinimal;
  text += "  - name: second\n    protocol: file\n    path: /tmp/events.jsonl\n";
  EXPECT_THAT(LoadConfigText(text, "gateway.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("clusters[1].path: another cluster already writes")));
}

TEST(LoaderTest, NeedsAtLeastOneListener) {
  std::string text = kMinimal;
  const std::string listeners = "listeners:\n  grpc: {address: \"127.0.0.1:0\"}";
  text.replace(text.find(listeners), listeners.size(), "listeners: {}");
  EXPECT_THAT(LoadConfigText(text, "gateway.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "gateway.yaml:2:12 listeners: configure at least one of grpc, http"));
}

TEST(LoaderTest, RejectsBadAddress) {
  std::string text = kMinimal;
  text.replace(text.find("127.0.0.1:0"), 11, "127.0.0.1:99999");
  EXPECT_THAT(LoadConfigText(text, "gateway.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("listeners.grpc.address: \"127.0.0.1:99999\" has no valid port")));
}

TEST(LoaderTest, ListenerAddressesAreIpLiterals) {
  std::string text = kMinimal;
  text.replace(text.find("127.0.0.1:0"), 11, "localhost:50051");
  EXPECT_THAT(LoadConfigText(text, "gateway.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("listeners.grpc.address: \"localhost\" is not an IP address")));
  text = kMinimal;
  text.replace(text.find("127.0.0.1:0"), 11, "[::1]:0");
  absl::StatusOr<GatewayConfig> config = LoadConfigText(text, "gateway.yaml");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->grpc.address.host, "::1");
  text = kMinimal;
  text.replace(text.find("127.0.0.1:0"), 11, ":7000");
  config = LoadConfigText(text, "gateway.yaml");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->grpc.address.host, "0.0.0.0");
}

TEST(LoaderTest, ReportsYamlSyntaxErrorsWithLocation) {
  EXPECT_THAT(
      LoadConfigText("listeners: [unclosed\n", "broken.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("broken.yaml:2:1 invalid YAML")));
}

TEST(LoaderTest, MissingFileIsNotFound) {
  EXPECT_THAT(LoadConfigFile("/nonexistent/gateway.yaml"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/gateway.yaml")));
}

TEST(LoaderTest, ParsesFileClusterOptions) {
  std::string text = kMinimal;
  text +=
      "    format: protobuf\n    rotate: {max_bytes: 4096, max_files: 3}\n"
      "    queue: {max_bytes: 1048576}\n";
  absl::StatusOr<GatewayConfig> config = LoadConfigText(text, "gateway.yaml");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->clusters[0].file.format, FileFormat::kProtobuf);
  EXPECT_EQ(config->clusters[0].file.rotate_max_bytes, 4096);
  EXPECT_EQ(config->clusters[0].file.rotate_max_files, 3);
  EXPECT_EQ(config->clusters[0].queue_max_bytes, 1048576);
}

TEST(LoaderTest, KeepsFilterBlocksForTheirFactories) {
  std::string text = kMinimal;
  text += "filters:\n  - name: validate\n    config: {max_tags: 3}\n  - name: other\n";
  absl::StatusOr<GatewayConfig> config = LoadConfigText(text, "gateway.yaml");
  ASSERT_THAT(config, IsOk());
  ASSERT_EQ(config->filters.size(), 2u);
  EXPECT_EQ(config->filters[0].name, "validate");
  EXPECT_EQ(*config->filters[0].config.Child("max_tags").AsInt(0, 10), 3);
  EXPECT_FALSE(config->filters[1].config.IsDefined());
}

}  // namespace
}  // namespace chaukas::config
