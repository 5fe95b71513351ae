#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config_node.h"
#include "filters/filter.h"

namespace chaukas::filters {

// Event fields the validate filter can require. The OpenAPI contract requires the default
// set; a deployment may require more (tenant_id, say) or, for lenient clients, fewer.
enum class RequiredField {
  kEventId,
  kTenantId,
  kProjectId,
  kSessionId,
  kTraceId,
  kSpanId,
  kAgentId,
  kType,
  kStatus,
  kSeverity,
  kAuthor,
  kTimestamp,
};

// The field's name as written in events and in the config ("event_id").
std::string_view RequiredFieldName(RequiredField field);

struct ValidateConfig {
  std::vector<RequiredField> required_fields = {RequiredField::kEventId, RequiredField::kType,
                                                RequiredField::kStatus, RequiredField::kTimestamp,
                                                RequiredField::kSessionId};
  int64_t max_event_bytes = 1024 * 1024;  // serialized protobuf size of one event
  int64_t max_tags = 64;
  int64_t max_tag_bytes = 256;
  int64_t max_struct_depth = 32;  // nesting of Struct/list values inside any Struct field
  int64_t max_events_per_batch = 10'000;
};

// The `validate` block: unknown keys and out-of-range values are errors with line:col.
[[nodiscard]] absl::StatusOr<ValidateConfig> ParseValidateConfig(const config::ConfigNode& node);

// The registry's factory for "validate".
[[nodiscard]] absl::StatusOr<std::unique_ptr<Filter>> CreateValidateFilter(
    const config::ConfigNode& node, FilterFactoryContext& context);

}  // namespace chaukas::filters
