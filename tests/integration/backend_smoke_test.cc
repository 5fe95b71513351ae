// The test backends (chaukas-test-backend and python_backend.py) and their harness,
// BackendProcess, driven directly with grpc++ stubs and the HTTP test client: what gateway
// upstream tests will rely on.

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "chaukas/spec/client/v1/client.pb.h"
#include "chaukas/spec/server/v1/server.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/integration/integration_support.h"
#include "tests/support/backend_process.h"
#include "tests/support/http_test_client.h"
#include "tests/support/wait_until.h"

namespace chaukas::testing {
namespace {

namespace client_v1 = chaukas::spec::client::v1;
namespace server_v1 = chaukas::spec::server::v1;
using Kind = BackendProcess::Kind;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using Metadata = std::vector<std::pair<std::string, std::string>>;

server_v1::IngestEventBatchRequest MakeBatch(const std::string& batch_id,
                                             const std::vector<std::string>& event_ids,
                                             const std::string& session_id = "sess-1",
                                             const std::string& tenant = "acme") {
  server_v1::IngestEventBatchRequest request;
  request.mutable_event_batch()->set_batch_id(batch_id);
  for (const std::string& id : event_ids) {
    *request.mutable_event_batch()->add_events() =
        MakeEvent(id, session_id, v1::EVENT_TYPE_AGENT_START, tenant);
  }
  return request;
}

std::string KindName(const ::testing::TestParamInfo<Kind>& info) {
  return info.param == Kind::kCpp ? "Cpp" : "Python";
}

// Both backends over gRPC: each test gets a fresh one.
class BackendSmokeTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<BackendProcess>> backend = BackendProcess::Start(GetParam());
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = *std::move(backend);
    stub_ = server_v1::ChaukasServerService::NewStub(
        grpc::CreateChannel(backend_->grpc_address(), grpc::InsecureChannelCredentials()));
  }

  grpc::Status SendBatch(const server_v1::IngestEventBatchRequest& request,
                         server_v1::IngestEventBatchResponse* response = nullptr,
                         absl::Duration deadline = absl::Seconds(10),
                         const Metadata& metadata = {}) {
    server_v1::IngestEventBatchResponse ignored;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    // Waits out a reconnection (after a restart) instead of failing at once.
    context.set_wait_for_ready(true);
    for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
    return stub_->IngestEventBatch(&context, request, response ? response : &ignored);
  }

  grpc::Status Healthz() {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    server_v1::HealthzResponse response;
    return stub_->Healthz(&context, server_v1::HealthzRequest(), &response);
  }

  std::unique_ptr<BackendProcess> backend_;
  std::unique_ptr<server_v1::ChaukasServerService::Stub> stub_;
};

TEST_P(BackendSmokeTest, RecordsEveryEventOfAnAcceptedBatch) {
  server_v1::IngestEventBatchResponse response;
  const grpc::Status status =
      SendBatch(MakeBatch("batch-1", {"evt-1", "evt-2", "evt-3"}, "sess-9", "tenant-a"), &response);
  ASSERT_TRUE(status.ok()) << status.error_message() << "\n" << backend_->log();
  EXPECT_EQ(response.batch_id(), "batch-1");
  EXPECT_EQ(response.accepted_count(), 3);
  EXPECT_EQ(response.rejected_count(), 0);
  EXPECT_THAT(backend_->ReceivedEventIds(), ElementsAre("evt-1", "evt-2", "evt-3"));
  const std::vector<BackendProcess::Received> received = backend_->ReceivedEvents();
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[1].tenant_id, "tenant-a");
  EXPECT_EQ(received[1].session_id, "sess-9");
  EXPECT_EQ(received[1].call, 1);
  EXPECT_EQ(backend_->calls(), 1);
}

