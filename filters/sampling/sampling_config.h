#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config_node.h"
#include "filters/filter.h"

namespace chaukas::filters::sampling {

// Which id decides: every event carrying the same value gets the same decision.
enum class SamplingKey { kSessionId, kTraceId };

// A rate for the events it matches; the first matching rule wins. Empty lists match all.
struct SamplingRule {
  std::string tenant = "*";  // glob
  std::string project = "*";
  std::vector<int> types;       // EventType numbers
  std::vector<int> severities;  // Severity numbers
  std::vector<int> statuses;    // EventStatus numbers
  double rate = 1.0;
};

struct SamplingConfig {
  SamplingKey key = SamplingKey::kSessionId;
  uint64_t seed = 0;
  double default_rate = 1.0;
  std::vector<SamplingRule> rules;
  std::vector<int> always_keep_types;  // default: ERROR, POLICY_DECISION, DATA_ACCESS
  int always_keep_min_severity = 0;    // default: WARN; 0 turns it off
  bool keep_sessions_after_error = false;
  int64_t max_error_sessions = 100'000;
};

[[nodiscard]] absl::StatusOr<SamplingConfig> ParseSamplingConfig(const config::ConfigNode& node);

// The registry's factory for "sampling".
[[nodiscard]] absl::StatusOr<std::unique_ptr<Filter>> CreateSamplingFilter(
    const config::ConfigNode& node, FilterFactoryContext& context);

}  // namespace chaukas::filters::sampling
