#include "gateway/upstream/cluster_manager.h"

#include "absl/time/clock.h"
#include "gateway/upstream/file_cluster.h"
#include "gateway/upstream/upstream_cluster.h"

namespace chaukas::upstream {

absl::StatusOr<std::unique_ptr<ClusterManager>> ClusterManager::Create(
    const std::vector<config::ClusterConfig>& configs, stats::StatsStore& stats) {
  auto manager = std::make_unique<ClusterManager>();
  for (const config::ClusterConfig& cluster : configs) {
    switch (cluster.protocol) {
      case config::ClusterProtocol::kFile:
        manager->clusters_.push_back(std::make_unique<FileCluster>(cluster, stats));
        break;
      case config::ClusterProtocol::kGrpc:
      case config::ClusterProtocol::kHttp:
        manager->clusters_.push_back(std::make_unique<UpstreamCluster>(cluster, stats));
        break;
    }
  }
  return manager;
}

Cluster* ClusterManager::Find(std::string_view name) const {
  for (const auto& cluster : clusters_) {
    if (cluster->name() == name) return cluster.get();
  }
  return nullptr;
}

absl::Status ClusterManager::StartAll() {
  for (const auto& cluster : clusters_) {
    if (absl::Status status = cluster->Start(); !status.ok()) return status;
  }
  return absl::OkStatus();
}

void ClusterManager::DrainAll(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (const auto& cluster : clusters_) {
    cluster->Drain(std::max(deadline - absl::Now(), absl::ZeroDuration()));
  }
}

std::string ClusterManager::DescribeAll() const {
  std::string page;
  for (const auto& cluster : clusters_) page += cluster->DescribeForAdmin();
  return page;
}

}  // namespace chaukas::upstream