TEST_P(BackendSmokeTest, RecordsASingleIngestEventToo) {
  server_v1::IngestEventRequest request;
  *request.mutable_event() = MakeEvent("evt-single");
  server_v1::IngestEventResponse response;
  grpc::ClientContext context;
  const grpc::Status status = stub_->IngestEvent(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.event_id(), "evt-single");
  EXPECT_EQ(response.status(), "accepted");
  EXPECT_GT(response.processed_at(), 0);
  EXPECT_THAT(backend_->ReceivedEventIds(), ElementsAre("evt-single"));
}

TEST_P(BackendSmokeTest, FailModeAnswersItsCodeAndRecordsNothingUntilOk) {
  backend_->SetMode("fail UNAVAILABLE");
  EXPECT_EQ(SendBatch(MakeBatch("b1", {"evt-1"})).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(SendBatch(MakeBatch("b2", {"evt-2"})).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(backend_->ReceivedEvents(), IsEmpty());
  EXPECT_EQ(backend_->calls(), 2);

  backend_->SetMode("fail 14 the disk is full");  // a code number, and a message
  const grpc::Status failed = SendBatch(MakeBatch("b3", {"evt-3"}));
  EXPECT_EQ(failed.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(failed.error_message(), "the disk is full");

  backend_->SetMode("ok");
  EXPECT_TRUE(SendBatch(MakeBatch("b4", {"evt-4"})).ok());
  ASSERT_THAT(backend_->ReceivedEventIds(), ElementsAre("evt-4"));
  EXPECT_EQ(backend_->ReceivedEvents()[0].call, 4);
}

TEST_P(BackendSmokeTest, FailThenOkFailsExactlyTheNextNCalls) {
  backend_->SetMode("fail_then_ok 2 UNAVAILABLE");
  EXPECT_EQ(SendBatch(MakeBatch("b", {"evt-1"})).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(SendBatch(MakeBatch("b", {"evt-1"})).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(SendBatch(MakeBatch("b", {"evt-1"})).ok());
  EXPECT_TRUE(SendBatch(MakeBatch("b", {"evt-2"})).ok());
  EXPECT_EQ(backend_->calls(), 4);
  const std::vector<BackendProcess::Received> received = backend_->ReceivedEvents();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].call, 3);

  // Written again, even with the same text, the mode starts over.
  backend_->SetMode("fail_then_ok 2 UNAVAILABLE");
  EXPECT_EQ(SendBatch(MakeBatch("b", {"evt-3"})).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_P(BackendSmokeTest, StallHoldsTheCallPastItsDeadline) {
  backend_->SetMode("stall");
  const absl::Time start = absl::Now();
  EXPECT_EQ(SendBatch(MakeBatch("b", {"evt-1"}), nullptr, absl::Milliseconds(300)).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(290));
  EXPECT_EQ(backend_->calls(), 1);
  EXPECT_THAT(backend_->ReceivedEvents(), IsEmpty());
  EXPECT_TRUE(Healthz().ok());  // only ingest stalls

  // The backend learns of the deadline a little after the client: until it has, a mode
  // change would still answer (and record) the held call.
  ASSERT_TRUE(
      WaitUntil([&] { return absl::StrContains(backend_->log(), "stalled call 1 finished"); }));
  backend_->SetMode("ok");
  EXPECT_TRUE(SendBatch(MakeBatch("b", {"evt-2"})).ok());
  EXPECT_THAT(backend_->ReceivedEventIds(), ElementsAre("evt-2"));
}

TEST_P(BackendSmokeTest, StalledCallIsAnsweredUnderTheNextMode) {
  backend_->SetMode("stall");
  grpc::Status status(grpc::StatusCode::UNKNOWN, "not answered");
  std::thread caller(
      [&] { status = SendBatch(MakeBatch("b", {"evt-1"}), nullptr, absl::Seconds(30)); });
  ASSERT_TRUE(WaitUntil([&] { return backend_->calls() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_THAT(backend_->ReceivedEvents(), IsEmpty());
  backend_->SetMode("ok");
  caller.join();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(backend_->ReceivedEventIds(), ElementsAre("evt-1"));
}

TEST_P(BackendSmokeTest, RejectReportsTheListedIdsAndRecordsTheRest) {
  backend_->SetMode("reject evt-2 evt-9");
  server_v1::IngestEventBatchResponse response;
  ASSERT_TRUE(SendBatch(MakeBatch("batch-r", {"evt-1", "evt-2", "evt-3"}), &response).ok());
  EXPECT_EQ(response.batch_id(), "batch-r");
  EXPECT_EQ(response.accepted_count(), 2);
  EXPECT_EQ(response.rejected_count(), 1);
  EXPECT_THAT(response.rejected_event_ids(), ElementsAre("evt-2"));
  EXPECT_THAT(backend_->ReceivedEventIds(), ElementsAre("evt-1", "evt-3"));
}

TEST_P(BackendSmokeTest, UnhealthyFailsHealthzButStillIngests) {
  EXPECT_TRUE(Healthz().ok());
  backend_->SetMode("unhealthy");
  EXPECT_EQ(Healthz().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(SendBatch(MakeBatch("b", {"evt-1"})).ok());
  EXPECT_THAT(backend_->ReceivedEventIds(), ElementsAre("evt-1"));
  backend_->SetMode("ok");
  EXPECT_TRUE(Healthz().ok());
}

TEST_P(BackendSmokeTest, RestartKeepsThePortAndAppendsToTheRecord) {
  ASSERT_TRUE(SendBatch(MakeBatch("b", {"evt-1"})).ok());
  const uint16_t port = backend_->grpc_port();
  const uint16_t http_port = backend_->http_port();

  ASSERT_TRUE(backend_->Stop().ok());
  EXPECT_FALSE(backend_->running());
  EXPECT_EQ(SendBatch(MakeBatch("b", {"evt-x"}), nullptr, absl::Milliseconds(300)).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);  // waits for a backend that is not there

  absl::Status restarted = backend_->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted;
  EXPECT_EQ(backend_->grpc_port(), port);
  EXPECT_EQ(backend_->http_port(), http_port);
  ASSERT_TRUE(SendBatch(MakeBatch("b", {"evt-2"})).ok());  // the same channel reconnects
  restarted = backend_->Restart();                         // a running backend restarts too
  ASSERT_TRUE(restarted.ok()) << restarted;
  ASSERT_TRUE(SendBatch(MakeBatch("b", {"evt-3"})).ok());

  EXPECT_THAT(backend_->ReceivedEventIds(), ElementsAre("evt-1", "evt-2", "evt-3"));
  // Call numbers go on across restarts: evt-x never arrived, so evt-3 came with call 3.
  EXPECT_EQ(backend_->ReceivedEvents().back().call, 3);
  EXPECT_EQ(backend_->calls(), 3);
}

TEST_P(BackendSmokeTest, StartsOnAGivenPort) {
  const uint16_t port = backend_->grpc_port();
  ASSERT_TRUE(backend_->Stop().ok());
  absl::StatusOr<std::unique_ptr<BackendProcess>> again = BackendProcess::Start(GetParam(), port);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->grpc_port(), port);
  ASSERT_TRUE(SendBatch(MakeBatch("b", {"evt-1"})).ok());
  EXPECT_THAT((*again)->ReceivedEventIds(), ElementsAre("evt-1"));
}

TEST_P(BackendSmokeTest, AnswersQueryStatsAndCapabilitiesFromWhatItReceived) {
  server_v1::IngestEventBatchRequest batch = MakeBatch("b", {"evt-1", "evt-2"}, "sess-a", "acme");
  batch.mutable_event_batch()->mutable_events(1)->set_type(v1::EVENT_TYPE_TOOL_CALL_START);
  ASSERT_TRUE(SendBatch(batch).ok());
  ASSERT_TRUE(SendBatch(MakeBatch("b", {"evt-3"}, "sess-b", "other")).ok());

  server_v1::QueryEventsRequest query;
  query.mutable_query()->mutable_filter()->set_session_id("sess-a");
  server_v1::QueryEventsResponse found;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->QueryEvents(&context, query, &found).ok());
  }
  ASSERT_EQ(found.response().events_size(), 2);
  EXPECT_EQ(found.response().events(0).SerializeAsString(),
            batch.event_batch().events(0).SerializeAsString());  // the whole event
  EXPECT_EQ(found.response().events(1).event_id(), "evt-2");

  server_v1::GetEventStatsRequest stats_request;
  stats_request.set_tenant_id("acme");
  server_v1::GetEventStatsResponse stats;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->GetEventStats(&context, stats_request, &stats).ok());
  }
  EXPECT_EQ(stats.total_events(), 2);
  EXPECT_EQ(stats.total_sessions(), 1);
  EXPECT_EQ(stats.events_by_type().at("EVENT_TYPE_AGENT_START"), 1);
  EXPECT_EQ(stats.events_by_type().at("EVENT_TYPE_TOOL_CALL_START"), 1);

  server_v1::GetCapabilitiesResponse capabilities;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(
        stub_->GetCapabilities(&context, server_v1::GetCapabilitiesRequest(), &capabilities).ok());
  }
  EXPECT_TRUE(capabilities.capabilities().worm_retention());
  EXPECT_TRUE(capabilities.capabilities().audit_proofs());
  EXPECT_FALSE(capabilities.capabilities().policy_decisions());  // the gateway's own says true
}

TEST_P(BackendSmokeTest, RecordsTheAuthMetadataOfEveryIngestCall) {
  ASSERT_TRUE(SendBatch(MakeBatch("b", {"evt-1"}), nullptr, absl::Seconds(10),
                        {{"x-tenant", "acme"},
                         {"authorization", "Bearer abc"},
                         {"x-api-key", "key-1"},
                         {"other", "not recorded"}})
                  .ok());
  backend_->SetMode("fail UNAVAILABLE");  // failed calls arrived too
  EXPECT_FALSE(SendBatch(MakeBatch("b", {"evt-2"})).ok());
  EXPECT_THAT(backend_->MetadataLines(),
              ElementsAre("authorization=Bearer abc;x-api-key=key-1;x-tenant=acme", ""));
}

TEST_P(BackendSmokeTest, ABadControlLineFailsIngestNamingIt) {
  backend_->SetMode("flaky 3");
  const grpc::Status status = SendBatch(MakeBatch("b", {"evt-1"}));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(status.error_message(), HasSubstr("unknown mode \"flaky\""));
}

TEST_P(BackendSmokeTest, StopsWithExitZero) {
  backend_->SetMode("stall");
  std::thread caller(
      [&] { (void)SendBatch(MakeBatch("b", {"evt-1"}), nullptr, absl::Seconds(30)); });
  ASSERT_TRUE(WaitUntil([&] { return backend_->calls() == 1; }));
  const absl::Status stopped = backend_->Stop();  // with a call held
  EXPECT_TRUE(stopped.ok()) << stopped;
  caller.join();
  EXPECT_TRUE(backend_->Stop().ok());  // already stopped
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendSmokeTest, ::testing::Values(Kind::kCpp, Kind::kPython),
                         KindName);

// The python backend's HTTP side.
class PythonHttpBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<BackendProcess>> backend = BackendProcess::Start(Kind::kPython);
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = *std::move(backend);
    ASSERT_NE(backend_->http_port(), backend_->grpc_port());
    EXPECT_EQ(backend_->http_base_url(),
              "http://127.0.0.1:" + std::to_string(backend_->http_port()));
    http_ = std::make_unique<HttpTestClient>("127.0.0.1", backend_->http_port());
  }

  // POST /v1/events/batch as the SDK sends it: a client IngestEventBatchRequest as protobuf.
  absl::StatusOr<HttpTestResponse> PostProtobufBatch(const std::vector<std::string>& ids) {
    client_v1::IngestEventBatchRequest request;
    request.mutable_event_batch()->set_batch_id("batch-http");
    for (const std::string& id : ids) *request.mutable_event_batch()->add_events() = MakeEvent(id);
    return http_->Send("POST", "/v1/events/batch", request.SerializeAsString(),
                       {{"Content-Type", "application/x-protobuf"},
                        {"Authorization", "Bearer sdk-key"},
                        {"User-Agent", "chaukas-sdk/0.1"}});
  }

  std::unique_ptr<BackendProcess> backend_;
  std::unique_ptr<HttpTestClient> http_;
};

TEST_F(PythonHttpBackendTest, RecordsAProtobufBatchAndAnswersInProtobuf) {
  absl::StatusOr<HttpTestResponse> response = PostProtobufBatch({"evt-1", "evt-2"});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 202) << response->body;
  EXPECT_EQ(response->headers["content-type"], "application/x-protobuf");
  server_v1::IngestEventBatchResponse answer;
  ASSERT_TRUE(answer.ParseFromString(response->body));
  EXPECT_EQ(answer.batch_id(), "batch-http");
  EXPECT_EQ(answer.accepted_count(), 2);
  EXPECT_THAT(backend_->ReceivedEventIds(), ElementsAre("evt-1", "evt-2"));
  EXPECT_THAT(backend_->MetadataLines(), ElementsAre("authorization=Bearer sdk-key"));
}

