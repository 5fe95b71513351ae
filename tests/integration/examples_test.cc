// The examples a new user runs, run against a real gateway.

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/integration_support.h"

namespace chaukas::testing {
namespace {

using ::testing::HasSubstr;

class ExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<GatewayProcess>> gateway =
        GatewayProcess::Start(DefaultTestConfig());
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
  }

  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(ExamplesTest, PythonClientIngestsOverGrpcAndReadsStats) {
  absl::StatusOr<CommandResult> result = RunCommand(
      {"/usr/bin/python3", std::string(CHAUKAS_SOURCE_DIR) + "/examples/python_client.py",
       "--target", gateway_->grpc_target(), "--tenant", "py-tenant"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0) << result->output;
  EXPECT_THAT(result->output, HasSubstr("IngestEventBatch: accepted 3, rejected 0"));
  EXPECT_THAT(result->output, HasSubstr("invalid event refused: INVALID_ARGUMENT: event rejected: "
                                        "event.timestamp: is required"));
  EXPECT_THAT(result->output, HasSubstr("GetEventStats: 4 events in 1 sessions"));

  const std::vector<v1::Event> written = StopAndReadSink(*gateway_);
  ASSERT_EQ(written.size(), 4u);
  for (const v1::Event& event : written) EXPECT_EQ(event.tenant_id(), "py-tenant");
}

TEST_F(ExamplesTest, CurlWalkthroughRunsEveryStep) {
  const std::string http = "GATEWAY=http://127.0.0.1:" + std::to_string(gateway_->http_port());
  const std::string admin = "ADMIN=http://127.0.0.1:" + std::to_string(gateway_->admin_port());
  absl::StatusOr<CommandResult> result =
      RunCommand({"/bin/bash", std::string(CHAUKAS_SOURCE_DIR) + "/examples/curl_walkthrough.sh"},
                 absl::Seconds(60), {http, admin});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0) << result->output;
  EXPECT_THAT(result->output, HasSubstr("timestamp: is required"));
  EXPECT_THAT(result->output, HasSubstr("listener.http.events_accepted: 3"));

  const std::vector<v1::Event> written = StopAndReadSink(*gateway_);
  ASSERT_EQ(written.size(), 3u);
  EXPECT_EQ(written[0].tool_call().name(), "search");
  EXPECT_EQ(written[1].llm_invocation().total_tokens(), 42);
}

}  // namespace
}  // namespace chaukas::testing
