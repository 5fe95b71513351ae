#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "config/config_node.h"
#include "filters/filter.h"
#include "gateway/common/cidr.h"
#include "gateway/pipeline/request_context.h"

namespace chaukas::filters::tenant_auth {

using Sha256 = std::array<uint8_t, 32>;

// What a verified credential grants: one tenant, the projects it may write and read (globs;
// "*" is every project of the tenant), and its scopes.
struct Grant {
  std::string tenant;
  std::vector<std::string> projects = {"*"};
  uint8_t scopes = pipeline::kScopeIngest;
};

// An API key, known only by the SHA-256 of its text.
struct ApiKey {
  std::string name;  // for stats and logs; never the key
  Sha256 sha256{};
  Grant grant;
};

struct JwtConfig {
  std::string jwks;          // the JWKS document (from jwks_file): RS256 and ES256 keys
  std::string hs256_secret;  // from hs256_secret_file; empty: HS256 not accepted
  std::vector<std::string> issuers;
  std::vector<std::string> audiences;
  std::string tenant_claim = "tenant";
  std::string projects_claim;  // "": every project of the tenant
  std::string scopes_claim = "scope";
  uint8_t default_scopes = pipeline::kScopeIngest;  // when the token has no scopes claim
  absl::Duration leeway = absl::Seconds(30);
  int64_t cache_entries = 10'000;
};

// A client certificate (verified by a TLS listener's client CA) that stands for a tenant:
// by exact subject, or by a subjectAltName (DNS or URI) glob.
struct CertificateIdentity {
  std::string subject;
  std::string san;
  Grant grant;
};

struct AnonymousAccess {
  std::vector<Cidr> from;
  Grant grant;
};

enum class OnMismatch { kReject, kOverwrite };

struct TenantAuthConfig {
  std::vector<ApiKey> keys;
  std::string keys_file;  // more keys, same shape as `keys`; re-read when it changes
  absl::Duration keys_file_check_interval = absl::Seconds(5);
  std::optional<JwtConfig> jwt;
  std::vector<CertificateIdentity> client_certificates;
  std::optional<AnonymousAccess> anonymous;
  OnMismatch on_mismatch = OnMismatch::kReject;
};

// The principal `grant` makes of a credential described as `credential` ("api_key:ci").
std::shared_ptr<const pipeline::Principal> PrincipalOf(const Grant& grant, std::string credential);

// The SHA-256 of `text`. On the hot path (every request with an API key): OpenSSL's digest is
// fetched once and each thread keeps its own context, where the one-shot SHA256() of OpenSSL 3
// looks the algorithm up, under a lock, on every call.
Sha256 Sha256Of(std::string_view text);

// The SHA-256 of `text`, as configs write it (64 lowercase hex digits).
std::string Sha256Hex(std::string_view text);

// A `keys:` list (inline, or the whole keys_file): entries {sha256, tenant, name, projects,
// scopes}. Errors are located at the entry.
[[nodiscard]] absl::StatusOr<std::vector<ApiKey>> ParseApiKeys(const config::ConfigNode& node);

[[nodiscard]] absl::StatusOr<TenantAuthConfig> ParseTenantAuthConfig(
    const config::ConfigNode& node);

// The registry's factory for "tenant_auth".
[[nodiscard]] absl::StatusOr<std::unique_ptr<Filter>> CreateTenantAuthFilter(
    const config::ConfigNode& node, FilterFactoryContext& context);

}  // namespace chaukas::filters::tenant_auth
