// tenant_auth in the real gateway binary: API keys, JWTs and anonymous ranges over HTTP and
// gRPC, events and reads held to the credential's tenant, and no answer, log line or
// /config_dump that gives away a key, a hash or which tenants exist.

#include "absl/strings/str_split.h"
#include "chaukas/spec/client/v1/client.grpc.pb.h"
#include "chaukas/spec/server/v1/server.grpc.pb.h"
#include "filters/tenant_auth/tenant_auth_config.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/filters/tenant_auth/jwt_test_keys.h"
#include "tests/integration/integration_support.h"
#include "tests/support/http_test_client.h"

namespace chaukas::testing {
namespace {

namespace client_v1 = chaukas::spec::client::v1;
namespace server_v1 = chaukas::spec::server::v1;
using filters::tenant_auth::Sha256Hex;
using filters::tenant_auth::SignHs256Token;
using filters::tenant_auth::SignToken;
using filters::tenant_auth::TestKey;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAcmeKey[] = "chk_acme_0123456789abcdef";
constexpr char kGlobexKey[] = "chk_globex_0123456789abcdef";
constexpr char kAcmeReaderKey[] = "chk_acme_reader_0123456789";
constexpr char kHmacSecret[] = "an-hs256-secret-of-at-least-32-bytes!";

std::string BatchJson(const std::vector<v1::Event>& events) {
  std::string json = R"({"events":[)";
  for (size_t i = 0; i < events.size(); ++i) {
    std::string event;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(events[i], &event).ok());
    json += (i > 0 ? "," : "") + event;
  }
  return json + "]}";
}

class TenantAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rsa_ = std::make_unique<TestKey>(TestKey::Rsa());
    const auto jwks =
        keys_dir_.WriteFile("jwks.json", filters::tenant_auth::Jwks({rsa_->Jwk("idp-1")}));
    const auto secret = keys_dir_.WriteFile("hs256.secret", kHmacSecret);
    const std::string auth = absl::StrCat(R"(  - name: tenant_auth
    config:
      keys:
        - {name: acme-sdk, sha256: ")",
                                          Sha256Hex(kAcmeKey), R"(", tenant: acme, projects: [shop]}
        - {name: globex-sdk, sha256: ")",
                                          Sha256Hex(kGlobexKey), R"(", tenant: globex}
        - {name: acme-dashboard, sha256: ")",
                                          Sha256Hex(kAcmeReaderKey),
                                          R"(", tenant: acme, scopes: [query, stats]}
      jwt:
        jwks_file: )",
                                          jwks.string(), R"(
        hs256_secret_file: )",
                                          secret.string(), R"(
        issuers: [https://idp.example]
        audiences: [chaukas-gateway]
        tenant_claim: org
        projects_claim: projects
)");
    absl::StatusOr<std::unique_ptr<GatewayProcess>> gateway = GatewayProcess::Start(
        ReplaceOnce(DefaultTestConfig(), "  - name: validate\n", "  - name: validate\n" + auth));
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
    http_ = std::make_unique<HttpTestClient>("127.0.0.1", gateway_->http_port());
    channel_ = grpc::CreateChannel(gateway_->grpc_target(), grpc::InsecureChannelCredentials());
    client_ = client_v1::ChaukasClientService::NewStub(channel_);
    server_ = server_v1::ChaukasServerService::NewStub(channel_);
  }

  absl::StatusOr<HttpTestResponse> PostBatch(const std::vector<v1::Event>& events,
                                             HttpTestClient::Headers headers) {
    headers.emplace_back("content-type", "application/json");
    return http_->Send("POST", "/v1/events/batch", BatchJson(events), headers);
  }

  // A JWT from the test's identity provider (RS256, kid idp-1).
  std::string IdpToken(const std::string& org, absl::Duration expires_in) {
    const int64_t exp = absl::ToUnixSeconds(absl::Now() + expires_in);
    return SignToken(*rsa_, R"({"alg":"RS256","kid":"idp-1","typ":"JWT"})",
                     absl::StrCat(R"({"iss":"https://idp.example","aud":"chaukas-gateway",)",
                                  R"("sub":"agent-runner","org":")", org,
                                  R"(","projects":["shop"],"exp":)", exp, "}"));
  }

  std::vector<v1::Event> SinkEvents() {
    client_.reset();
    server_.reset();
    channel_.reset();
    return StopAndReadSink(*gateway_);
  }

  TempDir keys_dir_;
  std::unique_ptr<TestKey> rsa_;
  std::unique_ptr<GatewayProcess> gateway_;
  std::unique_ptr<HttpTestClient> http_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<client_v1::ChaukasClientService::Stub> client_;
  std::unique_ptr<server_v1::ChaukasServerService::Stub> server_;
};

