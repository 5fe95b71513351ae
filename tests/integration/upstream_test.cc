// The gateway in front of real upstream Chaukas backends (grpc++ and Python processes),
// driven by a real grpc++ client; what each backend received is counted by event_id.

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "chaukas/spec/client/v1/client.grpc.pb.h"
#include "chaukas/spec/server/v1/server.grpc.pb.h"
#include "gmock/gmock.h"
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
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

using Kind = BackendProcess::Kind;

std::unique_ptr<BackendProcess> StartBackend(Kind kind = Kind::kCpp) {
  absl::StatusOr<std::unique_ptr<BackendProcess>> backend = BackendProcess::Start(kind);
  EXPECT_TRUE(backend.ok()) << backend.status();
  return backend.ok() ? *std::move(backend) : nullptr;
}

// A grpc cluster with fast batching and retries and no active health checks, unless
// `extra` (more keys of the cluster, indented by four spaces) sets them itself.
std::string GrpcCluster(const std::string& name, const std::vector<std::string>& endpoints,
                        const std::string& extra = "") {
  std::string list;
  for (const std::string& endpoint : endpoints) {
    absl::StrAppend(&list, list.empty() ? "" : ", ", "\"", endpoint, "\"");
  }
  std::string cluster = absl::StrCat("  - name: ", name, "\n    protocol: grpc\n    endpoints: [",
                                     list, "]\n", extra);
  const auto add_default = [&](const std::string& key, const std::string& value) {
    if (extra.find("    " + key + ":") == std::string::npos) {
      absl::StrAppend(&cluster, "    ", key, ": ", value, "\n");
    }
  };
  add_default("batch", "{max_events: 100, max_delay_ms: 5}");
  add_default("retry", "{initial_backoff_ms: 20, max_backoff_ms: 200}");
  add_default("health_check", "{enabled: false}");
  return cluster;
}

class UpstreamTest : public ::testing::Test {
 protected:
  void StartGateway(const std::string& config) {
    // Some tests end with an upstream that never recovers: do not wait long for it.
    absl::StatusOr<std::unique_ptr<GatewayProcess>> gateway =
        GatewayProcess::Start(config, {"--drain-timeout-ms", "2000"});
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
    channel_ = grpc::CreateChannel(gateway_->grpc_target(), grpc::InsecureChannelCredentials());
    client_ = client_v1::ChaukasClientService::NewStub(channel_);
    server_ = server_v1::ChaukasServerService::NewStub(channel_);
  }

  void TearDown() override {
    client_.reset();
    server_.reset();
    channel_.reset();
    if (gateway_) StopCleanly(*gateway_);
  }

  grpc::Status Send(const std::vector<v1::Event>& events) {
    client_v1::IngestEventBatchRequest request;
    for (const v1::Event& event : events) *request.mutable_event_batch()->add_events() = event;
    client_v1::IngestEventBatchResponse response;
    grpc::ClientContext context;
    return client_->IngestEventBatch(&context, request, &response);
  }

  std::string Stats() { return AdminGet(*gateway_, "/stats"); }

  std::unique_ptr<GatewayProcess> gateway_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<client_v1::ChaukasClientService::Stub> client_;
  std::unique_ptr<server_v1::ChaukasServerService::Stub> server_;
};

std::vector<v1::Event> Events(const std::string& prefix, int count,
                              const std::string& tenant = "acme",
                              const std::string& session = "sess-1") {
  std::vector<v1::Event> events;
  for (int i = 0; i < count; ++i) {
    events.push_back(
        MakeEvent(absl::StrCat(prefix, "-", i), session, v1::EVENT_TYPE_AGENT_START, tenant));
  }
  return events;
}

std::vector<std::string> Ids(const std::vector<v1::Event>& events) {
  std::vector<std::string> ids;
  for (const v1::Event& event : events) ids.push_back(event.event_id());
  return ids;
}

std::set<std::string> UniqueIds(const BackendProcess& backend) {
  const std::vector<std::string> ids = backend.ReceivedEventIds();
  return {ids.begin(), ids.end()};
}

