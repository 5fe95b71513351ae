#include "filters/tenant_auth/tenant_auth_filter.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gateway/common/glob.h"
#include "gateway/common/log.h"
#include "gateway/common/status_macros.h"
#include "gateway/common/strings.h"
#include "yaml-cpp/yaml.h"

namespace chaukas::filters::tenant_auth {
namespace {

// Generations of key tables, unique in the process, so that a thread's cached table is never
// taken for another filter's (a config reload builds a new filter).
std::atomic<uint64_t> next_keys_generation{1};

constexpr std::string_view kHowToAuthenticate =
    "send Authorization: Bearer <API key or JWT>, or x-api-key: <API key>";

// "Bearer <token>" (scheme case-insensitive, RFC 7235), or "" when it is something else.
std::string_view BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(ToAbsl(authorization.substr(0, kScheme.size())), ToAbsl(kScheme))) {
    return {};
  }
  return ToStd(absl::StripAsciiWhitespace(ToAbsl(authorization.substr(kScheme.size()))));
}

// Three dot-separated base64url parts, the first one a JSON object ("eyJ" is `{"`).
bool LooksLikeJwt(std::string_view token) {
  return absl::StartsWith(ToAbsl(token), "eyJ") && std::count(token.begin(), token.end(), '.') == 2;
}

bool ProjectAllowed(const pipeline::Principal& principal, std::string_view project) {
  return std::any_of(principal.projects.begin(), principal.projects.end(),
                     [&](const std::string& glob) { return GlobMatch(glob, project); });
}

// The one project an empty project_id stands for: the principal's only project, when it is
// not a glob. Empty otherwise.
std::string_view SoleProject(const pipeline::Principal& principal) {
  if (principal.projects.size() != 1) return {};
  const std::string& project = principal.projects.front();
  return project.find_first_of("*?") == std::string::npos ? std::string_view(project)
                                                          : std::string_view();
}