TEST_F(PythonHttpBackendTest, RecordsJsonBatchesBareOrWrapped) {
  std::string bare_json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(
                  MakeBatch("batch-bare", {"evt-1", "evt-2"}).event_batch(), &bare_json)
                  .ok());
  absl::StatusOr<HttpTestResponse> response = http_->Post("/v1/events/batch", bare_json);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 202) << response->body;
  EXPECT_EQ(response->headers["content-type"], "application/json");
  server_v1::IngestEventBatchResponse answer;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(response->body, &answer).ok());
  EXPECT_EQ(answer.batch_id(), "batch-bare");
  EXPECT_EQ(answer.accepted_count(), 2);

  std::string wrapped_json;  // an IngestEventBatchRequest
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(
                  MakeBatch("batch-wrapped", {"evt-3", "evt-4"}), &wrapped_json)
                  .ok());
  backend_->SetMode("reject evt-4");
  response = http_->Post("/v1/events/batch", wrapped_json);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 202) << response->body;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(response->body, &answer).ok());
  EXPECT_EQ(answer.batch_id(), "batch-wrapped");
  EXPECT_EQ(answer.accepted_count(), 1);
  EXPECT_THAT(answer.rejected_event_ids(), ElementsAre("evt-4"));
  EXPECT_THAT(backend_->ReceivedEventIds(), ElementsAre("evt-1", "evt-2", "evt-3"));

  response = http_->Post("/v1/events/batch", R"({"events": [{"no_such_field": 1}]})");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 400) << response->body;
  EXPECT_EQ(backend_->calls(), 2);  // a body that does not parse is no ingest call
}