TEST_F(UpstreamTest, RoutesEachTenantToItsBackendSplittingOneClientBatch) {
  auto acme = StartBackend();
  auto globex = StartBackend();
  ASSERT_TRUE(acme && globex);
  StartGateway(TestConfig(
      GrpcCluster("acme", {acme->grpc_address()}) + GrpcCluster("globex", {globex->grpc_address()}),
      "  - {match: {tenant: acme}, cluster: acme}\n"
      "  - {match: {tenant: \"glob*\"}, cluster: globex}\n"));
  std::vector<v1::Event> mixed = Events("a", 3, "acme");
  const std::vector<v1::Event> globex_events = Events("g", 2, "globex");
  mixed.insert(mixed.begin() + 1, globex_events.begin(), globex_events.end());
  ASSERT_TRUE(Send(mixed).ok());

  ASSERT_TRUE(WaitUntil([&] {
    return acme->ReceivedEventIds().size() == 3 && globex->ReceivedEventIds().size() == 2;
  }));
  EXPECT_THAT(acme->ReceivedEventIds(), ElementsAre("a-0", "a-1", "a-2"));
  EXPECT_THAT(globex->ReceivedEventIds(), ElementsAre("g-0", "g-1"));
  for (const auto& received : globex->ReceivedEvents()) EXPECT_EQ(received.tenant_id, "globex");
  // The upstream call says whose events they are.
  EXPECT_THAT(globex->MetadataLines().front(), HasSubstr("x-chaukas-tenant=globex"));
  EXPECT_THAT(Stats(), HasSubstr("route.routes[0].events_matched: 3"));
}

TEST_F(UpstreamTest, UnroutedEventsAreRejectedWithTheReason) {
  auto acme = StartBackend();
  ASSERT_TRUE(acme);
  StartGateway(TestConfig(GrpcCluster("acme", {acme->grpc_address()}),
                          "  - {match: {tenant: acme}, cluster: acme}\n"));
  const grpc::Status status = Send(Events("x", 1, "nobody"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("no route matches tenant_id \"nobody\""));
}

TEST_F(UpstreamTest, MirrorGetsItsOwnCopyAndItsFailureNeverFailsOrDuplicatesThePrimary) {
  auto primary = StartBackend();
  auto mirror = StartBackend();
  ASSERT_TRUE(primary && mirror);
  mirror->SetMode("fail UNAVAILABLE");
  StartGateway(TestConfig(GrpcCluster("primary", {primary->grpc_address()}) +
                              GrpcCluster("mirror", {mirror->grpc_address()}),
                          "  - {match: {}, cluster: primary, mirror: [mirror]}\n"));
  const std::vector<v1::Event> events = Events("m", 20);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(Send({events.begin() + i * 5, events.begin() + i * 5 + 5}).ok());
  }
  ASSERT_TRUE(WaitUntil([&] { return primary->ReceivedEventIds().size() == 20; }));
  EXPECT_TRUE(mirror->ReceivedEventIds().empty());

  mirror->SetMode("ok");
  ASSERT_TRUE(WaitUntil([&] { return UniqueIds(*mirror).size() == 20; }));
  // The primary got each event exactly once: the mirror's retries never re-sent to it.
  EXPECT_THAT(primary->ReceivedEventIds(), UnorderedElementsAreArray(Ids(events)));
}

