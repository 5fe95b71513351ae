#include "gateway/ingest/tenant_counters.h"

#include <array>
#include <atomic>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "chaukas/spec/common/v1/events.pb.h"
#include "gateway/common/strings.h"

namespace chaukas::ingest {
namespace {

// EventType numbers are below this (the largest is 63); others are counted uncached.
constexpr int kTypeSlots = 64;

std::atomic<uint64_t> next_id{1};

}  // namespace

struct TenantCounters::Slots {
  stats::Counter* rejected = nullptr;
  std::array<stats::Counter*, kTypeSlots> accepted{};
};

TenantCounters::TenantCounters(stats::StatsStore& stats)
    : stats_(stats), id_(next_id.fetch_add(1)) {}

// The returned reference is used at once, before this thread inserts again (which may move
// the map's values).
TenantCounters::Slots& TenantCounters::SlotsFor(std::string_view tenant) {
  struct ThreadCache {
    uint64_t owner = 0;
    absl::flat_hash_map<std::string, Slots> tenants;
  };
  thread_local ThreadCache cache;
  if (cache.owner != id_ || cache.tenants.size() >= kMaxCachedTenants) {
    cache.tenants.clear();
    cache.owner = id_;
  }
  auto found = cache.tenants.find(ToAbsl(tenant));
  if (found != cache.tenants.end()) return found->second;
  return cache.tenants.emplace(std::string(tenant), Slots()).first->second;
}

stats::Counter& TenantCounters::Accepted(std::string_view tenant, int event_type) {
  const auto lookup = [&] {
    const auto type = static_cast<chaukas::spec::common::v1::EventType>(event_type);
    std::string type_name = chaukas::spec::common::v1::EventType_Name(type);
    if (type_name.empty()) type_name = std::to_string(event_type);
    return &stats_.GetCounter("tenant.events_accepted",
                              {{"tenant", std::string(tenant)}, {"type", type_name}});
  };
  if (event_type < 0 || event_type >= kTypeSlots) return *lookup();
  stats::Counter*& slot = SlotsFor(tenant).accepted[event_type];
  if (slot == nullptr) slot = lookup();
  return *slot;
}

stats::Counter& TenantCounters::Rejected(std::string_view tenant) {
  stats::Counter*& slot = SlotsFor(tenant).rejected;
  if (slot == nullptr) {
    slot = &stats_.GetCounter("tenant.events_rejected", {{"tenant", std::string(tenant)}});
  }
  return *slot;
}

}  // namespace chaukas::ingest
