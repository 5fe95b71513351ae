#include "filters/sampling/sampling_filter.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "chaukas/spec/common/v1/events.pb.h"
#include "gateway/common/glob.h"
#include "gateway/common/stable_hash.h"
#include "gateway/common/strings.h"

namespace chaukas::filters::sampling {
namespace {

namespace v1 = chaukas::spec::common::v1;

bool Contains(const std::vector<int>& list, int value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// An empty list matches every value.
bool MatchesList(const std::vector<int>& list, int value) {
  return list.empty() || Contains(list, value);
}

bool IsError(const Event& event) {
  return event.type() == v1::EVENT_TYPE_ERROR || event.status() == v1::EVENT_STATUS_FAILED;
}

}  // namespace

SamplingFilter::SamplingFilter(SamplingConfig config, const stats::StatsScope& scope)
    : config_(std::move(config)),
      scope_(scope),
      kept_(scope.GetCounter("kept")),
      error_sessions_(
          config_.keep_sessions_after_error
              ? std::make_unique<ErrorSessions>(static_cast<size_t>(config_.max_error_sessions))
              : nullptr) {}

double SamplingFilter::Draw(std::string_view key) const {
  // 53 high bits of a seeded stable hash: uniform in [0, 1) and the same everywhere.
  const uint64_t hash = MixHash64(StableHash64(key), config_.seed);
  return static_cast<double>(hash >> 11) * 0x1p-53;
}

std::optional<double> SamplingFilter::RateFor(const Event& event) const {
  if (Contains(config_.always_keep_types, event.type())) return std::nullopt;
  if (config_.always_keep_min_severity > 0 &&
      event.severity() >= config_.always_keep_min_severity) {
    return std::nullopt;
  }
  for (const SamplingRule& rule : config_.rules) {
    if (GlobMatch(rule.tenant, event.tenant_id()) && GlobMatch(rule.project, event.project_id()) &&
        MatchesList(rule.types, event.type()) && MatchesList(rule.severities, event.severity()) &&
        MatchesList(rule.statuses, event.status())) {
      return rule.rate;
    }
  }
  return config_.default_rate;
}

EventVerdict SamplingFilter::OnEvent(const RequestContext& /*request*/, Event& event) const {
  const std::string& key =
      config_.key == SamplingKey::kTraceId ? event.trace_id() : event.session_id();
  // Without the key, each event is its own unit.
  const std::string_view unit = key.empty() ? std::string_view(event.event_id()) : key;
  if (error_sessions_ != nullptr && !unit.empty()) {
    if (IsError(event)) {
      error_sessions_->Mark(unit);
      kept_.Inc();
      return EventVerdict::Continue();
    }
    if (error_sessions_->Contains(unit)) {
      kept_.Inc();
      return EventVerdict::Continue();
    }
  }
  const std::optional<double> rate = RateFor(event);
  if (!rate || *rate >= 1.0) {
    kept_.Inc();
    return EventVerdict::Continue();
  }
  if (*rate > 0.0 && Draw(unit) < *rate) {
    (*event.mutable_metadata()->mutable_fields())[kRateMetadataKey].set_number_value(*rate);
    kept_.Inc();
    return EventVerdict::Continue();
  }
  CountDropped(event);
  return EventVerdict::Drop();
}

void SamplingFilter::CountDropped(const Event& event) const {
  const std::string_view type = v1::EventType_Name(event.type());
  const std::string series = absl::StrCat(event.tenant_id(), "\x1f", ToAbsl(type));
  stats::Counter* counter;
  {
    absl::MutexLock lock(&dropped_mutex_);
    auto [it, inserted] = dropped_.try_emplace(series, nullptr);
    if (inserted) {
      it->second = &scope_.GetCounter("dropped",
                                      {{"tenant", event.tenant_id()}, {"type", std::string(type)}});
    }
    counter = it->second;
  }
  counter->Inc();
}

}  // namespace chaukas::filters::sampling
