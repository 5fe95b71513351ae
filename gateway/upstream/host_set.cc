#include "gateway/upstream/host_set.h"

#include <algorithm>
#include <utility>

#include "gateway/common/stable_hash.h"

namespace chaukas::upstream {

HostSet::HostSet(std::vector<std::string> addresses, const config::HealthCheckConfig& health,
                 const config::OutlierDetectionConfig& outlier)
    : health_(health), outlier_(outlier) {
  endpoints_.reserve(addresses.size());
  for (std::string& address : addresses) {
    Endpoint& endpoint = endpoints_.emplace_back();
    endpoint.address_hash = StableHash64(address);
    endpoint.address = std::move(address);
  }
}

std::vector<size_t> HostSet::Available(absl::Time now, bool* panic) const {
  std::vector<size_t> available;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    if (healthy(i) && !ejected(i, now)) available.push_back(i);
  }
  const bool none_available = available.empty();
  if (none_available) {
    for (size_t i = 0; i < endpoints_.size(); ++i) available.push_back(i);
  }
  if (panic != nullptr) *panic = none_available;
  return available;
}

bool HostSet::OnHealthCheck(size_t endpoint, bool passed) {
  Endpoint& state = endpoints_[endpoint];
  if (passed) {
    state.consecutive_check_failures = 0;
    ++state.consecutive_check_passes;
    if (state.healthy || state.consecutive_check_passes < health_.healthy_threshold) return false;
    state.healthy = true;
  } else {
    state.consecutive_check_passes = 0;
    ++state.consecutive_check_failures;
    if (!state.healthy || state.consecutive_check_failures < health_.unhealthy_threshold) {
      return false;
    }
    state.healthy = false;
  }
  return true;
}

bool HostSet::OnCallResult(size_t endpoint, bool succeeded, absl::Time now) {
  Endpoint& state = endpoints_[endpoint];
  if (succeeded) {
    state.consecutive_call_failures = 0;
    return false;
  }
  if (ejected(endpoint, now)) return false;
  ++state.consecutive_call_failures;
  if (state.consecutive_call_failures < outlier_.consecutive_failures || !EjectionAllowed(now)) {
    return false;
  }
  state.ejected_until = now + NextEjectionDuration(state);
  ++state.times_ejected;
  state.consecutive_call_failures = 0;
  return true;
}

bool HostSet::EjectionAllowed(absl::Time now) const {
  if (outlier_.max_ejection_percent <= 0) return false;
  int64_t ejected_now = 0;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    if (ejected(i, now)) ++ejected_now;
  }
  if (ejected_now == 0) return true;
  const int64_t total = static_cast<int64_t>(endpoints_.size());
  return (ejected_now + 1) * 100 <= outlier_.max_ejection_percent * total;
}

absl::Duration HostSet::NextEjectionDuration(const Endpoint& endpoint) const {
  // absl::Duration saturates rather than overflowing, so any number of ejections is safe.
  const int64_t multiplier = static_cast<int64_t>(endpoint.times_ejected) + 1;
  return std::min(absl::Milliseconds(outlier_.max_ejection_ms),
                  absl::Milliseconds(outlier_.base_ejection_ms) * multiplier);
}

}  // namespace chaukas::upstream
