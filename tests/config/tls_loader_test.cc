#include "config/tls_loader.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "config/loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certificates.h"

namespace chaukas::config {
namespace {

using ::chaukas::testing::IsOk;
using ::chaukas::testing::ReadFile;
using ::chaukas::testing::SharedTestPki;
using ::chaukas::testing::StatusIs;
using ::chaukas::testing::TempDir;
using ::chaukas::testing::TestPki;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class TlsLoaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = &SharedTestPki().dir;
    pki_ = &SharedTestPki().pki;
  }

  // A config whose http listener has `tls_yaml` (a flow map) as its tls block; {ca}, {cert},
  // {key}, {agent_key} and {dir} name the test PKI's files.
  static absl::StatusOr<GatewayConfig> Load(const std::string& tls_yaml) {
    const std::string tls =
        absl::StrReplaceAll(tls_yaml, {{"{ca}", pki_->ca.string()},
                                       {"{cert}", pki_->server.cert.string()},
                                       {"{key}", pki_->server.key.string()},
                                       {"{agent_key}", pki_->agent.key.string()},
                                       {"{dir}", dir_->path().string()}});
    return LoadConfigText(absl::StrCat(R"(
listeners:
  http:
    address: 127.0.0.1:0
    tls: )",
                                       tls, R"(
routes: [{match: {}, cluster: local}]
clusters: [{name: local, protocol: file, path: /tmp/events.jsonl}]
)"),
                          "gateway.yaml");
  }

  static const TempDir* dir_;
  static const TestPki* pki_;
};

const TempDir* TlsLoaderTest::dir_ = nullptr;
const TestPki* TlsLoaderTest::pki_ = nullptr;

TEST_F(TlsLoaderTest, ReadsTheFilesAndRequiresClientCertificatesWhenGivenAClientCa) {
  absl::StatusOr<GatewayConfig> config =
      Load("{cert_file: {cert}, key_file: {key}, client_ca_file: {ca}}");
  ASSERT_THAT(config, IsOk());
  const ListenerTlsConfig& tls = config->http.tls;
  EXPECT_TRUE(tls.enabled);
  EXPECT_EQ(tls.cert_file, pki_->server.cert.string());
  EXPECT_EQ(tls.key_file, pki_->server.key.string());
  EXPECT_EQ(tls.client_ca_file, pki_->ca.string());
  EXPECT_EQ(tls.client_certificate, ClientCertificateMode::kRequire);
  EXPECT_EQ(tls.handshake_timeout_ms, 10'000);
  EXPECT_THAT(tls.cert_chain_pem, StartsWith("-----BEGIN CERTIFICATE-----"));
  EXPECT_THAT(tls.private_key_pem, StartsWith("-----BEGIN PRIVATE KEY-----"));
  EXPECT_EQ(tls.client_ca_pem + "\n", ReadFile(pki_->ca));
  EXPECT_FALSE(config->grpc.tls.enabled);
}

TEST_F(TlsLoaderTest, AsksForNoClientCertificateWithoutAClientCa) {
  absl::StatusOr<GatewayConfig> config =
      Load("{cert_file: {cert}, key_file: {key}, handshake_timeout_ms: 2500}");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->http.tls.client_certificate, ClientCertificateMode::kNone);
  EXPECT_EQ(config->http.tls.client_ca_pem, "");
  EXPECT_EQ(config->http.tls.handshake_timeout_ms, 2500);
}

TEST_F(TlsLoaderTest, TakesAnExplicitClientCertificateMode) {
  for (const auto& [name, mode] : {std::pair{"none", ClientCertificateMode::kNone},
                                   std::pair{"optional", ClientCertificateMode::kOptional},
                                   std::pair{"require", ClientCertificateMode::kRequire}}) {
    absl::StatusOr<GatewayConfig> config =
        Load(absl::StrCat("{cert_file: {cert}, key_file: {key}, client_ca_file: {ca}, ",
                          "client_certificate: ", name, "}"));
    ASSERT_THAT(config, IsOk());
    EXPECT_EQ(config->http.tls.client_certificate, mode) << name;
  }
}

TEST_F(TlsLoaderTest, RejectsClientCertificatesWithoutAClientCa) {
  EXPECT_THAT(Load("{cert_file: {cert}, key_file: {key}, client_certificate: optional}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("listeners.http.tls.client_certificate: \"optional\" needs "
                                 "client_ca_file")));
}