TEST_F(UpstreamTest, SessionHashKeepsSessionsOnOneBackendAndMovesOnlyADeadOnesSessions) {
  std::vector<std::unique_ptr<BackendProcess>> backends;
  std::vector<std::string> addresses;
  for (int i = 0; i < 3; ++i) {
    backends.push_back(StartBackend());
    ASSERT_TRUE(backends.back());
    addresses.push_back(backends.back()->grpc_address());
  }
  StartGateway(TestConfig(
      GrpcCluster("sessions", addresses,
                  "    load_balancing: session_hash\n"
                  "    health_check: {interval_ms: 100, timeout_ms: 100, unhealthy_threshold: 1}\n"
                  "    outlier_detection: {consecutive_failures: 1, base_ejection_ms: 60000,"
                  " max_ejection_percent: 100}\n"),
      "  - {match: {}, cluster: sessions}\n"));
  constexpr int kSessions = 30;
  auto send_round = [&](const std::string& round) {
    std::vector<v1::Event> events;
    for (int s = 0; s < kSessions; ++s) {
      events.push_back(MakeEvent(absl::StrCat(round, "-", s), absl::StrCat("sess-", s)));
    }
    return Send(events);
  };
  auto owners = [&](const std::string& round) {
    std::map<std::string, std::set<int>> owner;  // session -> backends that got it
    for (int b = 0; b < 3; ++b) {
      for (const auto& received : backends[b]->ReceivedEvents()) {
        if (received.event_id.rfind(round + "-", 0) == 0) owner[received.session_id].insert(b);
      }
    }
    return owner;
  };
  auto received_round = [&](const std::string& round) {
    size_t total = 0;
    for (const auto& [session, holders] : owners(round)) total += holders.size();
    return total;
  };

  ASSERT_TRUE(send_round("r1").ok());
  ASSERT_TRUE(send_round("r2").ok());
  ASSERT_TRUE(WaitUntil([&] { return received_round("r2") == kSessions; }));
  const auto first = owners("r1");
  const auto second = owners("r2");
  std::set<int> used;
  for (const auto& [session, holders] : first) {
    ASSERT_EQ(holders.size(), 1u) << session;
    EXPECT_EQ(second.at(session), holders) << "session " << session << " moved";
    used.insert(*holders.begin());
  }
  EXPECT_EQ(used.size(), 3u) << "30 sessions should spread over all 3 backends";

  ASSERT_TRUE(backends[0]->Kill().ok());
  ASSERT_TRUE(WaitUntil([&] {
    return AdminGet(*gateway_, "/clusters").find(addresses[0] + "::health::unhealthy") !=
           std::string::npos;
  })) << AdminGet(*gateway_, "/clusters");
  ASSERT_TRUE(send_round("r3").ok());
  ASSERT_TRUE(WaitUntil([&] { return received_round("r3") == kSessions; }));
  for (const auto& [session, holders] : owners("r3")) {
    const int before = *first.at(session).begin();
    if (before == 0) {
      EXPECT_NE(*holders.begin(), 0) << session;  // moved off the dead backend
    } else {
      EXPECT_EQ(*holders.begin(), before) << session << " moved although its backend lives";
    }
  }
}

TEST_F(UpstreamTest, RetriesUntilTheUpstreamIsBackLosingNothing) {
  auto backend = StartBackend();
  ASSERT_TRUE(backend);
  const uint16_t port = backend->grpc_port();
  ASSERT_TRUE(backend->Stop().ok());
  StartGateway(TestConfig(GrpcCluster("acme", {absl::StrCat("127.0.0.1:", port)}),
                          "  - {match: {}, cluster: acme}\n"));
  std::vector<std::string> sent;
  for (int i = 0; i < 10; ++i) {
    const std::vector<v1::Event> events = Events(absl::StrCat("r", i), 10);
    ASSERT_TRUE(Send(events).ok());  // async: accepted once queued
    for (const std::string& id : Ids(events)) sent.push_back(id);
  }
  absl::SleepFor(absl::Milliseconds(500));
  ASSERT_TRUE(backend->Restart().ok());
  ASSERT_TRUE(
      WaitUntil([&] { return UniqueIds(*backend).size() == sent.size(); }, absl::Seconds(20)));
  EXPECT_EQ(UniqueIds(*backend), std::set<std::string>(sent.begin(), sent.end()));
  EXPECT_THAT(Stats(), HasSubstr("cluster.acme.retries:"));
  EXPECT_THAT(Stats(), ::testing::Not(HasSubstr("cluster.acme.retries: 0\n")));
}

