#include "config/config_dump.h"

#include "absl/strings/str_cat.h"
#include "config/loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certificates.h"

namespace chaukas::config {
namespace {

using ::chaukas::testing::IsOk;
using ::chaukas::testing::MakeTestPki;
using ::chaukas::testing::TempDir;
using ::chaukas::testing::TestPki;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ConfigDumpTest, ShowsDefaultsAndMasksSecrets) {
  absl::StatusOr<GatewayConfig> config = LoadConfigText(R"(
listeners:
  http: {address: "127.0.0.1:0"}
filters:
  - name: tenant_auth
    config:
      keys: [{sha256: "deadbeef", tenant: acme}]
      hmac_key_file: /etc/chaukas/hmac.key
      password: hunter2
      max_tokens: 5
routes: [{match: {}, cluster: local}]
clusters: [{name: local, protocol: file, path: /tmp/e.jsonl}]
)",
                                                        "gateway.yaml");
  ASSERT_THAT(config, IsOk());
  const std::string dump = DumpConfig(*config);
  EXPECT_THAT(dump, HasSubstr("max_body_bytes: 4194304"));
  EXPECT_THAT(dump, HasSubstr("rotate:"));
  EXPECT_THAT(dump, HasSubstr("hmac_key_file: /etc/chaukas/hmac.key"));
  EXPECT_THAT(dump, HasSubstr("max_tokens: 5"));
  EXPECT_THAT(dump, Not(HasSubstr("deadbeef")));
  EXPECT_THAT(dump, Not(HasSubstr("hunter2")));
  EXPECT_THAT(dump, HasSubstr("<redacted>"));
  // The dump is itself valid YAML.
  EXPECT_NO_THROW(YAML::Load(dump));
}

TEST(ConfigDumpTest, ShowsTlsFilePathsButNeverWhatTheyHold) {
  TempDir dir;
  absl::StatusOr<TestPki> pki = MakeTestPki(dir.path());
  ASSERT_THAT(pki, IsOk());
  absl::StatusOr<GatewayConfig> config = LoadConfigText(
      absl::StrCat("listeners:\n  http:\n    address: 127.0.0.1:0\n    tls: {cert_file: ",
                   pki->server.cert.string(), ", key_file: ", pki->server.key.string(),
                   ", client_ca_file: ", pki->ca.string(), R"(}
routes: [{match: {}, cluster: local}]
clusters: [{name: local, protocol: file, path: /tmp/e.jsonl}]
)"),
      "gateway.yaml");
  ASSERT_THAT(config, IsOk());
  const std::string dump = DumpConfig(*config);
  EXPECT_THAT(dump, HasSubstr("cert_file: " + pki->server.cert.string()));
  EXPECT_THAT(dump, HasSubstr("key_file: " + pki->server.key.string()));
  EXPECT_THAT(dump, HasSubstr("client_ca_file: " + pki->ca.string()));
  EXPECT_THAT(dump, HasSubstr("client_certificate: require"));
  EXPECT_THAT(dump, HasSubstr("handshake_timeout_ms: 10000"));
  EXPECT_THAT(dump, Not(HasSubstr("-----BEGIN")));
  EXPECT_NO_THROW(YAML::Load(dump));
}

TEST(ConfigDumpTest, SecretKeyNames) {
  EXPECT_TRUE(IsSecretKey("password"));
  EXPECT_TRUE(IsSecretKey("upstream_api_key"));
  EXPECT_TRUE(IsSecretKey("sha256"));
  EXPECT_TRUE(IsSecretKey("client_secret"));
  EXPECT_FALSE(IsSecretKey("api_key_file"));
  EXPECT_FALSE(IsSecretKey("max_tokens"));
  EXPECT_FALSE(IsSecretKey("tenant"));
}

}  // namespace
}  // namespace chaukas::config
