#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "config/gateway_config.h"
#include "filters/filter_chain.h"
#include "gateway/admin/admin_handler.h"
#include "gateway/common/clock.h"
#include "gateway/common/random_source.h"
#include "gateway/http/http_server.h"
#include "gateway/ingest/grpc_services.h"
#include "gateway/ingest/http_ingest_handler.h"
#include "gateway/ingest/ingest_handler.h"
#include "gateway/ingest/read_paths.h"
#include "gateway/pipeline/router.h"
#include "gateway/stats/event_aggregates.h"
#include "gateway/stats/stats_store.h"
#include "gateway/upstream/cluster_manager.h"

namespace chaukas::server {

// The whole gateway, built from one config: stats, clusters, filter chain, router, the
// ingest listeners and the admin listener. Owns them all and starts and stops them in order.
class GatewayServer {
 public:
  // Builds every component (each filter parses and checks its own block here) without
  // binding a port or touching a file: exactly what `--validate` runs.
  static absl::StatusOr<std::unique_ptr<GatewayServer>> Create(config::GatewayConfig config);
  ~GatewayServer();

  // Opens the clusters, then the admin listener, then the ingest listeners; ready after.
  [[nodiscard]] absl::Status Start();

  // {"grpc":"127.0.0.1:50051","http":"127.0.0.1:8080","admin":"127.0.0.1:9901"} with the
  // ports actually bound (so a config may ask for port 0). Valid after Start().
  std::string BoundAddressesJson() const;

  // Not ready; stops the ingest listeners (calls in flight get until the deadline); writes
  // out what the clusters hold (within `drain_timeout`); stops the admin listener.
  void Shutdown(absl::Duration drain_timeout);

 private:
  explicit GatewayServer(config::GatewayConfig config);
  [[nodiscard]] absl::Status Build();

  const config::GatewayConfig config_;
  SystemClock clock_;
  SystemRandom random_;
  stats::StatsStore stats_;
  std::unique_ptr<stats::EventAggregates> aggregates_;
  std::unique_ptr<upstream::ClusterManager> clusters_;
  std::unique_ptr<filters::FilterChain> chain_;
  std::unique_ptr<pipeline::Router> router_;
  std::unique_ptr<ingest::IngestHandler> ingest_;
  std::unique_ptr<ingest::ReadPaths> reads_;
  std::unique_ptr<ingest::GrpcListener> grpc_listener_;
  std::unique_ptr<ingest::HttpIngestHandler> http_handler_;
  std::unique_ptr<http::HttpServer> http_listener_;
  admin::Readiness readiness_;
  std::unique_ptr<admin::AdminHandler> admin_handler_;
  std::unique_ptr<http::HttpServer> admin_listener_;
  bool shut_down_ = false;
};

}  // namespace chaukas::server
