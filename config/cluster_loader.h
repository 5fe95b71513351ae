#pragma once

#include <vector>

#include "absl/status/status.h"
#include "config/config_node.h"
#include "config/gateway_config.h"

namespace chaukas::config {

// The `clusters:` list: file, grpc and http clusters, each checked for the keys of its
// protocol. Secrets named by *_file keys are read here, so a missing file fails the load.
[[nodiscard]] absl::Status ParseClusters(const ConfigNode& node,
                                         std::vector<ClusterConfig>& clusters);

}  // namespace chaukas::config
