#include "filters/validate/validate_filter.h"

#include <functional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/common/strings.h"
#include "google/protobuf/struct.pb.h"

namespace chaukas::filters {
namespace {

namespace v1 = chaukas::spec::common::v1;
using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range RFC 3339 text can express.
constexpr int64_t kMinTimestampSeconds = -62'135'596'800;
constexpr int64_t kMaxTimestampSeconds = 253'402'300'799;

bool IsPresent(const Event& event, RequiredField field) {
  switch (field) {
    case RequiredField::kEventId:
      return !event.event_id().empty();
    case RequiredField::kTenantId:
      return !event.tenant_id().empty();
    case RequiredField::kProjectId:
      return !event.project_id().empty();
    case RequiredField::kSessionId:
      return !event.session_id().empty();
    case RequiredField::kTraceId:
      return !event.trace_id().empty();
    case RequiredField::kSpanId:
      return !event.span_id().empty();
    case RequiredField::kAgentId:
      return !event.agent_id().empty();
    case RequiredField::kType:
      return event.type() != v1::EVENT_TYPE_UNSPECIFIED;
    case RequiredField::kStatus:
      return event.status() != v1::EVENT_STATUS_UNSPECIFIED;
    case RequiredField::kSeverity:
      return event.severity() != v1::SEVERITY_UNSPECIFIED;
    case RequiredField::kAuthor:
      return event.author() != v1::AUTHOR_UNSPECIFIED;
    case RequiredField::kTimestamp:
      return event.has_timestamp();
  }
  return false;
}

int ValueDepth(const Value& value);

int StructDepth(const Struct& object) {
  int deepest = 0;
  for (const auto& [key, value] : object.fields()) deepest = std::max(deepest, ValueDepth(value));
  return 1 + deepest;
}

int ListDepth(const ListValue& list) {
  int deepest = 0;
  for (const Value& value : list.values()) deepest = std::max(deepest, ValueDepth(value));
  return 1 + deepest;
}

int ValueDepth(const Value& value) {
  if (value.has_struct_value()) return StructDepth(value.struct_value());
  if (value.has_list_value()) return ListDepth(value.list_value());
  return 0;
}

// Every Struct an event can carry, with its field path. Absent ones are skipped.
std::vector<std::pair<std::string_view, const Struct*>> StructFields(const Event& event) {
  std::vector<std::pair<std::string_view, const Struct*>> fields;
  const auto add = [&](std::string_view path, bool present, const Struct& value) {
    if (present) fields.emplace_back(path, &value);
  };
  add("metadata", event.has_metadata(), event.metadata());
  add("state_update", event.has_state_update(), event.state_update());
  add("message.metadata", event.message().has_metadata(), event.message().metadata());
  add("tool_call.arguments", event.tool_call().has_arguments(), event.tool_call().arguments());
  add("tool_response.output", event.tool_response().has_output(), event.tool_response().output());
  add("llm_invocation.request", event.llm_invocation().has_request(),
      event.llm_invocation().request());
  add("llm_invocation.response", event.llm_invocation().has_response(),
      event.llm_invocation().response());
  add("agent_handoff.handoff_data", event.agent_handoff().has_handoff_data(),
      event.agent_handoff().handoff_data());
  add("mcp_call.request", event.mcp_call().has_request(), event.mcp_call().request());
  add("mcp_call.response", event.mcp_call().has_response(), event.mcp_call().response());
  add("infrastructure.metrics", event.infrastructure().has_metrics(),
      event.infrastructure().metrics());
  return fields;
}

std::string InvalidEnum(std::string_view field, int value, std::string_view type) {
  return absl::StrCat(ToAbsl(field), ": ", value, " is not a ", ToAbsl(type), " value");
}

}  // namespace

ValidateFilter::ValidateFilter(ValidateConfig config, const stats::StatsScope& scope)
    : config_(std::move(config)), stats_(scope) {}

absl::Status ValidateFilter::OnRequest(RequestContext& /*request*/, EventsInPlay& events) const {
  // The request as the client sent it, whatever earlier filters took out.
  const IngestBatch& batch = events.batch();
  if (static_cast<int64_t>(batch.size()) <= config_.max_events_per_batch) return absl::OkStatus();
  stats_.batch_too_large.Inc();
  return absl::InvalidArgumentError(absl::StrCat("batch has ", batch.size(),
                                                 " events, more than max_events_per_batch (",
                                                 config_.max_events_per_batch, "); split it"));
}

EventVerdict ValidateFilter::OnEvent(const RequestContext& /*request*/, Event& event) const {
  stats_.events_checked.Inc();
  using Check = std::string (ValidateFilter::*)(const Event&) const;
  const std::pair<Check, stats::Counter*> checks[] = {
      {&ValidateFilter::CheckRequiredFields, &stats_.missing_field},
      {&ValidateFilter::CheckEnums, &stats_.invalid_enum},
      {&ValidateFilter::CheckTimestamp, &stats_.invalid_timestamp},
      {&ValidateFilter::CheckTags, nullptr},  // counts too_many_tags / tag_too_long itself
      {&ValidateFilter::CheckStructDepth, &stats_.struct_too_deep},
      {&ValidateFilter::CheckSize, &stats_.event_too_large},
  };
  for (const auto& [check, counter] : checks) {
    std::string reason = (this->*check)(event);
    if (reason.empty()) continue;
    if (counter != nullptr) counter->Inc();
    return EventVerdict::Reject(std::move(reason));
  }
  return EventVerdict::Continue();
}

std::string ValidateFilter::CheckRequiredFields(const Event& event) const {
  for (RequiredField field : config_.required_fields) {
    if (!IsPresent(event, field))
      return absl::StrCat(ToAbsl(RequiredFieldName(field)), ": is required");
  }
  return "";
}

std::string ValidateFilter::CheckEnums(const Event& event) const {
  if (!v1::EventType_IsValid(event.type())) {
    return InvalidEnum("type", event.type(), "chaukas.spec.common.v1.EventType");
  }
  if (!v1::EventStatus_IsValid(event.status())) {
    return InvalidEnum("status", event.status(), "chaukas.spec.common.v1.EventStatus");
  }
  if (!v1::Severity_IsValid(event.severity())) {
    return InvalidEnum("severity", event.severity(), "chaukas.spec.common.v1.Severity");
  }
  if (!v1::Author_IsValid(event.author())) {
    return InvalidEnum("author", event.author(), "chaukas.spec.common.v1.Author");
  }
  return "";
}

std::string ValidateFilter::CheckTimestamp(const Event& event) const {
  if (!event.has_timestamp()) return "";
  const auto& timestamp = event.timestamp();
  if (timestamp.seconds() < kMinTimestampSeconds || timestamp.seconds() > kMaxTimestampSeconds ||
      timestamp.nanos() < 0 || timestamp.nanos() > 999'999'999) {
    return "timestamp: outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z";
  }
  return "";
}

std::string ValidateFilter::CheckTags(const Event& event) const {
  if (event.tags_size() > config_.max_tags) {
    stats_.too_many_tags.Inc();
    return absl::StrCat("tags: ", event.tags_size(), " tags, more than max_tags (",
                        config_.max_tags, ")");
  }
  for (int i = 0; i < event.tags_size(); ++i) {
    if (static_cast<int64_t>(event.tags(i).size()) > config_.max_tag_bytes) {
      stats_.tag_too_long.Inc();
      return absl::StrCat("tags[", i, "]: ", event.tags(i).size(),
                          " bytes, more than max_tag_bytes (", config_.max_tag_bytes, ")");
    }
  }
  return "";
}

std::string ValidateFilter::CheckStructDepth(const Event& event) const {
  for (const auto& [path, value] : StructFields(event)) {
    if (StructDepth(*value) > config_.max_struct_depth) {
      return absl::StrCat(ToAbsl(path), ": nested deeper than max_struct_depth (",
                          config_.max_struct_depth, ")");
    }
  }
  return "";
}

std::string ValidateFilter::CheckSize(const Event& event) const {
  const size_t bytes = event.ByteSizeLong();
  if (static_cast<int64_t>(bytes) <= config_.max_event_bytes) return "";
  return absl::StrCat("event is ", bytes, " bytes, more than max_event_bytes (",
                      config_.max_event_bytes, ")");
}

}  // namespace chaukas::filters
