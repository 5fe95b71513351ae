#pragma once

#include <string>

#include "filters/filter.h"
#include "filters/validate/validate_config.h"
#include "gateway/stats/stats_macros.h"

namespace chaukas::filters {

#define CHAUKAS_VALIDATE_STATS(COUNTER) \
  COUNTER(events_checked)               \
  COUNTER(missing_field)                \
  COUNTER(invalid_enum)                 \
  COUNTER(invalid_timestamp)            \
  COUNTER(too_many_tags)                \
  COUNTER(tag_too_long)                 \
  COUNTER(struct_too_deep)              \
  COUNTER(event_too_large)              \
  COUNTER(batch_too_large)

// Counters under filter.validate.*, one per reason an event or batch is turned away.
struct ValidateStats {
  explicit ValidateStats(stats::StatsScope scope) : scope_(std::move(scope)) {}
  stats::StatsScope scope_;
  CHAUKAS_VALIDATE_STATS(CHAUKAS_STATS_COUNTER)
};

// Rejects events that break the Chaukas contract, each with the reason and field path:
// required fields (the OpenAPI contract's by default), enum values the schema does not
// define, timestamps outside RFC 3339's range, and the size limits of ValidateConfig. A
// request with more events than max_events_per_batch is refused whole (InvalidArgument).
class ValidateFilter final : public Filter {
 public:
  ValidateFilter(ValidateConfig config, const stats::StatsScope& scope);

  [[nodiscard]] absl::Status OnRequest(RequestContext& request,
                                       EventsInPlay& events) const override;
  [[nodiscard]] EventVerdict OnEvent(const RequestContext& request, Event& event) const override;

 private:
  // Each returns the rejection reason, or "" when the event passes.
  std::string CheckRequiredFields(const Event& event) const;
  std::string CheckEnums(const Event& event) const;
  std::string CheckTimestamp(const Event& event) const;
  std::string CheckTags(const Event& event) const;
  std::string CheckStructDepth(const Event& event) const;
  std::string CheckSize(const Event& event) const;

  const ValidateConfig config_;
  mutable ValidateStats stats_;
};

}  // namespace chaukas::filters
