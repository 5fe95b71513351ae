// The real gateway binary with TLS on both ingest listeners, driven by curl and grpc++
// clients holding certificates of a throwaway PKI made at test time.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chaukas/spec/client/v1/client.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/integration/integration_support.h"
#include "tests/support/test_certificates.h"

namespace chaukas::testing {
namespace {

namespace client_v1 = chaukas::spec::client::v1;
using ::testing::HasSubstr;
using ::testing::Not;

// An event the validate filter accepts, in the OpenAPI JSON shape.
std::string JsonEvent(const std::string& event_id) {
  return absl::StrCat(R"({"event_id": ")", event_id,
                      R"(", "session_id": "s-1", "tenant_id": "acme", "type": "SESSION_START",)",
                      R"( "status": "STARTED", "timestamp": ")",
                      absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone()),
                      R"("})");
}

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = &SharedTestPki().dir;
    pki_ = &SharedTestPki().pki;
  }

  // The default test config with `tls_yaml` (a flow map) on both ingest listeners.
  static std::string ConfigWithTls(const std::string& tls_yaml) {
    std::string config = DefaultTestConfig();
    config = ReplaceOnce(config, "  grpc: {address: 127.0.0.1:0}",
                         "  grpc: {address: 127.0.0.1:0, tls: " + tls_yaml + "}");
    return ReplaceOnce(config, "  http: {address: 127.0.0.1:0, threads: 2}",
                       "  http: {address: 127.0.0.1:0, threads: 2, tls: " + tls_yaml + "}");
  }
  static std::string Tls(const std::string& client_certificate) {
    return absl::StrCat(
        "{cert_file: ", pki_->server.cert.string(), ", key_file: ", pki_->server.key.string(),
        ", client_ca_file: ", pki_->ca.string(), ", client_certificate: ", client_certificate, "}");
  }

  void StartGateway(const std::string& config) {
    absl::StatusOr<std::unique_ptr<GatewayProcess>> gateway = GatewayProcess::Start(config);
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
  }

  // POST /v1/events with curl, trusting the test CA and presenting `certificate` if any.
  CurlResult PostEvent(const TestCertificate* certificate, const std::string& event_id,
                       const std::string& scheme = "https") {
    std::vector<std::string> args = {"--cacert", pki_->ca.string(),
                                     "-H",       "Content-Type: application/json",
                                     "--data",   JsonEvent(event_id)};
    if (certificate != nullptr) {
      args.insert(args.end(),
                  {"--cert", certificate->cert.string(), "--key", certificate->key.string()});
    }
    args.push_back(absl::StrCat(scheme, "://127.0.0.1:", gateway_->http_port(), "/v1/events"));
    absl::StatusOr<CurlResult> result = RunCurl(args);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : CurlResult{};
  }

  // IngestEvent with a grpc++ client that trusts the test CA and presents `certificate`.
  grpc::Status IngestEvent(const TestCertificate* certificate, const std::string& event_id) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFile(pki_->ca);
    if (certificate != nullptr) {
      options.pem_private_key = ReadFile(certificate->key);
      options.pem_cert_chain = ReadFile(certificate->cert);
    }
    auto client = client_v1::ChaukasClientService::NewStub(
        grpc::CreateChannel(gateway_->grpc_target(), grpc::SslCredentials(options)));
    client_v1::IngestEventRequest request;
    *request.mutable_event() = MakeEvent(event_id);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    client_v1::IngestEventResponse response;
    return client->IngestEvent(&context, request, &response);
  }

  static std::vector<std::string> EventIds(const std::vector<v1::Event>& events) {
    std::vector<std::string> ids;
    for (const v1::Event& event : events) ids.push_back(event.event_id());
    return ids;
  }

  static const TempDir* dir_;
  static const TestPki* pki_;
  std::unique_ptr<GatewayProcess> gateway_;
};

const TempDir* TlsTest::dir_ = nullptr;
const TestPki* TlsTest::pki_ = nullptr;

TEST_F(TlsTest, HttpServesOnlyClientsWithACertificateFromTheClientCaWhenRequired) {
  StartGateway(ConfigWithTls(Tls("require")));

  const CurlResult agent = PostEvent(&pki_->agent, "over-tls");
  EXPECT_EQ(agent.exit_code, 0) << agent.errors;
  EXPECT_EQ(agent.status, 202) << agent.body;

  const CurlResult plain = PostEvent(&pki_->agent, "plain", "http");
  EXPECT_NE(plain.exit_code, 0);
  EXPECT_EQ(plain.status, 0) << plain.body;

  const CurlResult anonymous = PostEvent(nullptr, "no-certificate");
  EXPECT_NE(anonymous.exit_code, 0);
  EXPECT_EQ(anonymous.status, 0) << anonymous.body;

  const CurlResult stranger = PostEvent(&pki_->stranger, "other-ca");
  EXPECT_NE(stranger.exit_code, 0);
  EXPECT_EQ(stranger.status, 0) << stranger.body;

  EXPECT_THAT(AdminGet(*gateway_, "/stats"), HasSubstr("tls_handshake_errors"));
  EXPECT_THAT(EventIds(StopAndReadSink(*gateway_)), ::testing::ElementsAre("over-tls"));
}

