#include "gateway/server/gateway_server.h"

#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "config/config_dump.h"
#include "filters/builtin.h"
#include "gateway/common/host_port.h"
#include "gateway/common/log.h"
#include "gateway/common/status_macros.h"

namespace chaukas::server {
namespace {

http::TlsServerOptions TlsOptions(const config::ListenerTlsConfig& tls) {
  http::TlsServerOptions options;
  options.certificate_chain_pem = tls.cert_chain_pem;
  options.private_key_pem = tls.private_key_pem;
  options.client_ca_pem = tls.client_ca_pem;
  switch (tls.client_certificate) {
    case config::ClientCertificateMode::kNone:
      options.client_certificate = http::ClientCertificateMode::kNone;
      break;
    case config::ClientCertificateMode::kOptional:
      options.client_certificate = http::ClientCertificateMode::kOptional;
      break;
    case config::ClientCertificateMode::kRequire:
      options.client_certificate = http::ClientCertificateMode::kRequire;
      break;
  }
  options.handshake_timeout = absl::Milliseconds(tls.handshake_timeout_ms);
  return options;
}

http::HttpServerOptions HttpOptions(const config::HttpListenerConfig& http) {
  http::HttpServerOptions options;
  options.host = http.address.host;
  options.port = http.address.port;
  options.threads = http.threads > 0
                        ? static_cast<int>(http.threads)
                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  options.max_body_bytes = static_cast<uint64_t>(http.max_body_bytes);
  options.max_header_bytes = static_cast<uint32_t>(http.max_header_bytes);
  options.idle_timeout = absl::Milliseconds(http.idle_timeout_ms);
  options.read_timeout = absl::Milliseconds(http.read_timeout_ms);
  if (http.tls.enabled) options.tls = TlsOptions(http.tls);
  return options;
}

http::HttpServerOptions AdminOptions(const config::AdminConfig& admin) {
  http::HttpServerOptions options;
  options.host = admin.address.host;
  options.port = admin.address.port;
  options.threads = 1;  // its own thread: admin answers even when ingest is saturated
  // Never TLS: the admin listener is meant for localhost (see config/gateway.yaml).
  return options;
}

stats::EventAggregatesOptions AggregatesOptions(const config::StatsConfig& stats) {
  stats::EventAggregatesOptions options;
  options.bucket = absl::Seconds(stats.aggregates_bucket_seconds);
  options.retention = absl::Seconds(stats.aggregates_retention_seconds);
  options.max_open_sessions = static_cast<size_t>(stats.aggregates_max_open_sessions);
  options.max_tenant_projects = static_cast<size_t>(stats.aggregates_max_tenant_projects);
  return options;
}

}  // namespace

GatewayServer::GatewayServer(config::GatewayConfig config)
    : config_(std::move(config)),
      stats_(stats::StatsStoreOptions{static_cast<size_t>(config_.stats.max_series_per_metric)}) {}

GatewayServer::~GatewayServer() { Shutdown(absl::Seconds(10)); }

absl::StatusOr<std::unique_ptr<GatewayServer>> GatewayServer::Create(config::GatewayConfig config) {
  std::unique_ptr<GatewayServer> server(new GatewayServer(std::move(config)));
  CHAUKAS_RETURN_IF_ERROR(server->Build());
  return server;
}

absl::Status GatewayServer::Build() {
  aggregates_ =
      std::make_unique<stats::EventAggregates>(AggregatesOptions(config_.stats), clock_, stats_);
  CHAUKAS_ASSIGN_OR_RETURN(clusters_, upstream::ClusterManager::Create(config_.clusters, stats_));

  filters::FilterRegistry registry;
  filters::RegisterBuiltinFilters(registry);
  std::vector<filters::FilterChain::Stage> stages;
  for (const config::FilterSpec& spec : config_.filters) {
    filters::FilterFactoryContext context{
        stats::StatsScope(stats_, "filter", {{"filter", spec.name}}), clock_, random_};
    CHAUKAS_ASSIGN_OR_RETURN(std::unique_ptr<filters::Filter> filter,
                             registry.Create(spec, context));
    stages.push_back({spec.name, std::move(filter)});
  }
  chain_ = std::make_unique<filters::FilterChain>(std::move(stages), stats_);

  std::vector<pipeline::Route> routes;
  for (const config::RouteConfig& config : config_.routes) {
    pipeline::Route route{config.name,
                          config.match,
                          clusters_->Find(config.cluster),
                          {},
                          config.stats,
                          &stats_.GetCounter("route.events_matched", {{"route", config.name}})};
    for (const std::string& mirror : config.mirrors) {
      route.mirrors.push_back(clusters_->Find(mirror));
    }
    routes.push_back(std::move(route));
  }
  router_ = std::make_unique<pipeline::Router>(std::move(routes));
  ingest_ = std::make_unique<ingest::IngestHandler>(*chain_, *router_, stats_, *aggregates_);
  reads_ = std::make_unique<ingest::ReadPaths>(*chain_, *router_, *aggregates_);

  if (config_.grpc.enabled) {
    grpc_listener_ =
        std::make_unique<ingest::GrpcListener>(config_.grpc, *ingest_, *reads_, stats_);
  }
  if (config_.http.enabled) {
    http_handler_ = std::make_unique<ingest::HttpIngestHandler>(*ingest_, *reads_, config_.http);
    http_listener_ = std::make_unique<http::HttpServer>(HttpOptions(config_.http), *http_handler_,
                                                        stats_, "http");
  }
  admin_handler_ = std::make_unique<admin::AdminHandler>(
      stats_, readiness_, config::DumpConfig(config_),
      [clusters = clusters_.get()] { return clusters->DescribeAll(); });
  admin_listener_ = std::make_unique<http::HttpServer>(AdminOptions(config_.admin), *admin_handler_,
                                                       stats_, "admin");
  return absl::OkStatus();
}

absl::Status GatewayServer::Start() {
  CHAUKAS_RETURN_IF_ERROR(clusters_->StartAll());
  CHAUKAS_RETURN_IF_ERROR(admin_listener_->Start());
  if (grpc_listener_) CHAUKAS_RETURN_IF_ERROR(grpc_listener_->Start());
  if (http_listener_) CHAUKAS_RETURN_IF_ERROR(http_listener_->Start());
  readiness_.Set(true);
  Log(LogLevel::kInfo, absl::StrCat("chaukas-gateway ready: ", BoundAddressesJson()));
  return absl::OkStatus();
}

std::string GatewayServer::BoundAddressesJson() const {
  std::string json = "{";
  if (grpc_listener_) {
    absl::StrAppend(&json, "\"grpc\":\"",
                    HostPort(config_.grpc.address.host, grpc_listener_->port()), "\",");
  }
  if (http_listener_) {
    absl::StrAppend(&json, "\"http\":\"",
                    HostPort(config_.http.address.host, http_listener_->port()), "\",");
  }
  absl::StrAppend(&json, "\"admin\":\"",
                  HostPort(config_.admin.address.host, admin_listener_->port()), "\"}");
  return json;
}

void GatewayServer::Shutdown(absl::Duration drain_timeout) {
  if (shut_down_) return;
  shut_down_ = true;
  readiness_.Set(false);
  const absl::Time deadline = absl::Now() + drain_timeout;
  if (grpc_listener_) grpc_listener_->Shutdown(drain_timeout);
  if (http_listener_) http_listener_->Stop();
  if (clusters_) clusters_->DrainAll(std::max(deadline - absl::Now(), absl::ZeroDuration()));
  if (admin_listener_) admin_listener_->Stop();
}

}  // namespace chaukas::server
