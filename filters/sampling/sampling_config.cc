#include "filters/sampling/sampling_config.h"

#include "chaukas/spec/common/v1/events.pb.h"
#include "config/event_enums.h"
#include "filters/sampling/sampling_filter.h"
#include "gateway/common/status_macros.h"

namespace chaukas::filters::sampling {
namespace {

namespace v1 = chaukas::spec::common::v1;

// The numbers of a list of enum names under `key`, parsed by `parse`.
absl::StatusOr<std::vector<int>> ParseEnumList(
    const config::ConfigNode& node, std::string_view key,
    absl::StatusOr<int> (*parse)(const config::ConfigNode&)) {
  std::vector<int> numbers;
  const config::ConfigNode list = node.Child(key);
  if (!list.IsDefined()) return numbers;
  CHAUKAS_RETURN_IF_ERROR(list.ExpectSequence());
  for (const config::ConfigNode& element : list.Elements()) {
    CHAUKAS_ASSIGN_OR_RETURN(int number, parse(element));
    numbers.push_back(number);
  }
  return numbers;
}

absl::StatusOr<SamplingRule> ParseRule(const config::ConfigNode& node) {
  CHAUKAS_RETURN_IF_ERROR(node.CheckKeys({"match", "rate"}));
  SamplingRule rule;
  CHAUKAS_RETURN_IF_ERROR(node.Require("rate").status());
  CHAUKAS_ASSIGN_OR_RETURN(rule.rate, node.GetDouble("rate", 1.0, 0.0, 1.0));
  const config::ConfigNode match = node.Child("match");
  if (!match.IsDefined()) return rule;
  CHAUKAS_RETURN_IF_ERROR(
      match.CheckKeys({"tenant", "project", "types", "severities", "statuses"}));
  CHAUKAS_ASSIGN_OR_RETURN(rule.tenant, match.GetString("tenant", rule.tenant));
  CHAUKAS_ASSIGN_OR_RETURN(rule.project, match.GetString("project", rule.project));
  CHAUKAS_ASSIGN_OR_RETURN(rule.types, ParseEnumList(match, "types", config::ParseEventType));
  CHAUKAS_ASSIGN_OR_RETURN(rule.severities,
                           ParseEnumList(match, "severities", config::ParseSeverity));
  CHAUKAS_ASSIGN_OR_RETURN(rule.statuses,
                           ParseEnumList(match, "statuses", config::ParseEventStatus));
  return rule;
}

}  // namespace

absl::StatusOr<SamplingConfig> ParseSamplingConfig(const config::ConfigNode& node) {
  SamplingConfig config;
  config.always_keep_types = {v1::EVENT_TYPE_ERROR, v1::EVENT_TYPE_POLICY_DECISION,
                              v1::EVENT_TYPE_DATA_ACCESS};
  config.always_keep_min_severity = v1::SEVERITY_WARN;
  if (!node.IsDefined()) return config;
  CHAUKAS_RETURN_IF_ERROR(node.CheckKeys(
      {"key", "seed", "default_rate", "rules", "always_keep", "keep_sessions_after_error"}));
  // Read through the StatusOr: GCC 12 at -O3 takes a string moved out of one for uninitialized.
  const absl::StatusOr<std::string> key =
      node.GetEnum("key", "session_id", {"session_id", "trace_id"});
  if (!key.ok()) return key.status();
  config.key = *key == "trace_id" ? SamplingKey::kTraceId : SamplingKey::kSessionId;
  CHAUKAS_ASSIGN_OR_RETURN(int64_t seed, node.GetInt("seed", 0, 0, INT64_MAX));
  config.seed = static_cast<uint64_t>(seed);
  CHAUKAS_ASSIGN_OR_RETURN(config.default_rate, node.GetDouble("default_rate", 1.0, 0.0, 1.0));
  if (const config::ConfigNode rules = node.Child("rules"); rules.IsDefined()) {
    CHAUKAS_RETURN_IF_ERROR(rules.ExpectSequence());
    for (const config::ConfigNode& element : rules.Elements()) {
      CHAUKAS_ASSIGN_OR_RETURN(SamplingRule rule, ParseRule(element));
      config.rules.push_back(std::move(rule));
    }
  }
  if (const config::ConfigNode keep = node.Child("always_keep"); keep.IsDefined()) {
    CHAUKAS_RETURN_IF_ERROR(keep.CheckKeys({"types", "min_severity"}));
    if (keep.Child("types").IsDefined()) {
      CHAUKAS_ASSIGN_OR_RETURN(config.always_keep_types,
                               ParseEnumList(keep, "types", config::ParseEventType));
    }
    if (const config::ConfigNode severity = keep.Child("min_severity"); severity.IsDefined()) {
      CHAUKAS_ASSIGN_OR_RETURN(std::string name, severity.AsString());
      if (name == "none") {
        config.always_keep_min_severity = 0;
      } else {
        CHAUKAS_ASSIGN_OR_RETURN(config.always_keep_min_severity, config::ParseSeverity(severity));
      }
    }
  }
  if (const config::ConfigNode after = node.Child("keep_sessions_after_error"); after.IsDefined()) {
    CHAUKAS_RETURN_IF_ERROR(after.CheckKeys({"enabled", "max_sessions"}));
    CHAUKAS_ASSIGN_OR_RETURN(config.keep_sessions_after_error, after.GetBool("enabled", true));
    CHAUKAS_ASSIGN_OR_RETURN(
        config.max_error_sessions,
        after.GetInt("max_sessions", config.max_error_sessions, 16, int64_t{100'000'000}));
  }
  return config;
}

absl::StatusOr<std::unique_ptr<Filter>> CreateSamplingFilter(const config::ConfigNode& node,
                                                             FilterFactoryContext& context) {
  CHAUKAS_ASSIGN_OR_RETURN(SamplingConfig config, ParseSamplingConfig(node));
  return std::make_unique<SamplingFilter>(std::move(config), context.stats);
}

}  // namespace chaukas::filters::sampling