TEST_F(TenantAuthTest, HttpWithoutAValidCredentialIs401AndNamesNoTenant) {
  for (const HttpTestClient::Headers& headers : {HttpTestClient::Headers{},
                                                 {{"authorization", "Bearer chk_not_a_key"}},
                                                 {{"x-api-key", "chk_not_a_key"}},
                                                 {{"authorization", "Basic YWNtZTpzZWNyZXQ="}}}) {
    absl::StatusOr<HttpTestResponse> response = PostBatch({MakeEvent("e-1")}, headers);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 401) << response->body;
    EXPECT_EQ(response->headers["www-authenticate"], "Bearer");
    EXPECT_THAT(response->body, Not(HasSubstr("acme")));
    EXPECT_THAT(response->body, Not(HasSubstr("chk_not_a_key")));
  }
  EXPECT_TRUE(SinkEvents().empty());
}

TEST_F(TenantAuthTest, AKeyWritesOnlyItsOwnTenantAndProjects) {
  v1::Event unlabeled = MakeEvent("own-unlabeled", "s", v1::EVENT_TYPE_AGENT_START, "", "");
  v1::Event own = MakeEvent("own", "s", v1::EVENT_TYPE_AGENT_START, "acme", "shop");
  v1::Event spoofed = MakeEvent("spoofed", "s", v1::EVENT_TYPE_AGENT_START, "globex", "shop");
  v1::Event other_project =
      MakeEvent("billing", "s", v1::EVENT_TYPE_AGENT_START, "acme", "billing");
  absl::StatusOr<HttpTestResponse> response =
      PostBatch({unlabeled, own, spoofed, other_project},
                {{"authorization", std::string("Bearer ") + kAcmeKey}});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 202) << response->body;
  EXPECT_THAT(response->body, HasSubstr(R"("accepted_count":2)"));
  EXPECT_THAT(response->body, HasSubstr("tenant_id: does not match the credential's tenant"));
  EXPECT_THAT(response->body, HasSubstr("project_id: is not one of the credential's projects"));

  const std::vector<v1::Event> sink = SinkEvents();
  ASSERT_EQ(sink.size(), 2u);
  EXPECT_EQ(sink[0].event_id(), "own-unlabeled");
  EXPECT_EQ(sink[0].tenant_id(), "acme");  // stamped from the key
  EXPECT_EQ(sink[0].project_id(), "shop");
  EXPECT_EQ(sink[1].event_id(), "own");
}