TEST_F(PythonHttpBackendTest, RecordsSingleEventsPostedToEvents) {
  client_v1::IngestEventRequest request;
  *request.mutable_event() = MakeEvent("evt-proto");
  absl::StatusOr<HttpTestResponse> response =
      http_->Send("POST", "/v1/events", request.SerializeAsString(),
                  {{"Content-Type", "application/x-protobuf"}});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 202) << response->body;

  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(MakeEvent("evt-json"), &json).ok());
  response = http_->Post("/v1/events", json);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 202) << response->body;
  EXPECT_THAT(response->body, HasSubstr("\"status\": \"accepted\""));
  EXPECT_THAT(backend_->ReceivedEventIds(), ElementsAre("evt-proto", "evt-json"));
}

TEST_F(PythonHttpBackendTest, FailModeAnswersAnHttpStatus) {
  backend_->SetMode("fail 503 high memory usage");
  absl::StatusOr<HttpTestResponse> response = PostProtobufBatch({"evt-1"});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 503);
  EXPECT_THAT(response->body, HasSubstr("high memory usage"));

  backend_->SetMode("fail RESOURCE_EXHAUSTED");  // a gRPC code becomes its HTTP status
  response = PostProtobufBatch({"evt-2"});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 429);
  EXPECT_THAT(backend_->ReceivedEvents(), IsEmpty());

  backend_->SetMode("fail_then_ok 1 503");
  response = PostProtobufBatch({"evt-3"});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 503);
  response = PostProtobufBatch({"evt-3"});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 202);
  EXPECT_THAT(backend_->ReceivedEventIds(), ElementsAre("evt-3"));
  EXPECT_EQ(backend_->calls(), 4);
}

