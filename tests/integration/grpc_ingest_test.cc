// The real gateway binary driven by real grpc++ clients on both Chaukas services.

#include <future>

#include "chaukas/spec/client/v1/client.grpc.pb.h"
#include "chaukas/spec/server/v1/server.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/integration/integration_support.h"

namespace chaukas::testing {
namespace {

namespace client_v1 = chaukas::spec::client::v1;
namespace server_v1 = chaukas::spec::server::v1;
using google::protobuf::util::MessageDifferencer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Trailer(const grpc::ClientContext& context, const std::string& key) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto found = trailers.find(key);
  return found == trailers.end() ? "" : std::string(found->second.data(), found->second.size());
}

class GrpcIngestTest : public ::testing::Test {
 protected:
  void SetUp() override { StartGateway(DefaultTestConfig()); }

  void StartGateway(const std::string& config) {
    absl::StatusOr<std::unique_ptr<GatewayProcess>> gateway = GatewayProcess::Start(config);
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
    channel_ = grpc::CreateChannel(gateway_->grpc_target(), grpc::InsecureChannelCredentials());
    client_ = client_v1::ChaukasClientService::NewStub(channel_);
    server_ = server_v1::ChaukasServerService::NewStub(channel_);
  }

  // Drops the test's connection. With a client still connected, stopping the gateway would
  // wait for gRPC's graceful shutdown, which waits for the client to acknowledge a GOAWAY ping.
  void CloseConnection() {
    client_.reset();
    server_.reset();
    channel_.reset();
  }

  std::vector<v1::Event> SinkEvents() {
    CloseConnection();
    return StopAndReadSink(*gateway_);
  }

  // Sends raw bytes as the request of `method`, as a broken client would.
  grpc::Status RawCall(const std::string& method, const std::string& bytes) {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext context;
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                   [&done](grpc::Status status) { done.set_value(std::move(status)); });
    return done.get_future().get();
  }

  std::unique_ptr<GatewayProcess> gateway_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<client_v1::ChaukasClientService::Stub> client_;
  std::unique_ptr<server_v1::ChaukasServerService::Stub> server_;
};

TEST_F(GrpcIngestTest, ClientIngestEventLandsInTheJsonLinesSinkUnchanged) {
  client_v1::IngestEventRequest request;
  *request.mutable_event() = MakeEvent("evt-1");
  (*request.mutable_event()->mutable_metadata()->mutable_fields())["k"].set_string_value("v");
  {
    client_v1::IngestEventResponse response;
    grpc::ClientContext context;  // holds the connection until it goes out of scope
    ASSERT_TRUE(client_->IngestEvent(&context, request, &response).ok());
  }

  const std::vector<v1::Event> written = SinkEvents();
  ASSERT_EQ(written.size(), 1u);
  EXPECT_TRUE(MessageDifferencer::Equals(written[0], request.event())) << written[0].DebugString();
}

TEST_F(GrpcIngestTest, ClientIngestEventRejectsInvalidEventWithFieldPath) {
  client_v1::IngestEventRequest request;
  *request.mutable_event() = MakeEvent("evt-1");
  request.mutable_event()->clear_timestamp();
  client_v1::IngestEventResponse response;
  grpc::ClientContext context;
  const grpc::Status status = client_->IngestEvent(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "event rejected: event.timestamp: is required");
}

TEST_F(GrpcIngestTest, ClientBatchPartlyRejectedSucceedsAndNamesRejectsInTrailers) {
  client_v1::IngestEventBatchRequest request;
  *request.mutable_event_batch()->add_events() = MakeEvent("good-1");
  *request.mutable_event_batch()->add_events() = MakeEvent("bad-1", "");
  *request.mutable_event_batch()->add_events() = MakeEvent("good-2");
  {
    client_v1::IngestEventBatchResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(client_->IngestEventBatch(&context, request, &response).ok());
    EXPECT_EQ(Trailer(context, "chaukas-accepted-count"), "2");
    EXPECT_EQ(Trailer(context, "chaukas-rejected-count"), "1");
    EXPECT_EQ(Trailer(context, "chaukas-rejected"),
              "event_batch.events[1] (event_id \"bad-1\"): session_id: is required");
  }

  const std::vector<v1::Event> written = SinkEvents();
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written[0].event_id(), "good-1");
  EXPECT_EQ(written[1].event_id(), "good-2");
}