TEST_F(TenantAuthTest, GrpcSaysUnauthenticatedOrPermissionDenied) {
  client_v1::IngestEventRequest request;
  *request.mutable_event() = MakeEvent("g-1", "s", v1::EVENT_TYPE_AGENT_START, "globex", "crm");
  {
    grpc::ClientContext context;
    client_v1::IngestEventResponse response;
    EXPECT_EQ(client_->IngestEvent(&context, request, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext context;  // the SDK's way: authorization metadata
    context.AddMetadata("authorization", std::string("Bearer ") + kGlobexKey);
    client_v1::IngestEventResponse response;
    EXPECT_TRUE(client_->IngestEvent(&context, request, &response).ok());
  }
  {
    grpc::ClientContext context;  // some clients' way: x-api-key
    context.AddMetadata("x-api-key", kGlobexKey);
    client_v1::IngestEventResponse response;
    EXPECT_TRUE(client_->IngestEvent(&context, request, &response).ok());
  }
  {
    grpc::ClientContext context;  // a dashboard key may read but not write
    context.AddMetadata("x-api-key", kAcmeReaderKey);
    client_v1::IngestEventResponse response;
    const grpc::Status status = client_->IngestEvent(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(status.error_message(), HasSubstr("\"ingest\" scope"));
  }
}

TEST_F(TenantAuthTest, ReadsAreConfinedToTheCredentialsTenantWithoutRevealingOthers) {
  {
    grpc::ClientContext context;
    context.AddMetadata("x-api-key", kGlobexKey);
    client_v1::IngestEventBatchRequest request;
    *request.mutable_event_batch()->add_events() =
        MakeEvent("g-1", "s", v1::EVENT_TYPE_AGENT_START, "globex", "crm");
    client_v1::IngestEventBatchResponse response;
    ASSERT_TRUE(client_->IngestEventBatch(&context, request, &response).ok());
  }
  const auto stats_of = [&](const std::string& tenant, server_v1::GetEventStatsResponse& out) {
    grpc::ClientContext context;
    context.AddMetadata("x-api-key", kAcmeReaderKey);
    server_v1::GetEventStatsRequest request;
    request.set_tenant_id(tenant);
    return server_->GetEventStats(&context, request, &out);
  };
  server_v1::GetEventStatsResponse stats;
  const grpc::Status existing = stats_of("globex", stats);
  const grpc::Status made_up = stats_of("no-such-tenant", stats);
  EXPECT_EQ(existing.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(existing.error_message(), made_up.error_message());
  ASSERT_TRUE(stats_of("", stats).ok());  // its own tenant
  EXPECT_EQ(stats.total_events(), 0);     // acme sent nothing; globex's event is not shown

  // HTTP /v1/query: another tenant is 403, and a key without the query scope too.
  for (const auto& [key, tenant] : {std::pair{kAcmeReaderKey, "globex"}, {kAcmeKey, "acme"}}) {
    absl::StatusOr<HttpTestResponse> response = http_->Send(
        "POST", "/v1/query", absl::StrCat(R"({"filter":{"tenant_id":")", tenant, R"("}})"),
        {{"content-type", "application/json"}, {"x-api-key", key}});
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 403) << response->body;
  }
}

TEST_F(TenantAuthTest, JwtsFromTheIdentityProviderAndExpiredOrForgedOnes) {
  const v1::Event event = MakeEvent("j-1", "s", v1::EVENT_TYPE_AGENT_START, "", "");
  absl::StatusOr<HttpTestResponse> accepted =
      PostBatch({event}, {{"authorization", "Bearer " + IdpToken("acme", absl::Minutes(5))}});
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(accepted->status, 202) << accepted->body;

  absl::StatusOr<HttpTestResponse> expired =
      PostBatch({event}, {{"authorization", "Bearer " + IdpToken("acme", -absl::Minutes(5))}});
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(expired->status, 401);
  EXPECT_THAT(expired->body, HasSubstr("expired"));

  // Signed with another key, and HS256 with the wrong secret.
  const TestKey other = TestKey::Rsa();
  const int64_t exp = absl::ToUnixSeconds(absl::Now() + absl::Minutes(5));
  const std::string claims = absl::StrCat(
      R"({"iss":"https://idp.example","aud":"chaukas-gateway","org":"acme","projects":["shop"],"exp":)",
      exp, "}");
  for (const std::string& forged :
       {SignToken(other, R"({"alg":"RS256","kid":"idp-1"})", claims),
        SignHs256Token("not-the-secret-but-just-as-long-!!", R"({"alg":"HS256"})", claims),
        SignHs256Token(kHmacSecret, R"({"alg":"HS256"})",
                       absl::StrCat(R"({"iss":"https://evil.example","aud":"chaukas-gateway",)",
                                    R"("org":"acme","projects":["shop"],"exp":)", exp, "}"))}) {
    absl::StatusOr<HttpTestResponse> response =
        PostBatch({event}, {{"authorization", "Bearer " + forged}});
    ASSERT_TRUE(response.ok());
    EXPECT_EQ(response->status, 401) << response->body;
  }
  absl::StatusOr<HttpTestResponse> hs256 = PostBatch(
      {event},
      {{"authorization", "Bearer " + SignHs256Token(kHmacSecret, R"({"alg":"HS256"})", claims)}});
  ASSERT_TRUE(hs256.ok());
  EXPECT_EQ(hs256->status, 202) << hs256->body;

  const std::vector<v1::Event> sink = SinkEvents();
  ASSERT_EQ(sink.size(), 2u);
  EXPECT_EQ(sink[0].tenant_id(), "acme");  // from the token's org claim
  EXPECT_EQ(sink[0].project_id(), "shop");
}

TEST_F(TenantAuthTest, NoKeyOrHashInConfigDumpOrLogs) {
  ASSERT_TRUE(PostBatch({MakeEvent("e")}, {{"x-api-key", kAcmeKey}}).ok());
  ASSERT_TRUE(PostBatch({MakeEvent("e")}, {{"x-api-key", "chk_wrong_key_in_the_log?"}}).ok());
  const std::string dump = AdminGet(*gateway_, "/config_dump");
  EXPECT_THAT(dump, HasSubstr("tenant_auth"));
  for (const char* key : {kAcmeKey, kGlobexKey, kAcmeReaderKey}) {
    EXPECT_THAT(dump, Not(HasSubstr(Sha256Hex(key))));
  }
  EXPECT_THAT(dump, Not(HasSubstr(kHmacSecret)));
  SinkEvents();
  const std::string log = gateway_->log();
  for (const std::string& secret :
       {std::string(kAcmeKey), std::string("chk_wrong_key_in_the_log?"), Sha256Hex(kAcmeKey)}) {
    EXPECT_THAT(log, Not(HasSubstr(secret)));
  }
}

TEST(HashKeyCommandTest, PrintsTheSha256ThatKeysTakeAndGeneratesKeys) {
  TempDir dir;
  const auto key_file = dir.WriteFile("key", std::string(kAcmeKey) + "\n");
  absl::StatusOr<CommandResult> hashed = RunCommand(
      {"/bin/sh", "-c", absl::StrCat(GatewayBinary(), " hash-key < ", key_file.string())});
  ASSERT_TRUE(hashed.ok()) << hashed.status();
  EXPECT_EQ(hashed->exit_code, 0);
  EXPECT_EQ(hashed->output, Sha256Hex(kAcmeKey) + "\n");

  absl::StatusOr<CommandResult> generated = RunCommand({GatewayBinary(), "hash-key", "--generate"});
  ASSERT_TRUE(generated.ok()) << generated.status();
  const std::vector<std::string> lines = absl::StrSplit(generated->output, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << generated->output;
  EXPECT_THAT(lines[0], ::testing::StartsWith("chk_"));
  EXPECT_GE(lines[0].size(), 40u);
  EXPECT_EQ(lines[1], Sha256Hex(lines[0]));
}

}  // namespace
}  // namespace chaukas::testing
