#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "absl/time/time.h"
#include "chaukas/spec/common/v1/events.pb.h"
#include "chaukas/spec/server/v1/server.pb.h"
#include "gateway/common/clock.h"
#include "gateway/stats/stats_store.h"

namespace chaukas::stats {

struct EventAggregatesOptions {
  absl::Duration bucket = absl::Minutes(1);  // time resolution of GetEventStats ranges
  absl::Duration retention = absl::Hours(24);
  // Sessions whose SESSION_START waits for its SESSION_END (or the reverse); oldest
  // forgotten first past this bound.
  size_t max_open_sessions = 100000;
  // Distinct (tenant, project) pairs tracked; events of further pairs are not aggregated.
  size_t max_tenant_projects = 10000;
};

// Per tenant/project event aggregates in time buckets (by event timestamp), which answer
// GetEventStats from the gateway itself. Thread-safe; Record is called on ingest threads
// for every accepted event, so it takes one sharded lock per call, not per event.
//
// Counted per bucket: events, events by type, distinct session_ids (exact up to a few
// thousand per bucket, then a HyperLogLog sketch with <1% error), and durations of sessions
// whose SESSION_START and SESSION_END were both seen (credited to the END's bucket).
// Events outside [now - retention, now + 1h] are not aggregated; they are counted in
// stats as "aggregates.events_outside_window".
class EventAggregates {
 public:
  EventAggregates(EventAggregatesOptions options, const Clock& clock, StatsStore& stats);
  ~EventAggregates();

  void Record(std::span<const chaukas::spec::common::v1::Event* const> events);

  // Empty tenant_id matches every tenant, empty project_id every project of the tenant(s).
  // A time_range bound that is unset is open; a bucket counts when its start lies in
  // [start rounded down to a bucket, end).
  chaukas::spec::server::v1::GetEventStatsResponse Query(
      const chaukas::spec::server::v1::GetEventStatsRequest& request) const;

 private:
  class State;
  std::unique_ptr<State> state_;
};

}  // namespace chaukas::stats
