#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "config/gateway_config.h"

namespace chaukas::config {

// Reads and validates a whole gateway YAML file. Every error names the file, line, column
// and key path. Filter blocks are checked later, by the filter registry (see
// server/pipeline_builder), because only each filter knows its options.
[[nodiscard]] absl::StatusOr<GatewayConfig> LoadConfigFile(const std::string& path);

// The same from text; `source_name` is what errors call the file.
[[nodiscard]] absl::StatusOr<GatewayConfig> LoadConfigText(std::string_view text,
                                                           const std::string& source_name);

// "host:port", "[v6]:port" or ":port" (all interfaces).
[[nodiscard]] absl::StatusOr<SocketAddress> ParseSocketAddress(const ConfigNode& node);

}  // namespace chaukas::config
