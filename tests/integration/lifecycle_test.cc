// The gateway as an operator runs it: config validation, start, admin pages, shutdown.

#include <signal.h>

#include <filesystem>

#include "absl/strings/str_replace.h"
#include "chaukas/spec/client/v1/client.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/io/coded_stream.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/integration/integration_support.h"
#include "tests/support/http_test_client.h"

namespace chaukas::testing {
namespace {

namespace client_v1 = chaukas::spec::client::v1;
using ::testing::HasSubstr;

CommandResult Validate(const TempDir& dir, const std::string& config) {
  const auto path =
      dir.WriteFile("gateway.yaml", absl::StrReplaceAll(config, {{"{dir}", dir.path().string()}}));
  absl::StatusOr<CommandResult> result =
      RunCommand({GatewayBinary(), "--validate", "--config", path.string()});
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : CommandResult{};
}

grpc::Status SendBatch(const GatewayProcess& gateway, int first_id, int count) {
  auto stub = client_v1::ChaukasClientService::NewStub(
      grpc::CreateChannel(gateway.grpc_target(), grpc::InsecureChannelCredentials()));
  client_v1::IngestEventBatchRequest request;
  for (int i = first_id; i < first_id + count; ++i) {
    *request.mutable_event_batch()->add_events() = MakeEvent("evt-" + std::to_string(i));
  }
  grpc::ClientContext context;
  client_v1::IngestEventBatchResponse response;
  return stub->IngestEventBatch(&context, request, &response);
}

TEST(LifecycleTest, ValidateAcceptsTheShippedConfig) {
  absl::StatusOr<CommandResult> result =
      RunCommand({GatewayBinary(), "--validate", "--config",
                  std::string(CHAUKAS_SOURCE_DIR) + "/config/gateway.yaml"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0) << result->output;
  EXPECT_THAT(result->output, HasSubstr("gateway.yaml: OK"));
}

TEST(LifecycleTest, ValidateAcceptsTheUpstreamExample) {
  absl::StatusOr<CommandResult> result =
      RunCommand({GatewayBinary(), "--validate", "--config",
                  std::string(CHAUKAS_SOURCE_DIR) + "/examples/upstream.yaml"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0) << result->output;
}

TEST(LifecycleTest, ValidateNamesFileLineColumnAndKeyOfAnError) {
  TempDir dir;
  std::string config = DefaultTestConfig();
  config = ReplaceOnce(config, "    path:", "    pathh:");
  const CommandResult result = Validate(dir, config);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output,
              HasSubstr("gateway.yaml:14:5 clusters[0].pathh: unknown key \"pathh\""));
}

TEST(LifecycleTest, ValidateChecksFilterBlocksToo) {
  TempDir dir;
  std::string config = DefaultTestConfig();
  config = ReplaceOnce(config, "  - name: validate\n",
                       "  - name: validate\n    config: {max_tags: -1}\n");
  const CommandResult result = Validate(dir, config);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("filters[0].config.max_tags: must be between 0"));

  config = DefaultTestConfig();
  config = ReplaceOnce(config, "name: validate", "name: redact_everything");
  EXPECT_THAT(Validate(dir, config).output, HasSubstr("unknown filter \"redact_everything\""));
}

TEST(LifecycleTest, SigtermWritesOutEveryAcceptedEventAndExitsZero) {
  absl::StatusOr<std::unique_ptr<GatewayProcess>> gateway =
      GatewayProcess::Start(DefaultTestConfig());
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  constexpr int kBatches = 50;
  for (int b = 0; b < kBatches; ++b) ASSERT_TRUE(SendBatch(**gateway, b * 20, 20).ok());
  StopCleanly(**gateway);
  absl::StatusOr<std::vector<v1::Event>> written =
      ReadJsonLines((*gateway)->dir() / "events.jsonl");
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->size(), size_t{kBatches * 20});
  EXPECT_THAT((*gateway)->log(), HasSubstr("draining"));
}

TEST(LifecycleTest, AdminServesReadinessStatsAndMaskedConfig) {
  std::string config = DefaultTestConfig();
  config = ReplaceOnce(config, "  - name: validate\n",
                       "  - name: validate\n    config: {max_tags: 10}\n");
  absl::StatusOr<std::unique_ptr<GatewayProcess>> gateway = GatewayProcess::Start(config);
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  EXPECT_EQ(AdminGet(**gateway, "/ready"), "READY\n");
  EXPECT_EQ(AdminGet(**gateway, "/healthz"), "OK\n");
  const std::string dump = AdminGet(**gateway, "/config_dump");
  EXPECT_THAT(dump, HasSubstr("max_tags: 10"));
  EXPECT_THAT(dump, HasSubstr("max_body_bytes: 4194304"));
  EXPECT_THAT(AdminGet(**gateway, "/stats"), HasSubstr("listener.admin.requests"));
}

TEST(LifecycleTest, AddressInUseFailsWithTheAddress) {
  absl::StatusOr<std::unique_ptr<GatewayProcess>> first =
      GatewayProcess::Start(DefaultTestConfig());
  ASSERT_TRUE(first.ok()) << first.status();
  std::string config = DefaultTestConfig();
  const std::string taken = "127.0.0.1:" + std::to_string((*first)->grpc_port());
  config = ReplaceOnce(config, "grpc: {address: 127.0.0.1:0}", "grpc: {address: " + taken + "}");
  absl::StatusOr<std::unique_ptr<GatewayProcess>> second = GatewayProcess::Start(config);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("cannot listen for gRPC on " + taken));
  // The first one is unaffected.
  EXPECT_TRUE(SendBatch(**first, 0, 1).ok());
}

TEST(LifecycleTest, ProtobufSinkRotatesAndStaysReadable) {
  absl::StatusOr<std::unique_ptr<GatewayProcess>> gateway = GatewayProcess::Start(
      DefaultTestConfig("    format: protobuf\n    rotate: {max_bytes: 8192, max_files: 0}\n"));
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  for (int b = 0; b < 20; ++b) ASSERT_TRUE(SendBatch(**gateway, b * 10, 10).ok());
  StopCleanly(**gateway);

  size_t events = 0;
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator((*gateway)->dir())) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("events.jsonl", 0) != 0) continue;
    ++files;
    const std::string bytes = ReadFile(entry.path());
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                              static_cast<int>(bytes.size()));
    uint32_t size = 0;
    while (in.ReadVarint32(&size)) {
      const auto limit = in.PushLimit(static_cast<int>(size));
      v1::Event event;
      ASSERT_TRUE(event.ParseFromCodedStream(&in)) << name;
      ASSERT_TRUE(in.ConsumedEntireMessage());
      in.PopLimit(limit);
      ++events;
    }
    EXPECT_EQ(in.CurrentPosition(), static_cast<int>(bytes.size())) << name;
  }
  EXPECT_EQ(events, 200u);
  EXPECT_GT(files, 1u);
}

}  // namespace
}  // namespace chaukas::testing