TEST_F(PythonHttpBackendTest, HttpStatus503FailsGrpcWithUnavailable) {
  backend_->SetMode("fail 503");
  auto stub = server_v1::ChaukasServerService::NewStub(
      grpc::CreateChannel(backend_->grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  server_v1::IngestEventBatchResponse response;
  EXPECT_EQ(stub->IngestEventBatch(&context, MakeBatch("b", {"evt-1"}), &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(PythonHttpBackendTest, StallHoldsTheRequestUntilTheModeChanges) {
  backend_->SetMode("stall");
  http_->set_timeout(absl::Milliseconds(300));
  EXPECT_FALSE(PostProtobufBatch({"evt-1"}).ok());  // no answer in time
  EXPECT_EQ(backend_->calls(), 1);
  // The handler gives up once it sees the connection closed.
  ASSERT_TRUE(
      WaitUntil([&] { return absl::StrContains(backend_->log(), "stalled call 1 finished"); }));

  http_->set_timeout(absl::Seconds(30));
  absl::StatusOr<HttpTestResponse> response;
  std::thread caller([&] { response = PostProtobufBatch({"evt-2"}); });
  ASSERT_TRUE(WaitUntil([&] { return backend_->calls() == 2; }));
  backend_->SetMode("ok");
  caller.join();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 202);
  EXPECT_THAT(backend_->ReceivedEventIds(), ElementsAre("evt-2"));
}

TEST_F(PythonHttpBackendTest, HealthzCapabilitiesAndQuery) {
  absl::StatusOr<HttpTestResponse> response = http_->Get("/healthz");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  backend_->SetMode("unhealthy");
  response = http_->Get("/healthz");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 503);

  response = http_->Get("/v1/capabilities");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_THAT(response->body, HasSubstr("\"worm_retention\": true"));

  response = PostProtobufBatch({"evt-1", "evt-2"});
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->status, 202);
  response =
      http_->Post("/v1/query", R"({"filter": {"session_id": "sess-1"}, "order_by_time": "DESC"})");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200) << response->body;
  client_v1::QueryEventsResponse wrapper;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  absl::StrCat("{\"response\": ", response->body, "}"), &wrapper)
                  .ok());
  ASSERT_EQ(wrapper.response().events_size(), 2);
  EXPECT_EQ(wrapper.response().events(1).event_id(), "evt-2");
  response = http_->Get("/v1/nothing");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 404);
}

TEST_F(PythonHttpBackendTest, GrpcAndHttpCallsShareOneCount) {
  absl::StatusOr<HttpTestResponse> posted = PostProtobufBatch({"evt-1"});
  ASSERT_TRUE(posted.ok()) << posted.status();
  ASSERT_EQ(posted->status, 202);
  auto stub = server_v1::ChaukasServerService::NewStub(
      grpc::CreateChannel(backend_->grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  server_v1::IngestEventBatchResponse response;
  ASSERT_TRUE(stub->IngestEventBatch(&context, MakeBatch("b", {"evt-2"}), &response).ok());
  const std::vector<BackendProcess::Received> received = backend_->ReceivedEvents();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].call, 1);
  EXPECT_EQ(received[1].call, 2);
}

TEST(CppBackendTest, HasNoHttpPort) {
  absl::StatusOr<std::unique_ptr<BackendProcess>> backend = BackendProcess::Start(Kind::kCpp);
  ASSERT_TRUE(backend.ok()) << backend.status();
  EXPECT_EQ((*backend)->http_port(), 0);
  EXPECT_EQ((*backend)->grpc_address(), "127.0.0.1:" + std::to_string((*backend)->grpc_port()));
}

}  // namespace
}  // namespace chaukas::testing
