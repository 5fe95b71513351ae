#include "filters/validate/validate_config.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "filters/validate/validate_filter.h"
#include "gateway/common/status_macros.h"
#include "gateway/common/strings.h"

namespace chaukas::filters {
namespace {

constexpr std::array<std::pair<std::string_view, RequiredField>, 12> kFieldNames = {{
    {"event_id", RequiredField::kEventId},
    {"tenant_id", RequiredField::kTenantId},
    {"project_id", RequiredField::kProjectId},
    {"session_id", RequiredField::kSessionId},
    {"trace_id", RequiredField::kTraceId},
    {"span_id", RequiredField::kSpanId},
    {"agent_id", RequiredField::kAgentId},
    {"type", RequiredField::kType},
    {"status", RequiredField::kStatus},
    {"severity", RequiredField::kSeverity},
    {"author", RequiredField::kAuthor},
    {"timestamp", RequiredField::kTimestamp},
}};

absl::StatusOr<RequiredField> ParseRequiredField(const config::ConfigNode& node) {
  CHAUKAS_ASSIGN_OR_RETURN(std::string name, node.AsString());
  for (const auto& [known, field] : kFieldNames) {
    if (known == name) return field;
  }
  std::vector<std::string> names;
  names.reserve(kFieldNames.size());
  for (const auto& [known, unused] : kFieldNames) names.emplace_back(known);
  return node.Error(
      absl::StrCat("\"", name, "\" cannot be required; choose from ", absl::StrJoin(names, ", ")));
}

}  // namespace

std::string_view RequiredFieldName(RequiredField field) {
  for (const auto& [name, known] : kFieldNames) {
    if (known == field) return name;
  }
  return "?";
}

absl::StatusOr<ValidateConfig> ParseValidateConfig(const config::ConfigNode& node) {
  CHAUKAS_RETURN_IF_ERROR(
      node.CheckKeys({"required_fields", "max_event_bytes", "max_tags", "max_tag_bytes",
                      "max_struct_depth", "max_events_per_batch"}));
  ValidateConfig config;
  if (config::ConfigNode fields = node.Child("required_fields"); fields.IsDefined()) {
    CHAUKAS_RETURN_IF_ERROR(fields.ExpectSequence());
    config.required_fields.clear();
    for (const config::ConfigNode& element : fields.Elements()) {
      CHAUKAS_ASSIGN_OR_RETURN(RequiredField field, ParseRequiredField(element));
      config.required_fields.push_back(field);
    }
  }
  CHAUKAS_ASSIGN_OR_RETURN(
      config.max_event_bytes,
      node.GetInt("max_event_bytes", config.max_event_bytes, 64, int64_t{1} << 30));
  CHAUKAS_ASSIGN_OR_RETURN(config.max_tags, node.GetInt("max_tags", config.max_tags, 0, 100'000));
  CHAUKAS_ASSIGN_OR_RETURN(config.max_tag_bytes,
                           node.GetInt("max_tag_bytes", config.max_tag_bytes, 1, 1 << 20));
  // Protobuf's parser stops at 100 levels of nesting; a Struct level takes two (Struct and
  // Value), and the event itself a few.
  CHAUKAS_ASSIGN_OR_RETURN(config.max_struct_depth,
                           node.GetInt("max_struct_depth", config.max_struct_depth, 1, 45));
  CHAUKAS_ASSIGN_OR_RETURN(
      config.max_events_per_batch,
      node.GetInt("max_events_per_batch", config.max_events_per_batch, 1, 10'000'000));
  return config;
}

absl::StatusOr<std::unique_ptr<Filter>> CreateValidateFilter(const config::ConfigNode& node,
                                                             FilterFactoryContext& context) {
  CHAUKAS_ASSIGN_OR_RETURN(ValidateConfig config, ParseValidateConfig(node));
  return std::make_unique<ValidateFilter>(std::move(config), context.stats);
}

}  // namespace chaukas::filters