TEST_F(GrpcIngestTest, ClientBatchWithEveryEventRejectedIsInvalidArgument) {
  client_v1::IngestEventBatchRequest request;
  v1::Event unknown_type = MakeEvent("e-1");
  unknown_type.set_type(static_cast<v1::EventType>(77));
  *request.mutable_event_batch()->add_events() = unknown_type;
  client_v1::IngestEventBatchResponse response;
  grpc::ClientContext context;
  const grpc::Status status = client_->IngestEventBatch(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("event_batch.events[0] (event_id \"e-1\"): type: 77 is not a "
                        "chaukas.spec.common.v1.EventType value"));
}

TEST_F(GrpcIngestTest, ServerServiceBatchAnswersTrueCounts) {
  server_v1::IngestEventBatchRequest request;
  request.mutable_event_batch()->set_batch_id("batch-7");
  *request.mutable_event_batch()->add_events() = MakeEvent("a");
  *request.mutable_event_batch()->add_events() = MakeEvent("b");
  v1::Event no_id = MakeEvent("");
  *request.mutable_event_batch()->add_events() = no_id;
  v1::Event no_status = MakeEvent("d");
  no_status.clear_status();
  *request.mutable_event_batch()->add_events() = no_status;
  server_v1::IngestEventBatchResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(server_->IngestEventBatch(&context, request, &response).ok());
  EXPECT_EQ(response.batch_id(), "batch-7");
  EXPECT_EQ(response.accepted_count(), 2);
  EXPECT_EQ(response.rejected_count(), 2);
  EXPECT_THAT(response.rejected_event_ids(), ElementsAre("event_batch.events[2]", "d"));
}

TEST_F(GrpcIngestTest, ServerServiceIngestEventAnswersStatusAndProcessedAt) {
  server_v1::IngestEventRequest request;
  *request.mutable_event() = MakeEvent("evt-9");
  server_v1::IngestEventResponse response;
  grpc::ClientContext context;
  const int64_t before = absl::ToUnixMillis(absl::Now());
  ASSERT_TRUE(server_->IngestEvent(&context, request, &response).ok());
  EXPECT_EQ(response.event_id(), "evt-9");
  EXPECT_EQ(response.status(), "accepted");
  EXPECT_GE(response.processed_at(), before);
  EXPECT_LE(response.processed_at(), absl::ToUnixMillis(absl::Now()));
}

TEST_F(GrpcIngestTest, HealthzAndCapabilitiesAreAnsweredOnBothServices) {
  {
    grpc::ClientContext context;
    client_v1::HealthzResponse response;
    EXPECT_TRUE(client_->Healthz(&context, {}, &response).ok());
  }
  {
    grpc::ClientContext context;
    server_v1::HealthzResponse response;
    EXPECT_TRUE(server_->Healthz(&context, {}, &response).ok());
  }
  grpc::ClientContext context;
  server_v1::GetCapabilitiesResponse response;
  ASSERT_TRUE(server_->GetCapabilities(&context, {}, &response).ok());
  EXPECT_TRUE(response.capabilities().policy_decisions());
  EXPECT_TRUE(response.capabilities().data_access_events());
  EXPECT_FALSE(response.capabilities().distributed_query());
}