std::string_view ScopeName(uint8_t scope) {
  switch (scope) {
    case pipeline::kScopeIngest:
      return "ingest";
    case pipeline::kScopeQuery:
      return "query";
    default:
      return "stats";
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<TenantAuthFilter>> TenantAuthFilter::Create(
    TenantAuthConfig config, const stats::StatsScope& scope, const Clock& clock) {
  std::unique_ptr<JwtVerifier> jwt;
  if (config.jwt) {
    JwtSettings settings;
    settings.issuers = config.jwt->issuers;
    settings.audiences = config.jwt->audiences;
    settings.leeway = config.jwt->leeway;
    settings.cache_entries = static_cast<size_t>(config.jwt->cache_entries);
    CHAUKAS_ASSIGN_OR_RETURN(
        jwt, JwtVerifier::Create(config.jwt->jwks, config.jwt->hs256_secret, std::move(settings)));
  }
  std::unique_ptr<TenantAuthFilter> filter(
      new TenantAuthFilter(std::move(config), std::move(jwt), scope, clock));
  if (!filter->config_.keys_file.empty()) {
    TenantAuthFilter* self = filter.get();
    filter->keys_file_watcher_ = std::make_unique<FileWatcher>(
        filter->config_.keys_file, filter->config_.keys_file_check_interval, [self] {
          if (absl::Status status = self->LoadKeys(); !status.ok()) {
            self->stats_.keys_file_errors.Inc();
            Log(LogLevel::kError,
                absl::StrCat("tenant_auth: keeping the API keys in use: ", status.message()));
            return;
          }
          self->stats_.keys_file_reloads.Inc();
          Log(LogLevel::kInfo, absl::StrCat("tenant_auth: reloaded ", self->config_.keys_file, " (",
                                            self->keys().size(), " API keys in use)"));
        });
  }
  // After the watcher: an edit made while the first load runs is then loaded again.
  CHAUKAS_RETURN_IF_ERROR(filter->LoadKeys());
  return filter;
}

TenantAuthFilter::TenantAuthFilter(TenantAuthConfig config, std::unique_ptr<JwtVerifier> jwt,
                                   const stats::StatsScope& scope, const Clock& clock)
    : config_(std::move(config)),
      jwt_(std::move(jwt)),
      anonymous_(config_.anonymous ? PrincipalOf(config_.anonymous->grant, "anonymous") : nullptr),
      clock_(clock),
      stats_(scope) {}

TenantAuthFilter::~TenantAuthFilter() = default;

absl::Status TenantAuthFilter::LoadKeys() {
  // One load at a time, so the last one to start reads the newest file.
  absl::MutexLock lock(&load_mutex_);
  std::vector<ApiKey> keys = config_.keys;
  if (!config_.keys_file.empty()) {
    YAML::Node root;
    try {
      root = YAML::LoadFile(config_.keys_file);
    } catch (const YAML::Exception& error) {
      return absl::InvalidArgumentError(
          absl::StrCat("keys_file ", config_.keys_file, ": ", error.what()));
    }
    CHAUKAS_ASSIGN_OR_RETURN(std::vector<ApiKey> file_keys,
                             ParseApiKeys(config::ConfigNode(root, config_.keys_file)));
    for (ApiKey& key : file_keys) {
      const bool duplicate = std::any_of(keys.begin(), keys.end(), [&](const ApiKey& known) {
        return known.sha256 == key.sha256;
      });
      if (duplicate) {
        return absl::InvalidArgumentError(absl::StrCat("keys_file ", config_.keys_file, ": key \"",
                                                       key.name, "\" is also configured inline"));
      }
      keys.push_back(std::move(key));
    }
  }
  auto table = std::make_shared<const ApiKeyTable>(std::move(keys));
  stats_.api_keys.Set(static_cast<int64_t>(table->size()));
  keys_.store(std::move(table), std::memory_order_release);
  keys_generation_.store(next_keys_generation.fetch_add(1), std::memory_order_release);
  return absl::OkStatus();
}

const ApiKeyTable& TenantAuthFilter::keys() const {
  // Loading keys_ itself on every request would write its control block's cache line (a lock
  // bit and the use count) from every core in turn; the generation is only ever read.
  thread_local uint64_t cached_generation = 0;
  thread_local std::shared_ptr<const ApiKeyTable> cached;
  const uint64_t generation = keys_generation_.load(std::memory_order_acquire);
  if (generation != cached_generation) {
    cached = keys_.load(std::memory_order_acquire);
    cached_generation = generation;
  }
  return *cached;
}

absl::StatusOr<TenantAuthFilter::PrincipalPtr> TenantAuthFilter::FromJwt(
    std::string_view token) const {
  absl::StatusOr<JwtClaims> claims = jwt_->Verify(token, clock_.Now());
  if (!claims.ok()) {
    return absl::UnauthenticatedError(absl::StrCat("invalid token: ", claims.status().message()));
  }
  const JwtConfig& settings = *config_.jwt;
  const std::string* tenant = claims->GetString(settings.tenant_claim);
  if (tenant == nullptr || tenant->empty()) {
    return absl::UnauthenticatedError(
        absl::StrCat("invalid token: no \"", settings.tenant_claim, "\" claim naming a tenant"));
  }
  Grant grant{*tenant, {"*"}, settings.default_scopes};
  if (!settings.projects_claim.empty()) {
    grant.projects = claims->GetStrings(settings.projects_claim);
    if (grant.projects.empty()) {
      return absl::UnauthenticatedError(absl::StrCat(
          "invalid token: no \"", settings.projects_claim, "\" claim naming its projects"));
    }
  }
  if (claims->GetString(settings.scopes_claim) != nullptr ||
      !claims->GetStrings(settings.scopes_claim).empty()) {
    grant.scopes = 0;
    for (const std::string& scope : claims->GetStrings(settings.scopes_claim)) {
      for (uint8_t bit : {pipeline::kScopeIngest, pipeline::kScopeQuery, pipeline::kScopeStats}) {
        if (scope == ScopeName(bit)) grant.scopes |= bit;
      }
    }
  }
  const std::string* subject = claims->GetString("sub");
  return PrincipalOf(grant, absl::StrCat("jwt:", subject != nullptr ? *subject : *tenant));
}

absl::StatusOr<TenantAuthFilter::PrincipalPtr> TenantAuthFilter::FromBearer(
    std::string_view token) const {
  if (jwt_ != nullptr && LooksLikeJwt(token)) {
    CHAUKAS_ASSIGN_OR_RETURN(PrincipalPtr principal, FromJwt(token));
    stats_.authenticated_jwt.Inc();
    return principal;
  }
  PrincipalPtr principal = keys().Find(token);
  if (principal == nullptr) {
    return absl::UnauthenticatedError("invalid credential: unknown API key");
  }
  stats_.authenticated_api_key.Inc();
  return principal;
}

const CertificateIdentity* TenantAuthFilter::MatchCertificate(
    const pipeline::PeerCertificate& certificate) const {
  if (!certificate.verified) return nullptr;
  for (const CertificateIdentity& identity : config_.client_certificates) {
    if (!identity.subject.empty()) {
      if (identity.subject == certificate.subject) return &identity;
      continue;
    }
    const auto matches = [&](const std::string& name) { return GlobMatch(identity.san, name); };
    if (std::any_of(certificate.dns_names.begin(), certificate.dns_names.end(), matches) ||
        std::any_of(certificate.uris.begin(), certificate.uris.end(), matches)) {
      return &identity;
    }
  }
  return nullptr;
}

absl::Status TenantAuthFilter::Authenticate(RequestContext& request) const {
  std::string_view token = BearerToken(request.authorization);
  if (token.empty() && !request.authorization.empty()) {
    stats_.invalid_credential.Inc();
    return absl::UnauthenticatedError(
        absl::StrCat("invalid credential: the authorization header is not a Bearer token; ",
                     ToAbsl(kHowToAuthenticate)));
  }
  if (token.empty()) token = request.api_key;
  if (!token.empty()) {
    absl::StatusOr<PrincipalPtr> principal = FromBearer(token);
    if (!principal.ok()) {
      stats_.invalid_credential.Inc();
      return principal.status();
    }
    request.principal = *std::move(principal);
    return absl::OkStatus();
  }
  if (const CertificateIdentity* identity = MatchCertificate(request.certificate)) {
    stats_.authenticated_certificate.Inc();
    request.principal =
        PrincipalOf(identity->grant, absl::StrCat("certificate:", request.certificate.subject));
    return absl::OkStatus();
  }
  if (config_.anonymous) {
    const auto& ranges = config_.anonymous->from;
    if (std::any_of(ranges.begin(), ranges.end(),
                    [&](const Cidr& range) { return range.Contains(request.peer); })) {
      stats_.authenticated_anonymous.Inc();
      request.principal = anonymous_;
      return absl::OkStatus();
    }
  }
  stats_.missing_credential.Inc();
  return absl::UnauthenticatedError(absl::StrCat("no credential: ", ToAbsl(kHowToAuthenticate)));
}

absl::Status TenantAuthFilter::OnRequest(RequestContext& request, EventsInPlay& /*events*/) const {
  CHAUKAS_RETURN_IF_ERROR(Authenticate(request));
  if ((request.principal->scopes & pipeline::kScopeIngest) == 0) {
    stats_.forbidden.Inc();
    return absl::PermissionDeniedError(
        "this credential may not send events (it lacks the \"ingest\" scope)");
  }
  return absl::OkStatus();
}

EventVerdict TenantAuthFilter::OnEvent(const RequestContext& request, Event& event) const {
  const pipeline::Principal& principal = *request.principal;
  if (event.tenant_id().empty()) {
    event.set_tenant_id(principal.tenant);
    stats_.events_stamped.Inc();
  } else if (event.tenant_id() != principal.tenant) {
    stats_.events_tenant_mismatch.Inc();
    if (config_.on_mismatch == OnMismatch::kReject) {
      return EventVerdict::Reject("tenant_id: does not match the credential's tenant");
    }
    event.set_tenant_id(principal.tenant);
    stats_.events_overwritten.Inc();
  }
  if (event.project_id().empty()) {
    const std::string_view sole = SoleProject(principal);
    if (!sole.empty()) {
      event.set_project_id(std::string(sole));
      return EventVerdict::Continue();
    }
  }
  if (!ProjectAllowed(principal, event.project_id())) {
    stats_.events_project_denied.Inc();
    return EventVerdict::Reject(
        event.project_id().empty()
            ? "project_id: is required: this credential may write to several projects"
            : "project_id: is not one of the credential's projects");
  }
  return EventVerdict::Continue();
}

absl::Status TenantAuthFilter::OnRead(RequestContext& request, ReadRequest& read) const {
  CHAUKAS_RETURN_IF_ERROR(Authenticate(request));
  const pipeline::Principal& principal = *request.principal;
  if (read.kind == ReadKind::kCapabilities) return absl::OkStatus();
  const uint8_t needed =
      read.kind == ReadKind::kQuery ? pipeline::kScopeQuery : pipeline::kScopeStats;
  if ((principal.scopes & needed) == 0) {
    stats_.forbidden.Inc();
    return absl::PermissionDeniedError(
        absl::StrCat("this credential lacks the \"", ToAbsl(ScopeName(needed)), "\" scope"));
  }
  std::string& tenant = *read.tenant_id;
  if (tenant.empty()) {
    tenant = principal.tenant;
  } else if (tenant != principal.tenant) {
    // The same answer whether or not that tenant exists.
    stats_.forbidden.Inc();
    return absl::PermissionDeniedError("tenant_id: this credential may only read its own tenant");
  }
  std::string& project = *read.project_id;
  if (project.empty()) project = std::string(SoleProject(principal));
  if (!ProjectAllowed(principal, project)) {
    stats_.forbidden.Inc();
    return absl::PermissionDeniedError(
        project.empty()
            ? absl::StrCat("project_id: is required: this credential may read projects ",
                           absl::StrJoin(principal.projects, ", "))
            : std::string("project_id: is not one of the credential's projects"));
  }
  return absl::OkStatus();
}

}  // namespace chaukas::filters::tenant_auth
