#include "filters/tenant_auth/tenant_auth_filter.h"

#include <filesystem>

#include "filters/tenant_auth/tenant_auth_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/manual_clock.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_until.h"
#include "yaml-cpp/yaml.h"

namespace chaukas::filters::tenant_auth {
namespace {

namespace v1 = chaukas::spec::common::v1;
using ::chaukas::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAcmeKey[] = "acme-secret-key-1";
constexpr char kGlobexKey[] = "globex-secret-key-2";
constexpr char kReaderKey[] = "acme-reader-key";

class TenantAuthFilterTest : public ::testing::Test {
 protected:
  // The filter from a YAML block; ${ACME}, ${GLOBEX} and ${READER} stand for the keys' hashes.
  std::unique_ptr<TenantAuthFilter> Make(std::string yaml) {
    for (const auto& [name, key] :
         {std::pair{"${ACME}", kAcmeKey}, {"${GLOBEX}", kGlobexKey}, {"${READER}", kReaderKey}}) {
      for (size_t at; (at = yaml.find(name)) != std::string::npos;) {
        yaml.replace(at, std::string_view(name).size(), Sha256Hex(key));
      }
    }
    absl::StatusOr<TenantAuthConfig> config =
        ParseTenantAuthConfig(config::ConfigNode(YAML::Load(yaml), "test.yaml"));
    EXPECT_TRUE(config.ok()) << config.status();
    absl::StatusOr<std::unique_ptr<TenantAuthFilter>> filter =
        TenantAuthFilter::Create(*std::move(config), scope_, clock_);
    EXPECT_TRUE(filter.ok()) << filter.status();
    return *std::move(filter);
  }

  static constexpr char kKeys[] = R"(
keys:
  - {name: acme-ci, sha256: "${ACME}", tenant: acme, projects: ["shop", "support-*"]}
  - {name: globex, sha256: "${GLOBEX}", tenant: globex}
  - {name: reader, sha256: "${READER}", tenant: acme, projects: ["shop"], scopes: [query, stats]}
)";

  pipeline::RequestContext WithBearer(std::string_view key) {
    pipeline::RequestContext request;
    request.peer = "203.0.113.5:4000";
    request.authorization = "Bearer " + std::string(key);
    return request;
  }

  absl::Status Admit(const TenantAuthFilter& filter, pipeline::RequestContext& request) {
    pipeline::IngestBatch batch({});
    EventsInPlay events(batch, batch.events());
    return filter.OnRequest(request, events);
  }

  int64_t Stat(const std::string& name) {
    return stats_.ValueOf("filter." + name, {{"filter", "tenant_auth"}});
  }

  stats::StatsStore stats_;
  stats::StatsScope scope_{stats_, "filter", {{"filter", "tenant_auth"}}};
  chaukas::testing::ManualClock clock_;
};

TEST_F(TenantAuthFilterTest, AnApiKeyBecomesItsPrincipal) {
  auto filter = Make(kKeys);
  pipeline::RequestContext request = WithBearer(kAcmeKey);
  ASSERT_THAT(Admit(*filter, request), IsOk());
  ASSERT_NE(request.principal, nullptr);
  EXPECT_EQ(request.principal->tenant, "acme");
  EXPECT_EQ(request.principal->credential, "api_key:acme-ci");
  EXPECT_EQ(Stat("authenticated_api_key"), 1);

  // x-api-key works the same, and the Bearer scheme is case-insensitive.
  pipeline::RequestContext by_header;
  by_header.api_key = kGlobexKey;
  ASSERT_THAT(Admit(*filter, by_header), IsOk());
  EXPECT_EQ(by_header.principal->tenant, "globex");
  pipeline::RequestContext lowercase;
  lowercase.authorization = std::string("bearer ") + kGlobexKey;
  ASSERT_THAT(Admit(*filter, lowercase), IsOk());
}

TEST_F(TenantAuthFilterTest, MissingAndWrongCredentialsAreUnauthenticated) {
  auto filter = Make(kKeys);
  pipeline::RequestContext none;
  absl::Status status = Admit(*filter, none);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(status.message()), HasSubstr("no credential"));

