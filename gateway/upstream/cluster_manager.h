#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "config/gateway_config.h"
#include "gateway/stats/stats_store.h"
#include "gateway/upstream/cluster.h"

namespace chaukas::upstream {

// Owns every configured cluster and starts and drains them together.
class ClusterManager {
 public:
  // Builds the clusters without touching the disk or network (so --validate can too).
  static absl::StatusOr<std::unique_ptr<ClusterManager>> Create(
      const std::vector<config::ClusterConfig>& configs, stats::StatsStore& stats);

  // nullptr when there is no such cluster.
  Cluster* Find(std::string_view name) const;

  [[nodiscard]] absl::Status StartAll();
  // Drains every cluster, sharing one deadline.
  void DrainAll(absl::Duration timeout);
  // The admin /clusters page: every cluster's DescribeForAdmin, in config order.
  std::string DescribeAll() const;

 private:
  std::vector<std::unique_ptr<Cluster>> clusters_;
};

}  // namespace chaukas::upstream
