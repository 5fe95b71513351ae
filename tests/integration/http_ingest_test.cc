// The real gateway binary driven by a real HTTP client: both JSON shapes, x-protobuf as
// the SDK sends it, and bad input of every kind.

#include <filesystem>

#include "chaukas/spec/client/v1/client.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/integration/integration_support.h"
#include "tests/support/http_test_client.h"

namespace chaukas::testing {
namespace {

namespace client_v1 = chaukas::spec::client::v1;
using google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

constexpr char kJson[] = "application/json";
constexpr char kProtobuf[] = "application/x-protobuf";

class HttpIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<GatewayProcess>> gateway =
        GatewayProcess::Start(DefaultTestConfig(), {}, absl::Seconds(30));
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
    client_ = std::make_unique<HttpTestClient>("127.0.0.1", gateway_->http_port());
  }

  HttpTestResponse Post(const std::string& target, const std::string& body,
                        const std::string& content_type) {
    absl::StatusOr<HttpTestResponse> response = client_->Post(target, body, content_type);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : HttpTestResponse{};
  }

  std::unique_ptr<GatewayProcess> gateway_;
  std::unique_ptr<HttpTestClient> client_;
};

TEST_F(HttpIngestTest, EveryOpenApiVectorIsAcceptedAndStoredAsItsBinaryTwin) {
  std::vector<v1::Event> expected;
  for (const auto& entry : std::filesystem::directory_iterator(
           std::filesystem::path(CHAUKAS_TEST_DATA_DIR) / "vectors/openapi")) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("event_", 0) != 0) continue;
    const std::string base = name.substr(0, name.size() - std::string(".openapi.json").size());
    const HttpTestResponse response = Post("/v1/events", ReadFile(entry.path()), kJson);
    EXPECT_EQ(response.status, 202) << name << ": " << response.body;
    v1::Event twin;
    ASSERT_TRUE(twin.ParseFromString(ReadVector(base + ".bin"))) << base;
    expected.push_back(twin);
  }
  ASSERT_GE(expected.size(), 10u);

  const std::vector<v1::Event> written = StopAndReadSink(*gateway_);
  ASSERT_EQ(written.size(), expected.size());
  for (const v1::Event& event : expected) {
    const bool found = std::any_of(written.begin(), written.end(), [&](const v1::Event& w) {
      return MessageDifferencer::Equals(w, event);
    });
    EXPECT_TRUE(found) << "not stored unchanged: " << event.event_id();
  }
}

TEST_F(HttpIngestTest, OpenApiBatchIsAccepted) {
  const HttpTestResponse response =
      Post("/v1/events/batch", ReadVector("openapi/client_ingest_event_batch_request.openapi.json"),
           kJson);
  EXPECT_EQ(response.status, 202) << response.body;
  EXPECT_EQ(response.body, R"({"accepted_count":3,"rejected_count":0,"rejected_events":[]})");
}

TEST_F(HttpIngestTest, CanonicalProtoJsonIsAcceptedBareAndWrapped) {
  EXPECT_EQ(Post("/v1/events", ReadVector("event_tool_call.json"), kJson).status, 202);
  EXPECT_EQ(Post("/v1/events", ReadVector("client_ingest_event_request.json"), kJson).status, 202);
  EXPECT_EQ(
      Post("/v1/events/batch", ReadVector("client_ingest_event_batch_request.json"), kJson).status,
      202);
  EXPECT_EQ(StopAndReadSink(*gateway_).size(), 5u);
}

TEST_F(HttpIngestTest, BinaryProtobufAsTheSdkSendsIt) {
  const std::vector<std::pair<std::string, std::string>> sdk_headers = {
      {"Content-Type", kProtobuf},
      {"Authorization", "Bearer sk-test"},
      {"User-Agent", "chaukas-sdk/0.1.0"}};
  absl::StatusOr<HttpTestResponse> batch = client_->Send(
      "POST", "/v1/events/batch", ReadVector("client_ingest_event_batch_request.bin"), sdk_headers);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->status, 202) << batch->body;
  absl::StatusOr<HttpTestResponse> single = client_->Send(
      "POST", "/v1/events", ReadVector("client_ingest_event_request.bin"), sdk_headers);
  ASSERT_TRUE(single.ok()) << single.status();
  EXPECT_EQ(single->status, 202) << single->body;

  client_v1::IngestEventBatchRequest sent;
  ASSERT_TRUE(sent.ParseFromString(ReadVector("client_ingest_event_batch_request.bin")));
  const std::vector<v1::Event> written = StopAndReadSink(*gateway_);
  ASSERT_EQ(written.size(), 4u);
  for (int i = 0; i < sent.event_batch().events_size(); ++i) {
    EXPECT_TRUE(MessageDifferencer::Equals(written[i], sent.event_batch().events(i)));
  }
}

TEST_F(HttpIngestTest, PartlyInvalidBatchIsAcceptedWithEachRejectionExplained) {
  const std::string valid = ReadVector("event_tool_call.json");
  const std::string invalid = R"({"event_id":"no-session","type":"TOOL_CALL_START",
      "status":"STARTED","timestamp":"2026-01-01T00:00:00Z"})";
  const HttpTestResponse response =
      Post("/v1/events/batch", R"({"events":[)" + valid + "," + invalid + "]}", kJson);
  EXPECT_EQ(response.status, 202);
  EXPECT_EQ(response.body,
            R"({"accepted_count":1,"rejected_count":1,"rejected_events":[{"index":1,)"
            R"("event_id":"no-session","reason":"session_id: is required"}]})");
}