  pipeline::RequestContext wrong = WithBearer("acme-secret-key-X");
  status = Admit(*filter, wrong);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("acme-secret-key-X")));

  pipeline::RequestContext basic;
  basic.authorization = "Basic YWxhZGRpbjpvcGVuc2VzYW1l";
  EXPECT_EQ(Admit(*filter, basic).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Stat("missing_credential"), 1);
  EXPECT_EQ(Stat("invalid_credential"), 2);
}

TEST_F(TenantAuthFilterTest, AnonymousOnlyFromConfiguredRangesAndNeverInsteadOfABadKey) {
  auto filter = Make(std::string(kKeys) + R"(
anonymous: {from: ["127.0.0.0/8", "::1/128"], tenant: dev, scopes: [ingest]}
)");
  pipeline::RequestContext local;
  local.peer = "127.0.0.1:5555";
  ASSERT_THAT(Admit(*filter, local), IsOk());
  EXPECT_EQ(local.principal->tenant, "dev");
  EXPECT_EQ(local.principal->credential, "anonymous");

  pipeline::RequestContext remote;
  remote.peer = "198.51.100.7:5555";
  EXPECT_EQ(Admit(*filter, remote).code(), absl::StatusCode::kUnauthenticated);

  pipeline::RequestContext local_with_bad_key = WithBearer("not-a-key");
  local_with_bad_key.peer = "127.0.0.1:5555";
  EXPECT_EQ(Admit(*filter, local_with_bad_key).code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(TenantAuthFilterTest, AVerifiedClientCertificateMapsToATenant) {
  auto filter = Make(R"(
client_certificates:
  - {subject: "CN=agent-7,O=acme", tenant: acme}
  - {san: "spiffe://globex.example/agents/*", tenant: globex, projects: [crm]}
)");
  pipeline::RequestContext by_subject;
  by_subject.certificate = {true, "CN=agent-7,O=acme", {}, {}};
  ASSERT_THAT(Admit(*filter, by_subject), IsOk());
  EXPECT_EQ(by_subject.principal->tenant, "acme");
  EXPECT_EQ(by_subject.principal->credential, "certificate:CN=agent-7,O=acme");

  pipeline::RequestContext by_san;
  by_san.certificate = {true, "CN=x", {}, {"spiffe://globex.example/agents/planner"}};
  ASSERT_THAT(Admit(*filter, by_san), IsOk());
  EXPECT_EQ(by_san.principal->tenant, "globex");

  // Not verified by the listener's client CA, or not mapped: no way in.
  pipeline::RequestContext unverified;
  unverified.certificate = {false, "CN=agent-7,O=acme", {}, {}};
  EXPECT_EQ(Admit(*filter, unverified).code(), absl::StatusCode::kUnauthenticated);
  pipeline::RequestContext unknown;
  unknown.certificate = {true, "CN=agent-8,O=acme", {"agent-8.acme.example"}, {}};
  EXPECT_EQ(Admit(*filter, unknown).code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(TenantAuthFilterTest, ACredentialWithoutTheIngestScopeCannotSendEvents) {
  auto filter = Make(kKeys);
  pipeline::RequestContext request = WithBearer(kReaderKey);
  const absl::Status status = Admit(*filter, request);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(status.message()), HasSubstr("\"ingest\" scope"));
}

class TenantAuthEventTest : public TenantAuthFilterTest {
 protected:
  EventVerdict Check(const TenantAuthFilter& filter, std::string_view key, v1::Event& event) {
    pipeline::RequestContext request = WithBearer(key);
    EXPECT_THAT(Admit(filter, request), IsOk());
    return filter.OnEvent(request, event);
  }
};

TEST_F(TenantAuthEventTest, EmptyTenantAndSoleProjectAreStamped) {
  auto filter = Make(kKeys);
  v1::Event event;
  ASSERT_EQ(Check(*filter, kGlobexKey, event).action, EventAction::kContinue);
  EXPECT_EQ(event.tenant_id(), "globex");
  EXPECT_EQ(event.project_id(), "");  // globex may write to every project: nothing to stamp
  EXPECT_EQ(Stat("events_stamped"), 1);
}

TEST_F(TenantAuthEventTest, AnotherTenantIsRejectedOrOverwritten) {
  auto filter = Make(kKeys);
  v1::Event event;
  event.set_tenant_id("globex");
  event.set_project_id("shop");
  const EventVerdict verdict = Check(*filter, kAcmeKey, event);
  EXPECT_EQ(verdict.action, EventAction::kReject);
  EXPECT_EQ(verdict.reason, "tenant_id: does not match the credential's tenant");
  EXPECT_EQ(Stat("events_tenant_mismatch"), 1);

  auto overwriting = Make(std::string(kKeys) + "on_mismatch: overwrite\n");
  v1::Event spoofed;
  spoofed.set_tenant_id("globex");
  spoofed.set_project_id("shop");
  EXPECT_EQ(Check(*overwriting, kAcmeKey, spoofed).action, EventAction::kContinue);
  EXPECT_EQ(spoofed.tenant_id(), "acme");
  EXPECT_EQ(Stat("events_overwritten"), 1);
}

TEST_F(TenantAuthEventTest, ProjectsAreHeldToTheCredentialsGlobs) {
  auto filter = Make(kKeys);
  for (const char* allowed : {"shop", "support-emea"}) {
    v1::Event event;
    event.set_project_id(allowed);
    EXPECT_EQ(Check(*filter, kAcmeKey, event).action, EventAction::kContinue) << allowed;
  }
  v1::Event outside;
  outside.set_project_id("billing");
  EXPECT_EQ(Check(*filter, kAcmeKey, outside).reason,
            "project_id: is not one of the credential's projects");
  v1::Event unnamed;  // acme-ci covers several projects: which one is not ours to guess
  EXPECT_THAT(Check(*filter, kAcmeKey, unnamed).reason, HasSubstr("project_id: is required"));
}

class TenantAuthReadTest : public TenantAuthFilterTest {
 protected:
  absl::Status Read(const TenantAuthFilter& filter, std::string_view key, ReadKind kind,
                    std::string& tenant, std::string& project) {
    pipeline::RequestContext request = WithBearer(key);
    ReadRequest read{kind, &tenant, &project};
    return filter.OnRead(request, read);
  }
};

TEST_F(TenantAuthReadTest, ReadsAreConfinedToTheTenantAndProjects) {
  auto filter = Make(kKeys);
  std::string tenant;
  std::string project;
  ASSERT_THAT(Read(*filter, kReaderKey, ReadKind::kQuery, tenant, project), IsOk());
  EXPECT_EQ(tenant, "acme");  // stamped
  EXPECT_EQ(project, "shop");

  std::string other_tenant = "globex";
  std::string no_project;
  const absl::Status existing =
      Read(*filter, kReaderKey, ReadKind::kQuery, other_tenant, no_project);
  std::string made_up_tenant = "no-such-tenant";
  const absl::Status made_up =
      Read(*filter, kReaderKey, ReadKind::kStats, made_up_tenant, no_project);
  EXPECT_EQ(existing.code(), absl::StatusCode::kPermissionDenied);
  // The same answer whether or not the tenant exists.
  EXPECT_EQ(existing.message(), made_up.message());

  std::string acme = "acme";
  std::string billing = "billing";
  EXPECT_EQ(Read(*filter, kReaderKey, ReadKind::kQuery, acme, billing).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(TenantAuthReadTest, ReadsNeedTheirScope) {
  auto filter = Make(kKeys);
  std::string tenant;
  std::string project = "shop";
  const absl::Status status = Read(*filter, kAcmeKey, ReadKind::kQuery, tenant, project);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(status.message()), HasSubstr("\"query\" scope"));
  // Capabilities only need a valid credential.
  pipeline::RequestContext request = WithBearer(kAcmeKey);
  ReadRequest capabilities{ReadKind::kCapabilities, nullptr, nullptr};
  EXPECT_THAT(filter->OnRead(request, capabilities), IsOk());
}

TEST_F(TenantAuthReadTest, AProjectListNeedsAProjectToRead) {
  auto filter = Make(R"(
keys: [{sha256: "${READER}", tenant: acme, projects: ["shop", "support-*"], scopes: [query]}]
)");
  std::string tenant;
  std::string project;
  const absl::Status status = Read(*filter, kReaderKey, ReadKind::kQuery, tenant, project);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(status.message()), HasSubstr("may read projects shop, support-*"));
}

TEST_F(TenantAuthFilterTest, KeysFileChangesTakeEffectAndABadEditKeepsTheKeysInUse) {
  chaukas::testing::TempDir dir;
  const auto keys_file =
      dir.WriteFile("keys.yaml", "- {sha256: \"" + Sha256Hex(kAcmeKey) + "\", tenant: acme}\n");
  auto filter = Make("keys_file: " + keys_file.string() + "\nkeys_file_check_interval_ms: 100\n");
  pipeline::RequestContext acme = WithBearer(kAcmeKey);
  ASSERT_THAT(Admit(*filter, acme), IsOk());
  pipeline::RequestContext globex = WithBearer(kGlobexKey);
  EXPECT_EQ(Admit(*filter, globex).code(), absl::StatusCode::kUnauthenticated);

  // Rotate: globex in, acme out, written aside and renamed like config tools do.
  dir.WriteFile("keys.new", "- {sha256: \"" + Sha256Hex(kGlobexKey) + "\", tenant: globex}\n");
  std::filesystem::rename(dir.Join("keys.new"), keys_file);
  ASSERT_TRUE(chaukas::testing::WaitUntil([&] { return Stat("keys_file_reloads") == 1; }));
  pipeline::RequestContext globex_again = WithBearer(kGlobexKey);
  EXPECT_THAT(Admit(*filter, globex_again), IsOk());
  pipeline::RequestContext acme_again = WithBearer(kAcmeKey);
  EXPECT_EQ(Admit(*filter, acme_again).code(), absl::StatusCode::kUnauthenticated);

  dir.WriteFile("keys.yaml", "- {sha256: \"not-a-hash\", tenant: globex}\n");
  ASSERT_TRUE(chaukas::testing::WaitUntil([&] { return Stat("keys_file_errors") == 1; }));
  pipeline::RequestContext still_globex = WithBearer(kGlobexKey);
  EXPECT_THAT(Admit(*filter, still_globex), IsOk());
}

TEST(TenantAuthConfigTest, ErrorsNameThePlaceAndNeverEchoAKey) {
  const auto error = [](const std::string& yaml) {
    absl::StatusOr<TenantAuthConfig> config =
        ParseTenantAuthConfig(config::ConfigNode(YAML::Load(yaml), "gateway.yaml"));
    return config.ok() ? std::string("OK") : std::string(config.status().message());
  };
  const std::string pasted_key = error("keys: [{sha256: my-plain-text-key, tenant: acme}]");
  EXPECT_THAT(pasted_key, HasSubstr("keys[0].sha256: must be the 64 hex digits"));
  EXPECT_THAT(pasted_key, Not(HasSubstr("my-plain-text-key")));
  EXPECT_THAT(error("keys: [{sha256: \"" + Sha256Hex("k") + "\"}]"),
              HasSubstr("keys[0].tenant: is required"));
  EXPECT_THAT(error("keys: [{sha256: \"" + Sha256Hex("k") + "\", tenant: a, scopes: [write]}]"),
              HasSubstr("unknown scope \"write\""));
  EXPECT_THAT(error("anonymous: {from: [localhost], tenant: dev}"),
              HasSubstr("anonymous.from[0]: \"localhost\" is not an IP address"));
  EXPECT_THAT(error("on_mismatch: reject"), HasSubstr("configures no way in"));
  EXPECT_THAT(error("client_certificates: [{tenant: a}]"), HasSubstr("set exactly one of subject"));
  const std::string twice = "{sha256: \"" + Sha256Hex("k") + "\", tenant: a}";
  EXPECT_THAT(error("keys: [" + twice + ", " + twice + "]"),
              HasSubstr("keys[1].sha256: the same key is listed twice"));
}

TEST(Sha256HexTest, MatchesTheKnownDigest) {
  // sha256("abc") from FIPS 180-2, appendix B.1.
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace chaukas::filters::tenant_auth