TEST_F(TlsTest, HttpServesAClientWithoutACertificateWhenOptional) {
  StartGateway(ConfigWithTls(Tls("optional")));
  const CurlResult anonymous = PostEvent(nullptr, "no-certificate");
  EXPECT_EQ(anonymous.exit_code, 0) << anonymous.errors;
  EXPECT_EQ(anonymous.status, 202) << anonymous.body;
  const CurlResult stranger = PostEvent(&pki_->stranger, "other-ca");
  EXPECT_NE(stranger.exit_code, 0);
  EXPECT_THAT(EventIds(StopAndReadSink(*gateway_)), ::testing::ElementsAre("no-certificate"));
}

TEST_F(TlsTest, GrpcServesOnlyClientsWithACertificateFromTheClientCaWhenRequired) {
  StartGateway(ConfigWithTls(Tls("require")));
  const grpc::Status agent = IngestEvent(&pki_->agent, "over-tls");
  EXPECT_TRUE(agent.ok()) << agent.error_message();
  EXPECT_EQ(IngestEvent(nullptr, "no-certificate").error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(IngestEvent(&pki_->stranger, "other-ca").error_code(), grpc::StatusCode::UNAVAILABLE);

  auto plaintext = client_v1::ChaukasClientService::NewStub(
      grpc::CreateChannel(gateway_->grpc_target(), grpc::InsecureChannelCredentials()));
  client_v1::IngestEventRequest request;
  *request.mutable_event() = MakeEvent("plaintext");
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  client_v1::IngestEventResponse response;
  EXPECT_EQ(plaintext->IngestEvent(&context, request, &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  plaintext.reset();

  EXPECT_THAT(EventIds(StopAndReadSink(*gateway_)), ::testing::ElementsAre("over-tls"));
}

TEST_F(TlsTest, ClientCertificatesStandForTenantsThroughTenantAuth) {
  StartGateway(
      ReplaceOnce(ConfigWithTls(Tls("optional")), "  - name: validate\n", R"(  - name: validate
  - name: tenant_auth
    config:
      client_certificates:
        - {subject: "CN=agent-7,O=acme", tenant: acme}
        - {san: "spiffe://globex.example/agents/*", tenant: globex}
)"));
  // The events say tenant "acme": right for agent-7's certificate, not for the planner's.
  EXPECT_EQ(PostEvent(&pki_->agent, "agent-http").status, 202);
  const CurlResult planner = PostEvent(&pki_->planner, "planner-http");
  EXPECT_EQ(planner.status, 400) << planner.body;
  EXPECT_THAT(planner.body, HasSubstr("tenant_id: does not match the credential's tenant"));
  EXPECT_EQ(PostEvent(nullptr, "anonymous-http").status, 401);
  EXPECT_TRUE(IngestEvent(&pki_->agent, "agent-grpc").ok());
  EXPECT_EQ(IngestEvent(&pki_->planner, "planner-grpc").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(IngestEvent(nullptr, "anonymous-grpc").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(EventIds(StopAndReadSink(*gateway_)),
              ::testing::UnorderedElementsAre("agent-http", "agent-grpc"));
}

TEST_F(TlsTest, AdminStaysPlainHttpAndDumpsTheTlsFilePathsButNotTheirContents) {
  StartGateway(ConfigWithTls(Tls("require")));
  const std::string dump = AdminGet(*gateway_, "/config_dump");  // plain HTTP
  EXPECT_THAT(dump, HasSubstr("cert_file: " + pki_->server.cert.string()));
  EXPECT_THAT(dump, HasSubstr("key_file: " + pki_->server.key.string()));
  EXPECT_THAT(dump, HasSubstr("client_certificate: require"));
  EXPECT_THAT(dump, Not(HasSubstr("-----BEGIN")));
  EXPECT_THAT(dump, Not(HasSubstr(ReadFile(pki_->server.key).substr(30, 40))));
}

TEST_F(TlsTest, ValidateNamesTheKeyPathAndTheFilesOfAKeyThatIsNotTheCertificates) {
  TempDir dir;
  std::string config = ConfigWithTls(Tls("require"));
  config = ReplaceOnce(config, "key_file: " + pki_->server.key.string() + ", client_ca_file",
                       "key_file: " + pki_->agent.key.string() + ", client_ca_file");
  const auto path =
      dir.WriteFile("gateway.yaml", absl::StrReplaceAll(config, {{"{dir}", dir.path().string()}}));
  absl::StatusOr<CommandResult> result =
      RunCommand({GatewayBinary(), "--validate", "--config", path.string()});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_NE(result->exit_code, 0);
  EXPECT_THAT(result->output,
              HasSubstr(absl::StrCat("listeners.grpc.tls.key_file: ", pki_->agent.key.string(),
                                     " is not the key of the certificate in ",
                                     pki_->server.cert.string())));
}

}  // namespace
}  // namespace chaukas::testing
