// GrpcListener over TLS: the handshake and what the verified client certificate puts in the
// RequestContext of ingest calls and reads.

#include "gateway/ingest/grpc_services.h"

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/gateway/ingest/recording_pipeline.h"
#include "tests/support/http_test_client.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certificates.h"

namespace chaukas::ingest {
namespace {

namespace common_v1 = chaukas::spec::common::v1;
using ::chaukas::testing::IsOk;
using ::chaukas::testing::ReadFile;
using ::chaukas::testing::SendRawHttp;
using ::chaukas::testing::SharedTestPki;
using ::chaukas::testing::TempDir;
using ::chaukas::testing::TestCertificate;
using ::chaukas::testing::TestPki;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class GrpcListenerTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = &SharedTestPki().dir;
    pki_ = &SharedTestPki().pki;
  }

  void StartListener(config::ClientCertificateMode mode, int64_t handshake_timeout_ms = 10'000) {
    config::GrpcListenerConfig config;
    config.enabled = true;
    config.address = {"127.0.0.1", 0};
    config.tls.enabled = true;
    config.tls.cert_chain_pem = ReadFile(pki_->server.cert);
    config.tls.private_key_pem = ReadFile(pki_->server.key);
    if (mode != config::ClientCertificateMode::kNone) config.tls.client_ca_pem = ReadFile(pki_->ca);
    config.tls.client_certificate = mode;
    config.tls.handshake_timeout_ms = handshake_timeout_ms;
    listener_ = std::make_unique<GrpcListener>(config, pipeline_.ingest(), pipeline_.reads(),
                                               pipeline_.stats());
    ASSERT_THAT(listener_->Start(), IsOk());
  }

  // A client that trusts the test CA and presents `certificate`, if any.
  std::unique_ptr<client_v1::ChaukasClientService::Stub> Client(
      const TestCertificate* certificate) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFile(pki_->ca);
    if (certificate != nullptr) {
      options.pem_private_key = ReadFile(certificate->key);
      options.pem_cert_chain = ReadFile(certificate->cert);
    }
    return client_v1::ChaukasClientService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(listener_->port()), grpc::SslCredentials(options)));
  }

  static grpc::Status IngestOneEvent(client_v1::ChaukasClientService::Stub& client) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    client_v1::IngestEventRequest request;
    common_v1::Event* event = request.mutable_event();
    event->set_event_id("e-1");
    event->set_session_id("s-1");
    event->set_tenant_id("acme");
    client_v1::IngestEventResponse response;
    return client.IngestEvent(&context, request, &response);
  }

  static const TempDir* dir_;
  static const TestPki* pki_;
  RecordingPipeline pipeline_;  // declared first: outlives the listener
  std::unique_ptr<GrpcListener> listener_;
};

const TempDir* GrpcListenerTlsTest::dir_ = nullptr;
const TestPki* GrpcListenerTlsTest::pki_ = nullptr;

TEST_F(GrpcListenerTlsTest, GivesThePipelineTheSubjectAndDnsNamesOfTheVerifiedCertificate) {
  StartListener(config::ClientCertificateMode::kRequire);
  auto client = Client(&pki_->agent);
  const grpc::Status status = IngestOneEvent(*client);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_THAT(pipeline_.certificates(), SizeIs(1));
  const pipeline::PeerCertificate certificate = pipeline_.certificates()[0];
  EXPECT_TRUE(certificate.verified);
  // The same text as the HTTP listener's (RFC 2253), so one mapping serves both.
  EXPECT_EQ(certificate.subject, "CN=agent-7,O=acme");
  EXPECT_THAT(certificate.dns_names, ElementsAre("agent-7.acme.example"));
  EXPECT_THAT(certificate.uris, IsEmpty());
}

TEST_F(GrpcListenerTlsTest, GivesThePipelineTheUriNamesOfTheVerifiedCertificate) {
  StartListener(config::ClientCertificateMode::kRequire);
  auto client = Client(&pki_->planner);
  ASSERT_TRUE(IngestOneEvent(*client).ok());
  ASSERT_THAT(pipeline_.certificates(), SizeIs(1));
  const pipeline::PeerCertificate certificate = pipeline_.certificates()[0];
  EXPECT_TRUE(certificate.verified);
  EXPECT_EQ(certificate.subject, "CN=planner");
  EXPECT_THAT(certificate.dns_names, IsEmpty());
  EXPECT_THAT(certificate.uris, ElementsAre("spiffe://globex.example/agents/planner"));
}

TEST_F(GrpcListenerTlsTest, GivesReadsTheVerifiedCertificateToo) {
  StartListener(config::ClientCertificateMode::kRequire);
  auto client = Client(&pki_->agent);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  client_v1::GetCapabilitiesResponse response;
  // Whatever the file cluster answers: the read has passed the filters by then.
  (void)client->GetCapabilities(&context, client_v1::GetCapabilitiesRequest(), &response);
  ASSERT_THAT(pipeline_.certificates(), SizeIs(1));
  EXPECT_TRUE(pipeline_.certificates()[0].verified);
  EXPECT_EQ(pipeline_.certificates()[0].subject, "CN=agent-7,O=acme");
}

TEST_F(GrpcListenerTlsTest, RefusesAClientWithoutACertificateWhenOneIsRequired) {
  StartListener(config::ClientCertificateMode::kRequire);
  auto client = Client(nullptr);
  EXPECT_EQ(IngestOneEvent(*client).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(pipeline_.certificates(), IsEmpty());
}

TEST_F(GrpcListenerTlsTest, RefusesACertificateFromAnotherCa) {
  StartListener(config::ClientCertificateMode::kOptional);
  auto client = Client(&pki_->stranger);
  EXPECT_EQ(IngestOneEvent(*client).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(pipeline_.certificates(), IsEmpty());
}

TEST_F(GrpcListenerTlsTest, ServesAClientWithoutACertificateWhenOptionalAsUnverified) {
  StartListener(config::ClientCertificateMode::kOptional);
  auto client = Client(nullptr);
  ASSERT_TRUE(IngestOneEvent(*client).ok());
  ASSERT_THAT(pipeline_.certificates(), SizeIs(1));
  EXPECT_FALSE(pipeline_.certificates()[0].verified);
  EXPECT_EQ(pipeline_.certificates()[0].subject, "");
}

TEST_F(GrpcListenerTlsTest, RefusesAPlaintextClient) {
  StartListener(config::ClientCertificateMode::kNone);
  auto client = client_v1::ChaukasClientService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(listener_->port()), grpc::InsecureChannelCredentials()));
  EXPECT_EQ(IngestOneEvent(*client).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(GrpcListenerTlsTest, DisconnectsAClientThatNeverFinishesTheHandshake) {
  StartListener(config::ClientCertificateMode::kRequire, /*handshake_timeout_ms=*/300);
  const absl::Time start = absl::Now();
  // Connects and sends nothing; returns once the server has closed the connection.
  absl::StatusOr<std::string> answer =
      SendRawHttp("127.0.0.1", listener_->port(), "", absl::Seconds(20));
  ASSERT_THAT(answer, IsOk());
  EXPECT_EQ(*answer, "");
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

}  // namespace
}  // namespace chaukas::ingest