TEST_F(UpstreamTest, EjectsAFailingEndpointAndTakesItBackAfterTheEjection) {
  auto good = StartBackend();
  auto flaky = StartBackend();
  ASSERT_TRUE(good && flaky);
  flaky->SetMode("fail UNAVAILABLE");
  StartGateway(TestConfig(GrpcCluster("pair", {good->grpc_address(), flaky->grpc_address()},
                                      "    outlier_detection: {consecutive_failures: 2,"
                                      " base_ejection_ms: 1500, max_ejection_percent: 50}\n"
                                      "    batch: {max_events: 1, max_delay_ms: 0}\n"),
                          "  - {match: {}, cluster: pair}\n"));
  const std::string flaky_ejected = flaky->grpc_address() + "::ejected::true";
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Send(Events(absl::StrCat("e", i), 1)).ok());
  ASSERT_TRUE(WaitUntil([&] {
    return AdminGet(*gateway_, "/clusters").find(flaky_ejected) != std::string::npos;
  })) << AdminGet(*gateway_, "/clusters")
      << Stats();
  ASSERT_TRUE(WaitUntil([&] { return UniqueIds(*good).size() == 10; }));
  flaky->SetMode("ok");
  const int calls_before = flaky->calls();
  ASSERT_TRUE(WaitUntil(
      [&] { return AdminGet(*gateway_, "/clusters").find(flaky_ejected) == std::string::npos; },
      absl::Seconds(10)));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Send(Events(absl::StrCat("back", i), 1)).ok());
  ASSERT_TRUE(WaitUntil([&] { return flaky->calls() > calls_before; }))
      << "the endpoint should get traffic again after its ejection";
  EXPECT_THAT(Stats(), HasSubstr("cluster.pair.ejections: 1"));
}

TEST_F(UpstreamTest, TimesOutAStalledUpstreamAndDeliversOnceItAnswers) {
  auto backend = StartBackend();
  ASSERT_TRUE(backend);
  backend->SetMode("stall");
  StartGateway(TestConfig(GrpcCluster("slow", {backend->grpc_address()}, "    timeout_ms: 200\n"),
                          "  - {match: {}, cluster: slow}\n"));
  ASSERT_TRUE(Send(Events("s", 5)).ok());
  ASSERT_TRUE(WaitUntil([&] {
    return Stats().find("cluster.slow.DEADLINE_EXCEEDED.upstream_failures_by_code") !=
           std::string::npos;
  })) << Stats();
  backend->SetMode("ok");
  ASSERT_TRUE(WaitUntil([&] { return UniqueIds(*backend).size() == 5; }));
}

TEST_F(UpstreamTest, SyncDeliveryRelaysTheUpstreamsRejectsMergedWithTheGatewaysOwn) {
  auto backend = StartBackend();
  ASSERT_TRUE(backend);
  backend->SetMode("reject evt-up");
  StartGateway(TestConfig(GrpcCluster("sync", {backend->grpc_address()}, "    delivery: sync\n"),
                          "  - {match: {}, cluster: sync}\n"));
  server_v1::IngestEventBatchRequest request;
  request.mutable_event_batch()->set_batch_id("b-1");
  *request.mutable_event_batch()->add_events() = MakeEvent("evt-ok");
  *request.mutable_event_batch()->add_events() = MakeEvent("evt-up");
  *request.mutable_event_batch()->add_events() = MakeEvent("evt-invalid", "");
  server_v1::IngestEventBatchResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(server_->IngestEventBatch(&context, request, &response).ok());
  EXPECT_EQ(response.accepted_count(), 1);
  EXPECT_EQ(response.rejected_count(), 2);
  EXPECT_THAT(response.rejected_event_ids(), ElementsAre("evt-up", "evt-invalid"));
  EXPECT_THAT(backend->ReceivedEventIds(), ElementsAre("evt-ok"));
}

TEST_F(UpstreamTest, SyncDeliveryAnswersDeadlineExceededWhenTheUpstreamGivesNoVerdict) {
  auto backend = StartBackend();
  ASSERT_TRUE(backend);
  backend->SetMode("stall");
  StartGateway(TestConfig(GrpcCluster("sync", {backend->grpc_address()},
                                      "    delivery: sync\n    sync_timeout_ms: 300\n"),
                          "  - {match: {}, cluster: sync}\n"));
  const grpc::Status status = Send(Events("late", 1));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_THAT(status.error_message(), HasSubstr("will be delivered at least once"));
  backend->SetMode("ok");
  ASSERT_TRUE(WaitUntil([&] { return UniqueIds(*backend).size() == 1; }));
}

