#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "gateway/http/http_server.h"
#include "gateway/stats/stats_store.h"

namespace chaukas::admin {

// Whether the gateway should receive traffic: false while starting and once draining.
class Readiness {
 public:
  void Set(bool ready) { ready_.store(ready, std::memory_order_release); }
  bool ready() const { return ready_.load(std::memory_order_acquire); }

 private:
  std::atomic<bool> ready_{false};
};

// The admin listener's pages (Envoy's admin, for operators; bind it to localhost):
//   GET /                   the list of pages
//   GET /stats              every stat, plain text
//   GET /stats/prometheus   Prometheus text exposition 0.0.4
//   GET /healthz            200 while the process runs
//   GET /ready              200 when serving, 503 while starting or draining
//   GET /config_dump        the effective config as YAML, secrets masked
//   GET /clusters           every cluster and endpoint: health, ejection, queue, counters
class AdminHandler final : public http::RequestHandler {
 public:
  AdminHandler(stats::StatsStore& stats, const Readiness& readiness, std::string config_dump,
               std::function<std::string()> describe_clusters);

  void Handle(const http::Request& request, const http::ConnectionInfo& connection,
              http::Response& response) override;

 private:
  stats::StatsStore& stats_;
  const Readiness& readiness_;
  const std::string config_dump_;
  const std::function<std::string()> describe_clusters_;
};

}  // namespace chaukas::admin
