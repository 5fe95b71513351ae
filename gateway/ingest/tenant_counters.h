#pragma once

#include <cstdint>
#include <string_view>

#include "gateway/stats/stats_store.h"

namespace chaukas::ingest {

// The per-tenant counters tenant.events_accepted{tenant,type} and
// tenant.events_rejected{tenant}, found without the stats store's lock on the hot path:
// each thread keeps its own map from tenant to the counters it has used. The store's
// max_series_per_metric still bounds the series; each thread's map is cleared past
// kMaxCachedTenants entries.
class TenantCounters {
 public:
  explicit TenantCounters(stats::StatsStore& stats);

  stats::Counter& Accepted(std::string_view tenant, int event_type);
  stats::Counter& Rejected(std::string_view tenant);

  static constexpr size_t kMaxCachedTenants = 10'000;

 private:
  struct Slots;
  Slots& SlotsFor(std::string_view tenant);

  stats::StatsStore& stats_;
  const uint64_t id_;  // tells this instance's per-thread maps from another's
};

}  // namespace chaukas::ingest
