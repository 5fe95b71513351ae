// HttpIngestHandler behind a TLS HttpServer: the verified client certificate of the
// connection reaches the RequestContext of ingest requests and reads.

#include "gateway/ingest/http_ingest_handler.h"

#include <memory>
#include <string>

#include "gateway/http/http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/ingest/recording_pipeline.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certificates.h"

namespace chaukas::ingest {
namespace {

using ::chaukas::testing::CurlResult;
using ::chaukas::testing::IsOk;
using ::chaukas::testing::ReadFile;
using ::chaukas::testing::RunCurl;
using ::chaukas::testing::SharedTestPki;
using ::chaukas::testing::TempDir;
using ::chaukas::testing::TestCertificate;
using ::chaukas::testing::TestPki;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kEvent[] =
    R"({"event_id": "e-1", "session_id": "s-1", "tenant_id": "acme", "type": "SESSION_START",)"
    R"( "status": "STARTED", "timestamp": "2026-11-24T10:00:00Z"})";

class HttpIngestHandlerTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = &SharedTestPki().dir;
    pki_ = &SharedTestPki().pki;
  }

  void StartServer(http::ClientCertificateMode mode) {
    http::HttpServerOptions options;
    http::TlsServerOptions& tls = options.tls.emplace();
    tls.certificate_chain_pem = ReadFile(pki_->server.cert);
    tls.private_key_pem = ReadFile(pki_->server.key);
    tls.client_ca_pem = ReadFile(pki_->ca);
    tls.client_certificate = mode;
    server_ = std::make_unique<http::HttpServer>(options, handler_, pipeline_.stats(), "http");
    ASSERT_THAT(server_->Start(), IsOk());
  }

  // curl, trusting the test CA and presenting `certificate` if any.
  absl::StatusOr<CurlResult> Curl(const TestCertificate* certificate, const std::string& path,
                                  const std::string& json_body = "") {
    std::vector<std::string> args = {"--cacert", pki_->ca.string()};
    if (certificate != nullptr) {
      args.insert(args.end(),
                  {"--cert", certificate->cert.string(), "--key", certificate->key.string()});
    }
    if (!json_body.empty()) {
      args.insert(args.end(), {"-H", "Content-Type: application/json", "--data", json_body});
    }
    args.push_back("https://127.0.0.1:" + std::to_string(server_->port()) + path);
    return RunCurl(args);
  }

  static const TempDir* dir_;
  static const TestPki* pki_;
  RecordingPipeline pipeline_;  // declared first: outlives the server
  config::HttpListenerConfig config_;
  HttpIngestHandler handler_{pipeline_.ingest(), pipeline_.reads(), config_};
  std::unique_ptr<http::HttpServer> server_;
};

const TempDir* HttpIngestHandlerTlsTest::dir_ = nullptr;
const TestPki* HttpIngestHandlerTlsTest::pki_ = nullptr;

TEST_F(HttpIngestHandlerTlsTest, GivesThePipelineTheVerifiedCertificateOfTheConnection) {
  StartServer(http::ClientCertificateMode::kRequire);
  absl::StatusOr<CurlResult> agent = Curl(&pki_->agent, "/v1/events", kEvent);
  ASSERT_THAT(agent, IsOk());
  ASSERT_EQ(agent->status, 202) << agent->errors << agent->body;
  absl::StatusOr<CurlResult> planner = Curl(&pki_->planner, "/v1/events", kEvent);
  ASSERT_THAT(planner, IsOk());
  ASSERT_EQ(planner->status, 202) << planner->errors << planner->body;

  const std::vector<pipeline::PeerCertificate> seen = pipeline_.certificates();
  ASSERT_THAT(seen, SizeIs(2));
  EXPECT_TRUE(seen[0].verified);
  EXPECT_EQ(seen[0].subject, "CN=agent-7,O=acme");
  EXPECT_THAT(seen[0].dns_names, ElementsAre("agent-7.acme.example"));
  EXPECT_THAT(seen[0].uris, IsEmpty());
  EXPECT_TRUE(seen[1].verified);
  EXPECT_EQ(seen[1].subject, "CN=planner");
  EXPECT_THAT(seen[1].uris, ElementsAre("spiffe://globex.example/agents/planner"));
}

TEST_F(HttpIngestHandlerTlsTest, GivesReadsTheVerifiedCertificateToo) {
  StartServer(http::ClientCertificateMode::kRequire);
  // Whatever the file cluster answers: the read has passed the filters by then.
  ASSERT_THAT(Curl(&pki_->agent, "/v1/capabilities"), IsOk());
  ASSERT_THAT(pipeline_.certificates(), SizeIs(1));
  EXPECT_TRUE(pipeline_.certificates()[0].verified);
  EXPECT_EQ(pipeline_.certificates()[0].subject, "CN=agent-7,O=acme");
}

TEST_F(HttpIngestHandlerTlsTest, MarksAClientWithoutACertificateUnverifiedWhenOptional) {
  StartServer(http::ClientCertificateMode::kOptional);
  absl::StatusOr<CurlResult> anonymous = Curl(nullptr, "/v1/events", kEvent);
  ASSERT_THAT(anonymous, IsOk());
  ASSERT_EQ(anonymous->status, 202) << anonymous->errors << anonymous->body;
  ASSERT_THAT(pipeline_.certificates(), SizeIs(1));
  EXPECT_FALSE(pipeline_.certificates()[0].verified);
  EXPECT_EQ(pipeline_.certificates()[0].subject, "");
}

}  // namespace
}  // namespace chaukas::ingest
