#include "config/event_enums.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "chaukas/spec/common/v1/events.pb.h"
#include "gateway/common/status_macros.h"
#include "gateway/common/strings.h"

namespace chaukas::config {
namespace {

namespace v1 = chaukas::spec::common::v1;

// `node`'s value in `descriptor`, by its full name or without `prefix`.
absl::StatusOr<int> ParseEnum(const ConfigNode& node,
                              const google::protobuf::EnumDescriptor* descriptor,
                              const std::string& prefix, std::string_view what,
                              std::string_view examples) {
  CHAUKAS_ASSIGN_OR_RETURN(std::string name, node.AsString());
  const google::protobuf::EnumValueDescriptor* value = descriptor->FindValueByName(name);
  if (value == nullptr) value = descriptor->FindValueByName(prefix + name);
  if (value != nullptr && value->number() != 0) return value->number();
  return node.Error(
      absl::StrCat("\"", name, "\" is not ", ToAbsl(what), " (examples: ", ToAbsl(examples), ")"));
}

}  // namespace

absl::StatusOr<int> ParseEventType(const ConfigNode& node) {
  return ParseEnum(node, v1::EventType_descriptor(), "EVENT_TYPE_", "an event type",
                   "ERROR, SESSION_START, EVENT_TYPE_TOOL_CALL_END");
}

absl::StatusOr<int> ParseSeverity(const ConfigNode& node) {
  return ParseEnum(node, v1::Severity_descriptor(), "SEVERITY_", "a severity",
                   "DEBUG, INFO, WARN, ERROR");
}

absl::StatusOr<int> ParseEventStatus(const ConfigNode& node) {
  return ParseEnum(node, v1::EventStatus_descriptor(), "EVENT_STATUS_", "an event status",
                   "STARTED, IN_PROGRESS, COMPLETED, FAILED, CANCELLED");
}

}  // namespace chaukas::config
