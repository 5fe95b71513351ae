#include "filters/tenant_auth/tenant_auth_config.h"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "filters/tenant_auth/tenant_auth_filter.h"
#include "gateway/common/openssl_ptr.h"
#include "gateway/common/status_macros.h"
#include "gateway/common/strings.h"

namespace chaukas::filters::tenant_auth {
namespace {

absl::StatusOr<uint8_t> ParseScopes(const config::ConfigNode& node) {
  CHAUKAS_ASSIGN_OR_RETURN(std::vector<std::string> names, node.AsStringList());
  uint8_t scopes = 0;
  for (const std::string& name : names) {
    if (name == "ingest") {
      scopes |= pipeline::kScopeIngest;
    } else if (name == "query") {
      scopes |= pipeline::kScopeQuery;
    } else if (name == "stats") {
      scopes |= pipeline::kScopeStats;
    } else {
      return node.Error(
          absl::StrCat("unknown scope \"", name, "\"; choose from ingest, query, stats"));
    }
  }
  return scopes;
}

// tenant (required), projects (default every project), scopes (default ingest).
absl::StatusOr<Grant> ParseGrant(const config::ConfigNode& node) {
  Grant grant;
  CHAUKAS_ASSIGN_OR_RETURN(config::ConfigNode tenant, node.Require("tenant"));
  CHAUKAS_ASSIGN_OR_RETURN(grant.tenant, tenant.AsString());
  if (grant.tenant.empty()) return tenant.Error("must not be empty");
  if (config::ConfigNode projects = node.Child("projects"); projects.IsDefined()) {
    CHAUKAS_ASSIGN_OR_RETURN(grant.projects, projects.AsStringList());
    if (grant.projects.empty()) return projects.Error("must name at least one project (or \"*\")");
  }
  if (config::ConfigNode scopes = node.Child("scopes"); scopes.IsDefined()) {
    CHAUKAS_ASSIGN_OR_RETURN(grant.scopes, ParseScopes(scopes));
  }
  return grant;
}

absl::StatusOr<Sha256> ParseSha256(const config::ConfigNode& node) {
  CHAUKAS_ASSIGN_OR_RETURN(std::string hex, node.AsString());
  const bool is_hex = std::all_of(hex.begin(), hex.end(), [](char c) {
    return absl::ascii_isxdigit(static_cast<unsigned char>(c));
  });
  if (hex.size() != 64 || !is_hex) {
    // Never echo the value: a user may have pasted the key itself here.
    return node.Error(
        "must be the 64 hex digits of the key's SHA-256 (chaukas-gateway hash-key prints it), "
        "not the key itself");
  }
  const std::string bytes = absl::HexStringToBytes(hex);
  Sha256 digest{};
  std::copy(bytes.begin(), bytes.end(), digest.begin());
  return digest;
}

absl::StatusOr<JwtConfig> ParseJwt(const config::ConfigNode& node) {
  CHAUKAS_RETURN_IF_ERROR(node.CheckKeys({"jwks_file", "hs256_secret_file", "issuers", "audiences",
                                          "tenant_claim", "projects_claim", "scopes_claim",
                                          "default_scopes", "leeway_seconds", "cache_entries"}));
  JwtConfig jwt;
  if (config::ConfigNode jwks = node.Child("jwks_file"); jwks.IsDefined()) {
    CHAUKAS_ASSIGN_OR_RETURN(jwt.jwks, config::ReadSecretFile(jwks));
  }
  if (config::ConfigNode secret = node.Child("hs256_secret_file"); secret.IsDefined()) {
    CHAUKAS_ASSIGN_OR_RETURN(jwt.hs256_secret, config::ReadSecretFile(secret));
    // RFC 7518 3.2: an HS256 key must be at least as long as the hash.
    if (jwt.hs256_secret.size() < 32) return secret.Error("the secret must be at least 32 bytes");
  }
  if (jwt.jwks.empty() && jwt.hs256_secret.empty()) {
    return node.Error("set jwks_file, hs256_secret_file or both");
  }
  for (const char* key : {"issuers", "audiences"}) {
    if (config::ConfigNode list = node.Child(key); list.IsDefined()) {
      CHAUKAS_ASSIGN_OR_RETURN(std::vector<std::string> values, list.AsStringList());
      (std::string_view(key) == "issuers" ? jwt.issuers : jwt.audiences) = std::move(values);
    }
  }
  CHAUKAS_ASSIGN_OR_RETURN(jwt.tenant_claim, node.GetString("tenant_claim", jwt.tenant_claim));
  CHAUKAS_ASSIGN_OR_RETURN(jwt.projects_claim, node.GetString("projects_claim", ""));
  CHAUKAS_ASSIGN_OR_RETURN(jwt.scopes_claim, node.GetString("scopes_claim", jwt.scopes_claim));
  if (config::ConfigNode scopes = node.Child("default_scopes"); scopes.IsDefined()) {
    CHAUKAS_ASSIGN_OR_RETURN(jwt.default_scopes, ParseScopes(scopes));
  }
  CHAUKAS_ASSIGN_OR_RETURN(int64_t leeway, node.GetInt("leeway_seconds", 30, 0, 3600));
  jwt.leeway = absl::Seconds(leeway);
  CHAUKAS_ASSIGN_OR_RETURN(jwt.cache_entries,
                           node.GetInt("cache_entries", jwt.cache_entries, 0, 10'000'000));
  return jwt;
}

absl::StatusOr<CertificateIdentity> ParseCertificateIdentity(const config::ConfigNode& node) {
  CHAUKAS_RETURN_IF_ERROR(node.CheckKeys({"subject", "san", "tenant", "projects", "scopes"}));
  CertificateIdentity identity;
  CHAUKAS_ASSIGN_OR_RETURN(identity.subject, node.GetString("subject", ""));
  CHAUKAS_ASSIGN_OR_RETURN(identity.san, node.GetString("san", ""));
  if (identity.subject.empty() == identity.san.empty()) {
    return node.Error(
        "set exactly one of subject (exact, e.g. \"CN=agent-7,O=acme\") and san "
        "(a DNS name or URI glob, e.g. \"spiffe://acme.example/*\")");
  }
  CHAUKAS_ASSIGN_OR_RETURN(identity.grant, ParseGrant(node));
  return identity;
}

absl::StatusOr<AnonymousAccess> ParseAnonymous(const config::ConfigNode& node) {
  CHAUKAS_RETURN_IF_ERROR(node.CheckKeys({"from", "tenant", "projects", "scopes"}));
  AnonymousAccess anonymous;
  CHAUKAS_ASSIGN_OR_RETURN(config::ConfigNode from, node.Require("from"));
  CHAUKAS_RETURN_IF_ERROR(from.ExpectSequence());
  for (const config::ConfigNode& element : from.Elements()) {
    CHAUKAS_ASSIGN_OR_RETURN(std::string text, element.AsString());
    absl::StatusOr<Cidr> range = Cidr::Parse(text);
    if (!range.ok()) return element.Error(ToStd(range.status().message()));
    anonymous.from.push_back(*range);
  }
  if (anonymous.from.empty()) {
    return from.Error("must list at least one range, e.g. \"127.0.0.0/8\"");
  }
  CHAUKAS_ASSIGN_OR_RETURN(anonymous.grant, ParseGrant(node));
  return anonymous;
}

}  // namespace

std::shared_ptr<const pipeline::Principal> PrincipalOf(const Grant& grant, std::string credential) {
  return std::make_shared<const pipeline::Principal>(
      pipeline::Principal{std::move(credential), grant.tenant, grant.projects, grant.scopes});
}

Sha256 Sha256Of(std::string_view text) {
  static const EvpMdPtr sha256(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  thread_local const EvpMdCtxPtr context(EVP_MD_CTX_new());
  Sha256 digest{};
  unsigned int size = 0;
  // Only allocation failure can make these fail; the all-zero digest then matches no key.
  if (sha256 == nullptr || context == nullptr ||
      EVP_DigestInit_ex2(context.get(), sha256.get(), nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), text.data(), text.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest.data(), &size) != 1) {
    return Sha256{};
  }
  return digest;
}

std::string Sha256Hex(std::string_view text) {
  const Sha256 digest = Sha256Of(text);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

absl::StatusOr<std::vector<ApiKey>> ParseApiKeys(const config::ConfigNode& node) {
  CHAUKAS_RETURN_IF_ERROR(node.ExpectSequence());
  std::vector<ApiKey> keys;
  std::set<Sha256> seen;
  for (const config::ConfigNode& entry : node.Elements()) {
    CHAUKAS_RETURN_IF_ERROR(entry.CheckKeys({"name", "sha256", "tenant", "projects", "scopes"}));
    ApiKey key;
    CHAUKAS_ASSIGN_OR_RETURN(config::ConfigNode sha256, entry.Require("sha256"));
    CHAUKAS_ASSIGN_OR_RETURN(key.sha256, ParseSha256(sha256));
    if (!seen.insert(key.sha256).second) return sha256.Error("the same key is listed twice");
    CHAUKAS_ASSIGN_OR_RETURN(key.grant, ParseGrant(entry));
    CHAUKAS_ASSIGN_OR_RETURN(
        key.name, entry.GetString("name", absl::StrCat(key.grant.tenant, "#", keys.size())));
    keys.push_back(std::move(key));
  }
  return keys;
}

absl::StatusOr<TenantAuthConfig> ParseTenantAuthConfig(const config::ConfigNode& node) {
  CHAUKAS_RETURN_IF_ERROR(node.CheckKeys({"keys", "keys_file", "keys_file_check_interval_ms", "jwt",
                                          "client_certificates", "anonymous", "on_mismatch"}));
  TenantAuthConfig config;
  if (config::ConfigNode keys = node.Child("keys"); keys.IsDefined()) {
    CHAUKAS_ASSIGN_OR_RETURN(config.keys, ParseApiKeys(keys));
  }
  CHAUKAS_ASSIGN_OR_RETURN(config.keys_file, node.GetString("keys_file", ""));
  CHAUKAS_ASSIGN_OR_RETURN(int64_t check_ms,
                           node.GetInt("keys_file_check_interval_ms", 5000, 100, 3'600'000));
  config.keys_file_check_interval = absl::Milliseconds(check_ms);
  if (config::ConfigNode jwt = node.Child("jwt"); jwt.IsDefined()) {
    CHAUKAS_ASSIGN_OR_RETURN(config.jwt, ParseJwt(jwt));
  }
  if (config::ConfigNode certificates = node.Child("client_certificates");
      certificates.IsDefined()) {
    CHAUKAS_RETURN_IF_ERROR(certificates.ExpectSequence());
    for (const config::ConfigNode& entry : certificates.Elements()) {
      CHAUKAS_ASSIGN_OR_RETURN(CertificateIdentity identity, ParseCertificateIdentity(entry));
      config.client_certificates.push_back(std::move(identity));
    }
  }
  if (config::ConfigNode anonymous = node.Child("anonymous"); anonymous.IsDefined()) {
    CHAUKAS_ASSIGN_OR_RETURN(config.anonymous, ParseAnonymous(anonymous));
  }
  CHAUKAS_ASSIGN_OR_RETURN(std::string on_mismatch,
                           node.GetEnum("on_mismatch", "reject", {"reject", "overwrite"}));
  config.on_mismatch = on_mismatch == "reject" ? OnMismatch::kReject : OnMismatch::kOverwrite;
  if (config.keys.empty() && config.keys_file.empty() && !config.jwt &&
      config.client_certificates.empty() && !config.anonymous) {
    return node.Error(
        "configures no way in: set keys, keys_file, jwt, client_certificates or anonymous");
  }
  return config;
}

absl::StatusOr<std::unique_ptr<Filter>> CreateTenantAuthFilter(const config::ConfigNode& node,
                                                               FilterFactoryContext& context) {
  CHAUKAS_ASSIGN_OR_RETURN(TenantAuthConfig config, ParseTenantAuthConfig(node));
  absl::StatusOr<std::unique_ptr<TenantAuthFilter>> filter =
      TenantAuthFilter::Create(std::move(config), context.stats, context.clock);
  if (!filter.ok()) return node.Error(ToStd(filter.status().message()));
  return std::unique_ptr<Filter>(*std::move(filter));
}

}  // namespace chaukas::filters::tenant_auth
