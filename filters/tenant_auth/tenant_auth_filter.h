#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "filters/filter.h"
#include "filters/tenant_auth/api_key_table.h"
#include "filters/tenant_auth/jwt_verifier.h"
#include "filters/tenant_auth/tenant_auth_config.h"
#include "gateway/common/file_watcher.h"
#include "gateway/stats/stats_macros.h"

namespace chaukas::filters::tenant_auth {

#define CHAUKAS_TENANT_AUTH_STATS(COUNTER, GAUGE) \
  COUNTER(authenticated_api_key)                  \
  COUNTER(authenticated_jwt)                      \
  COUNTER(authenticated_certificate)              \
  COUNTER(authenticated_anonymous)                \
  COUNTER(missing_credential)                     \
  COUNTER(invalid_credential)                     \
  COUNTER(forbidden)                              \
  COUNTER(events_stamped)                         \
  COUNTER(events_tenant_mismatch)                 \
  COUNTER(events_project_denied)                  \
  COUNTER(events_overwritten)                     \
  COUNTER(keys_file_reloads)                      \
  COUNTER(keys_file_errors)                       \
  GAUGE(api_keys)

// Counters under filter.tenant_auth.*.
struct TenantAuthStats {
  explicit TenantAuthStats(stats::StatsScope scope) : scope_(std::move(scope)) {}
  stats::StatsScope scope_;
  CHAUKAS_TENANT_AUTH_STATS(CHAUKAS_STATS_COUNTER, CHAUKAS_STATS_GAUGE)
};

// Turns a request's credential into a Principal (one tenant, its projects, its scopes) and
// holds every event and read to it:
// - credentials, in this order: `Authorization: Bearer <api key or JWT>` or `x-api-key`; a
//   client certificate a TLS listener verified; else anonymous access from configured ranges.
//   A credential that is present but wrong is refused, never downgraded to anonymous.
// - events: an empty tenant_id/project_id is stamped from the principal; another tenant, or a
//   project outside the principal's globs, rejects the event (or, `on_mismatch: overwrite`,
//   rewrites the tenant).
// - reads: confined to the principal's tenant and projects, and to its scopes.
// Answers never say whether a tenant exists, and never contain a key, token or hash.
class TenantAuthFilter final : public Filter {
 public:
  // Reads keys_file (an error there fails the config) and watches it for changes.
  static absl::StatusOr<std::unique_ptr<TenantAuthFilter>> Create(TenantAuthConfig config,
                                                                  const stats::StatsScope& scope,
                                                                  const Clock& clock);
  ~TenantAuthFilter() override;

  [[nodiscard]] absl::Status OnRequest(RequestContext& request,
                                       EventsInPlay& events) const override;
  [[nodiscard]] EventVerdict OnEvent(const RequestContext& request, Event& event) const override;
  [[nodiscard]] absl::Status OnRead(RequestContext& request, ReadRequest& read) const override;

 private:
  TenantAuthFilter(TenantAuthConfig config, std::unique_ptr<JwtVerifier> jwt,
                   const stats::StatsScope& scope, const Clock& clock);

  // Fills request.principal, or says why not (Unauthenticated).
  absl::Status Authenticate(RequestContext& request) const;
  using PrincipalPtr = std::shared_ptr<const pipeline::Principal>;
  absl::StatusOr<PrincipalPtr> FromBearer(std::string_view token) const;
  absl::StatusOr<PrincipalPtr> FromJwt(std::string_view token) const;
  const CertificateIdentity* MatchCertificate(const pipeline::PeerCertificate& certificate) const;

  // Loads keys_file and installs inline keys + file keys as the table.
  absl::Status LoadKeys();
  // The table in use as this thread last saw it; valid until this thread calls again.
  const ApiKeyTable& keys() const;

  const TenantAuthConfig config_;
  const std::unique_ptr<JwtVerifier> jwt_;
  const PrincipalPtr anonymous_;  // null without anonymous access
  const Clock& clock_;
  mutable TenantAuthStats stats_;
  // Swapped whole when keys_file changes; a new generation tells each thread to refresh its
  // cached pointer.
  std::atomic<std::shared_ptr<const ApiKeyTable>> keys_;
  std::atomic<uint64_t> keys_generation_{0};
  absl::Mutex load_mutex_;
  std::unique_ptr<FileWatcher> keys_file_watcher_;
};

}  // namespace chaukas::filters::tenant_auth