TEST_F(UpstreamTest, ManySmallClientCallsBecomeFewUpstreamCalls) {
  auto backend = StartBackend();
  ASSERT_TRUE(backend);
  StartGateway(TestConfig(GrpcCluster("batched", {backend->grpc_address()},
                                      "    batch: {max_events: 500, max_delay_ms: 200}\n"),
                          "  - {match: {}, cluster: batched}\n"));
  client_v1::IngestEventResponse response;
  for (int i = 0; i < 200; ++i) {
    client_v1::IngestEventRequest request;
    *request.mutable_event() = MakeEvent(absl::StrCat("one-", i));
    grpc::ClientContext context;
    ASSERT_TRUE(client_->IngestEvent(&context, request, &response).ok());
  }
  ASSERT_TRUE(WaitUntil([&] { return UniqueIds(*backend).size() == 200; }));
  EXPECT_LE(backend->calls(), 20) << "200 client calls became " << backend->calls();
}

TEST_F(UpstreamTest, OverloadAnswerWhenTheUpstreamIsDownAndTheQueueFull) {
  auto backend = StartBackend();
  ASSERT_TRUE(backend);
  backend->SetMode("fail UNAVAILABLE");
  StartGateway(
      TestConfig(GrpcCluster("tight", {backend->grpc_address()}, "    queue: {max_bytes: 65536}\n"),
                 "  - {match: {}, cluster: tight}\n"));
  grpc::Status status;
  for (int i = 0; i < 100 && status.ok(); ++i) status = Send(Events(absl::StrCat("o", i), 50));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("high memory usage"));
  // The HTTP listener shares the queue: once it is full, the SDK's overload answer.
  HttpTestClient http("127.0.0.1", gateway_->http_port());
  absl::StatusOr<HttpTestResponse> answer;
  for (int i = 0; i < 100; ++i) {
    answer = http.Post("/v1/events", ReadVector("event_tool_call.json"), "application/json");
    if (!answer.ok() || answer->status != 202) break;
  }
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->status, 503);
  EXPECT_THAT(answer->body, HasSubstr("high memory usage"));
}

TEST_F(UpstreamTest, HttpBackendGetsTheSdksProtobufOrJsonWithTheApiKey) {
  auto backend = StartBackend(Kind::kPython);
  ASSERT_TRUE(backend);
  StartGateway(TestConfig(
      absl::StrCat("  - {name: binary, protocol: http, endpoints: [\"", backend->http_base_url(),
                   "\"], api_key: upstream-secret, batch: {max_delay_ms: 5},"
                   " health_check: {enabled: false}}\n"
                   "  - {name: json, protocol: http, endpoints: [\"",
                   backend->http_base_url(),
                   "\"], format: json, batch: {max_delay_ms: 5},"
                   " health_check: {enabled: false}}\n"),
      "  - {match: {tenant: acme}, cluster: binary}\n"
      "  - {match: {}, cluster: json}\n"));
  ASSERT_TRUE(Send(Events("bin", 3, "acme")).ok());
  ASSERT_TRUE(Send(Events("txt", 2, "other")).ok());
  ASSERT_TRUE(WaitUntil([&] { return UniqueIds(*backend).size() == 5; }));
  bool saw_key = false;
  for (const std::string& line : backend->MetadataLines()) {
    saw_key = saw_key || line.find("authorization=Bearer upstream-secret") != std::string::npos;
  }
  EXPECT_TRUE(saw_key);
  EXPECT_THAT(AdminGet(*gateway_, "/config_dump"), ::testing::Not(HasSubstr("upstream-secret")));
}