TEST_F(GrpcIngestTest, QueryEventsRoutedToAFileClusterExplainsWhyItCannotBeAnswered) {
  grpc::ClientContext context;
  client_v1::QueryEventsResponse response;
  const grpc::Status status = client_->QueryEvents(&context, {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_THAT(status.error_message(),
              HasSubstr("QueryEvents goes to cluster local, which forwards to no Chaukas backend"));
}

TEST_F(GrpcIngestTest, GetEventStatsAnswersFromTheGatewaysOwnAggregates) {
  const absl::Time start = absl::Now() - absl::Minutes(5);
  client_v1::IngestEventBatchRequest request;
  auto add = [&](const std::string& id, const std::string& session, v1::EventType type,
                 absl::Duration offset) {
    v1::Event event = MakeEvent(id, session, type);
    event.mutable_timestamp()->set_seconds(absl::ToUnixSeconds(start + offset));
    *request.mutable_event_batch()->add_events() = event;
  };
  add("s1-start", "s1", v1::EVENT_TYPE_SESSION_START, absl::ZeroDuration());
  add("s1-tool", "s1", v1::EVENT_TYPE_TOOL_CALL_START, absl::Seconds(10));
  add("s1-end", "s1", v1::EVENT_TYPE_SESSION_END, absl::Seconds(45));
  add("s2-start", "s2", v1::EVENT_TYPE_SESSION_START, absl::Seconds(1));
  add("s2-end", "s2", v1::EVENT_TYPE_SESSION_END, absl::Seconds(16));
  add("other", "s3", v1::EVENT_TYPE_TOOL_CALL_START, absl::Seconds(2));
  request.mutable_event_batch()->mutable_events(5)->set_project_id("other-project");
  {
    grpc::ClientContext context;
    client_v1::IngestEventBatchResponse response;
    ASSERT_TRUE(client_->IngestEventBatch(&context, request, &response).ok());
  }

  server_v1::GetEventStatsRequest stats_request;
  stats_request.set_tenant_id("acme");
  stats_request.set_project_id("shop");
  server_v1::GetEventStatsResponse stats;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(server_->GetEventStats(&context, stats_request, &stats).ok());
  }
  EXPECT_EQ(stats.total_events(), 5);
  EXPECT_EQ(stats.total_sessions(), 2);
  EXPECT_EQ(stats.events_by_type().at("EVENT_TYPE_SESSION_START"), 2);
  EXPECT_EQ(stats.events_by_type().at("EVENT_TYPE_SESSION_END"), 2);
  EXPECT_EQ(stats.events_by_type().at("EVENT_TYPE_TOOL_CALL_START"), 1);
  EXPECT_DOUBLE_EQ(stats.avg_session_duration_ms(), 30000.0);  // (45 s + 15 s) / 2

  // A range that ends before the events excludes them all.
  stats_request.mutable_time_range()->mutable_end()->set_seconds(
      absl::ToUnixSeconds(start - absl::Hours(1)));
  grpc::ClientContext context;
  ASSERT_TRUE(server_->GetEventStats(&context, stats_request, &stats).ok());
  EXPECT_EQ(stats.total_events(), 0);
}

TEST_F(GrpcIngestTest, CorruptProtobufIsInvalidArgumentAndTheGatewayKeepsServing) {
  const std::string valid = ReadVector("client_ingest_event_request.bin");
  const grpc::Status status = RawCall("/chaukas.spec.client.v1.ChaukasClientService/IngestEvent",
                                      valid.substr(0, valid.size() / 2));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "request is not a valid chaukas.spec.client.v1.IngestEventRequest (truncated or "
            "corrupt protobuf)");

  // The intact reference encoding is accepted on the same connection.
  EXPECT_TRUE(RawCall("/chaukas.spec.client.v1.ChaukasClientService/IngestEvent", valid).ok());
}

TEST_F(GrpcIngestTest, OversizedRequestIsRefusedByTheConfiguredLimit) {
  CloseConnection();
  StopCleanly(*gateway_);
  std::string config = DefaultTestConfig();
  config = ReplaceOnce(config, "grpc: {address: 127.0.0.1:0}",
                       "grpc: {address: 127.0.0.1:0, max_message_bytes: 2048}");
  StartGateway(config);
  client_v1::IngestEventRequest request;
  *request.mutable_event() = MakeEvent("big");
  request.mutable_event()->mutable_message()->set_text(std::string(4096, 'x'));
  client_v1::IngestEventResponse response;
  grpc::ClientContext context;
  EXPECT_EQ(client_->IngestEvent(&context, request, &response).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(GrpcIngestTest, StatsCountPerMethodAndPerTenant) {
  client_v1::IngestEventBatchRequest request;
  *request.mutable_event_batch()->add_events() = MakeEvent("a");
  *request.mutable_event_batch()->add_events() = MakeEvent("b");
  client_v1::IngestEventBatchResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(client_->IngestEventBatch(&context, request, &response).ok());

  const std::string stats = AdminGet(*gateway_, "/stats");
  EXPECT_THAT(stats, HasSubstr("listener.grpc.IngestEventBatch.requests: 1"));
  EXPECT_THAT(stats, HasSubstr("listener.grpc.events_accepted: 2"));
  EXPECT_THAT(stats, HasSubstr("tenant.acme.EVENT_TYPE_AGENT_START.events_accepted: 2"));
  EXPECT_THAT(stats, HasSubstr("cluster.local.events_enqueued: 2"));
}

}  // namespace
}  // namespace chaukas::testing