TEST_F(TlsLoaderTest, RejectsAnUnknownClientCertificateModeListingTheKnownOnes) {
  EXPECT_THAT(Load("{cert_file: {cert}, key_file: {key}, client_ca_file: {ca}, "
                   "client_certificate: always}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("listeners.http.tls.client_certificate"),
                             HasSubstr("none, optional, require"))));
}

TEST_F(TlsLoaderTest, RejectsAMissingFileNamingTheKeyAndTheFile) {
  EXPECT_THAT(Load("{cert_file: {dir}/missing.pem, key_file: {key}}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(absl::StrCat("gateway.yaml:5:22 listeners.http.tls.cert_file: "
                                              "cannot read ",
                                              dir_->path().string(), "/missing.pem"))));
  EXPECT_THAT(Load("{cert_file: {cert}, key_file: {key}, client_ca_file: {dir}/none.pem}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("listeners.http.tls.client_ca_file: cannot read ")));
}

TEST_F(TlsLoaderTest, RejectsAKeyThatIsNotTheCertificates) {
  EXPECT_THAT(Load("{cert_file: {cert}, key_file: {agent_key}}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(absl::StrCat(
                           "listeners.http.tls.key_file: ", pki_->agent.key.string(),
                           " is not the key of the certificate in ", pki_->server.cert.string()))));
}

TEST_F(TlsLoaderTest, RejectsFilesThatAreNotPem) {
  dir_->WriteFile("text.pem", "just some text\n");
  EXPECT_THAT(Load("{cert_file: {dir}/text.pem, key_file: {key}}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("listeners.http.tls.cert_file: " + dir_->path().string() +
                                 "/text.pem holds no PEM certificate")));
  EXPECT_THAT(Load("{cert_file: {cert}, key_file: {dir}/text.pem}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("listeners.http.tls.key_file: " + dir_->path().string() +
                                 "/text.pem holds no PEM private key that parses")));
  EXPECT_THAT(Load("{cert_file: {cert}, key_file: {key}, client_ca_file: {key}}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("listeners.http.tls.client_ca_file: " + pki_->server.key.string() +
                                 " holds no PEM certificate")));
}

TEST_F(TlsLoaderTest, RejectsACertificateWhoseBase64IsDamaged) {
  std::string pem = ReadFile(pki_->server.cert);
  pem.replace(pem.find('\n') + 10, 8, "!!!!!!!!");
  dir_->WriteFile("damaged.pem", pem);
  EXPECT_THAT(Load("{cert_file: {dir}/damaged.pem, key_file: {key}}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("damaged.pem holds a certificate that does not parse")));
}

TEST_F(TlsLoaderTest, RejectsAnEncryptedKey) {
  dir_->WriteFile(
      "encrypted.key",
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n");
  EXPECT_THAT(Load("{cert_file: {cert}, key_file: {dir}/encrypted.key}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("encrypted.key holds an encrypted private key")));
}

TEST_F(TlsLoaderTest, NeedsTheCertificateAndTheKey) {
  EXPECT_THAT(Load("{key_file: {key}}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("listeners.http.tls.cert_file: is required")));
  EXPECT_THAT(Load("{cert_file: {cert}}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("listeners.http.tls.key_file: is required")));
}

TEST_F(TlsLoaderTest, RejectsAnEmptyTlsBlockRatherThanServingPlainHttp) {
  EXPECT_THAT(Load(""), StatusIs(absl::StatusCode::kInvalidArgument,
                                 HasSubstr("listeners.http.tls: must be a map")));
}

TEST_F(TlsLoaderTest, RejectsUnknownKeys) {
  EXPECT_THAT(Load("{cert_file: {cert}, key_file: {key}, ca_file: {ca}}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown key \"ca_file\"; allowed here: cert_file, key_file, "
                                 "client_ca_file, client_certificate, handshake_timeout_ms")));
}

TEST_F(TlsLoaderTest, TakesTlsOnTheGrpcListenerToo) {
  absl::StatusOr<GatewayConfig> config = LoadConfigText(
      absl::StrCat("listeners:\n  grpc:\n    address: 127.0.0.1:0\n    tls: {cert_file: ",
                   pki_->server.cert.string(), ", key_file: ", pki_->agent.key.string(), R"(}
routes: [{match: {}, cluster: local}]
clusters: [{name: local, protocol: file, path: /tmp/events.jsonl}]
)"),
      "gateway.yaml");
  EXPECT_THAT(config, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("listeners.grpc.tls.key_file: ")));
}

}  // namespace
}  // namespace chaukas::config