TEST_F(HttpIngestTest, MissingRequiredFieldsAre400NamingTheField) {
  const HttpTestResponse single = Post(
      "/v1/events", R"({"event_id":"e","type":"ERROR","status":"FAILED","session_id":"s"})", kJson);
  EXPECT_EQ(single.status, 400);
  EXPECT_EQ(single.body, R"({"error":{"code":400,"message":"timestamp: is required"}})");

  const HttpTestResponse batch =
      Post("/v1/events/batch", R"({"events":[{"event_id":"e1"},{"event_id":"e2"}]})", kJson);
  EXPECT_EQ(batch.status, 400);
  EXPECT_THAT(batch.body, HasSubstr("all 2 events rejected: events[0] (event_id \\\"e1\\\"): "
                                    "type: is required"));
  EXPECT_THAT(Post("/v1/events/batch", R"({"batch_id":"x"})", kJson).body,
              HasSubstr("events: is required"));
}

TEST_F(HttpIngestTest, UnknownEnumNameIs400WithItsPath) {
  const HttpTestResponse response = Post(
      "/v1/events/batch",
      R"({"events":[{"event_id":"e","type":"SESSION_BEGIN","status":"STARTED","session_id":"s",)"
      R"("timestamp":"2026-01-01T00:00:00Z"}]})",
      kJson);
  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(response.body, HasSubstr("events[0].type"));
  EXPECT_THAT(response.body, HasSubstr("SESSION_BEGIN"));
}

TEST_F(HttpIngestTest, MalformedJsonIs400) {
  const HttpTestResponse response = Post("/v1/events", R"({"event_id": "e",)", kJson);
  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(response.body, HasSubstr("invalid JSON"));
}

TEST_F(HttpIngestTest, TruncatedProtobufIs400NamingTheExpectedMessage) {
  const std::string bytes = ReadVector("client_ingest_event_batch_request.bin");
  const HttpTestResponse response =
      Post("/v1/events/batch", bytes.substr(0, bytes.size() - 7), kProtobuf);
  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(response.body,
              HasSubstr("body is not a valid chaukas.spec.client.v1.IngestEventBatchRequest"));
}

TEST_F(HttpIngestTest, UnknownContentTypeIs415) {
  const HttpTestResponse response = Post("/v1/events", "event_id=1", "text/plain");
  EXPECT_EQ(response.status, 415);
  EXPECT_THAT(response.body, HasSubstr("unsupported Content-Type \\\"text/plain\\\""));
}

TEST_F(HttpIngestTest, BodyOverTheLimitIs413AndTheGatewayKeepsServing) {
  const HttpTestResponse response =
      Post("/v1/events/batch", std::string(5 * 1024 * 1024, ' '), kJson);
  EXPECT_EQ(response.status, 413);
  EXPECT_THAT(response.body, HasSubstr("max_body_bytes"));

  HttpTestClient fresh("127.0.0.1", gateway_->http_port());
  absl::StatusOr<HttpTestResponse> after =
      fresh.Post("/v1/events", ReadVector("event_tool_call.json"), kJson);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->status, 202);
}

TEST_F(HttpIngestTest, RoutesAndMethods) {
  absl::StatusOr<HttpTestResponse> health = client_->Get("/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
  absl::StatusOr<HttpTestResponse> capabilities = client_->Get("/v1/capabilities");
  ASSERT_TRUE(capabilities.ok());
  EXPECT_EQ(capabilities->status, 200);
  EXPECT_EQ(capabilities->body, R"({"policy_decisions":true,"data_access_events":true})");
  EXPECT_EQ(Post("/v1/query", R"({"filter":{}})", kJson).status, 501);
  EXPECT_EQ(Post("/v2/events", "{}", kJson).status, 404);
  absl::StatusOr<HttpTestResponse> wrong_method = client_->Get("/v1/events");
  ASSERT_TRUE(wrong_method.ok());
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(wrong_method->headers["allow"], "POST");
}

TEST_F(HttpIngestTest, PrometheusExpositionParsesAndCountsTheEvents) {
  ASSERT_EQ(
      Post("/v1/events/batch", ReadVector("client_ingest_event_batch_request.json"), kJson).status,
      202);
  TempDir dir;
  const auto exposition = dir.WriteFile("metrics.txt", AdminGet(*gateway_, "/stats/prometheus"));
  // prometheus_client's parser is the reference reader of the text format.
  const std::string script = R"(
import sys
from prometheus_client.parser import text_string_to_metric_families
values = {}
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    for sample in family.samples:
        values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
print(int(values[('chaukas_listener_events_accepted_total', (('listener', 'http'),))]))
)";
  absl::StatusOr<CommandResult> result =
      RunCommand({"/usr/bin/python3", "-c", script, exposition.string()});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0) << result->output;
  EXPECT_EQ(result->output, "3\n");
}

}  // namespace
}  // namespace chaukas::testing
