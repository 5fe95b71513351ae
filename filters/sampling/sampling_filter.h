#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "filters/filter.h"
#include "filters/sampling/error_sessions.h"
#include "filters/sampling/sampling_config.h"
#include "gateway/stats/stats_store.h"

namespace chaukas::filters::sampling {

// The metadata key of a kept event's sampling rate, for backends to re-weight counts.
inline constexpr char kRateMetadataKey[] = "chaukas.sampling.rate";

// Keeps a consistent sample of sessions (or traces): a seeded stable hash of the key decides,
// so every event of a session gets the same answer on every replica and after restarts.
// - Always kept: the configured types (ERROR, POLICY_DECISION, DATA_ACCESS) and severities
//   from min_severity up; with keep_sessions_after_error, also every event of a session
//   after it produced an ERROR or a FAILED status.
// - Otherwise the first matching rule's rate applies, else default_rate. A kept event sampled
//   at a rate below 1 carries it in metadata["chaukas.sampling.rate"].
// - Dropped events are not errors: the client is told they were accepted. They are counted
//   in filter.sampling.dropped{tenant,type}.
class SamplingFilter final : public Filter {
 public:
  SamplingFilter(SamplingConfig config, const stats::StatsScope& scope);

  [[nodiscard]] EventVerdict OnEvent(const RequestContext& request, Event& event) const override;

  // The probability in [0, 1) the hash assigns to `key`; an event is kept when it is below
  // its rate. Exposed so tests can pick keys on either side of a rate.
  double Draw(std::string_view key) const;

 private:
  // The rate for `event`, or nullopt when it is always kept.
  std::optional<double> RateFor(const Event& event) const;
  void CountDropped(const Event& event) const;

  const SamplingConfig config_;
  const stats::StatsScope scope_;
  stats::Counter& kept_;
  std::unique_ptr<ErrorSessions> error_sessions_;  // null unless keep_sessions_after_error
  mutable absl::Mutex dropped_mutex_;
  mutable absl::flat_hash_map<std::string, stats::Counter*> dropped_
      ABSL_GUARDED_BY(dropped_mutex_);
};

}  // namespace chaukas::filters::sampling