TEST_F(UpstreamTest, PythonGrpcBackendAnswersReadsPassedThroughTheGateway) {
  auto backend = StartBackend(Kind::kPython);
  ASSERT_TRUE(backend);
  StartGateway(TestConfig(GrpcCluster("py", {backend->grpc_address()}),
                          "  - {match: {}, cluster: py, stats: upstream}\n"));
  ASSERT_TRUE(Send(Events("q", 3, "acme", "sess-q")).ok());
  ASSERT_TRUE(WaitUntil([&] { return UniqueIds(*backend).size() == 3; }));

  client_v1::QueryEventsRequest query;
  query.mutable_query()->mutable_filter()->set_session_id("sess-q");
  client_v1::QueryEventsResponse answer;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(client_->QueryEvents(&context, query, &answer).ok());
  }
  EXPECT_EQ(answer.response().events_size(), 3);

  server_v1::GetEventStatsRequest stats_request;
  stats_request.set_tenant_id("acme");
  server_v1::GetEventStatsResponse stats;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(server_->GetEventStats(&context, stats_request, &stats).ok());
  }
  EXPECT_EQ(stats.total_events(), 3);

  server_v1::GetCapabilitiesResponse capabilities;
  grpc::ClientContext context;
  ASSERT_TRUE(server_->GetCapabilities(&context, {}, &capabilities).ok());
  EXPECT_TRUE(capabilities.capabilities().worm_retention()) << "the upstream's, not the gateway's";
}

TEST_F(UpstreamTest, HttpQueryAndCapabilitiesArePassedThrough) {
  auto backend = StartBackend();
  ASSERT_TRUE(backend);
  StartGateway(TestConfig(GrpcCluster("acme", {backend->grpc_address()}),
                          "  - {match: {}, cluster: acme}\n"));
  ASSERT_TRUE(Send(Events("h", 2, "acme", "sess-h")).ok());
  ASSERT_TRUE(WaitUntil([&] { return UniqueIds(*backend).size() == 2; }));
  HttpTestClient http("127.0.0.1", gateway_->http_port());
  absl::StatusOr<HttpTestResponse> query =
      http.Post("/v1/query", R"({"filter": {"session_id": "sess-h"}, "order_by_time": "ASC"})",
                "application/json");
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->status, 200) << query->body;
  EXPECT_THAT(query->body, HasSubstr("\"h-0\""));
  absl::StatusOr<HttpTestResponse> capabilities = http.Get("/v1/capabilities");
  ASSERT_TRUE(capabilities.ok());
  EXPECT_THAT(capabilities->body, HasSubstr("\"worm_retention\":true"));
  absl::StatusOr<HttpTestResponse> too_big =
      http.Post("/v1/query", R"({"filter": {}, "page_size": 5000})", "application/json");
  ASSERT_TRUE(too_big.ok());
  EXPECT_EQ(too_big->status, 400);
  EXPECT_THAT(too_big->body, HasSubstr("page_size"));
}

TEST_F(UpstreamTest, TlsClusterTrustsOnlyItsCaFile) {
  TempDir certs;
  const std::string cert = (certs.path() / "cert.pem").string();
  const std::string key = (certs.path() / "key.pem").string();
  absl::StatusOr<CommandResult> made =
      RunCommand({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days",
                  "1", "-subj", "/CN=backend.test", "-addext", "subjectAltName=DNS:backend.test"});
  ASSERT_TRUE(made.ok() && made->exit_code == 0) << (made.ok() ? made->output : "");
  absl::StatusOr<std::unique_ptr<BackendProcess>> backend =
      BackendProcess::Start(Kind::kCpp, 0, 0, {"--tls-cert", cert, "--tls-key", key});
  ASSERT_TRUE(backend.ok()) << backend.status();
  // Two clusters on the same TLS backend: one trusts its certificate, the other expects
  // plain text and must fail rather than send anything in the clear.
  StartGateway(TestConfig(
      GrpcCluster("secure", {(*backend)->grpc_address()},
                  absl::StrCat("    tls: {ca_file: ", cert, ", server_name: backend.test}\n")) +
          GrpcCluster("plain", {(*backend)->grpc_address()}),
      "  - {match: {tenant: acme}, cluster: secure}\n"
      "  - {match: {}, cluster: plain}\n"));
  ASSERT_TRUE(Send(Events("tls", 3, "acme")).ok());
  ASSERT_TRUE(Send(Events("clear", 3, "other")).ok());
  ASSERT_TRUE(WaitUntil([&] { return UniqueIds(**backend).size() == 3; }));
  ASSERT_TRUE(WaitUntil(
      [&] { return Stats().find("cluster.plain.upstream_failures: 0") == std::string::npos; }));
  EXPECT_THAT((*backend)->ReceivedEventIds(), ElementsAre("tls-0", "tls-1", "tls-2"));
}

}  // namespace
}  // namespace chaukas::testing
