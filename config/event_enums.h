#pragma once

#include "absl/status/statusor.h"
#include "config/config_node.h"

// The event enums as configs write them: the short name ("ERROR", "WARN", "FAILED") or the
// full one ("EVENT_TYPE_ERROR"). UNSPECIFIED is never a valid choice.
namespace chaukas::config {

[[nodiscard]] absl::StatusOr<int> ParseEventType(const ConfigNode& node);
[[nodiscard]] absl::StatusOr<int> ParseSeverity(const ConfigNode& node);
[[nodiscard]] absl::StatusOr<int> ParseEventStatus(const ConfigNode& node);

}  // namespace chaukas::config
