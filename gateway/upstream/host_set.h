#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "config/gateway_config.h"

namespace chaukas::upstream {

// The endpoints of one cluster and what the cluster knows of each: active health (health
// checks), passive health (outlier ejection) and calls in flight. Endpoints are named by their
// index, fixed for the life of the set. Owned by its cluster and used on the cluster's thread
// only: not thread-safe. Endpoint indexes must be below size().
class HostSet {
 public:
  HostSet(std::vector<std::string> addresses, const config::HealthCheckConfig& health,
          const config::OutlierDetectionConfig& outlier);

  size_t size() const { return endpoints_.size(); }
  const std::string& address(size_t endpoint) const { return endpoints_[endpoint].address; }
  // StableHash64(address(endpoint)).
  uint64_t address_hash(size_t endpoint) const { return endpoints_[endpoint].address_hash; }
  // By active health checks. Endpoints start healthy (and stay so when checks are disabled,
  // since nobody calls OnHealthCheck then).
  bool healthy(size_t endpoint) const { return endpoints_[endpoint].healthy; }
  // By outlier detection.
  bool ejected(size_t endpoint, absl::Time now) const {
    return now < endpoints_[endpoint].ejected_until;
  }

  // The endpoints that are healthy and not ejected, in index order. When there is none, all
  // endpoints, with *panic = true (Envoy's panic mode: trying an endpoint that may be down beats
  // stalling the cluster); otherwise *panic = false.
  std::vector<size_t> Available(absl::Time now, bool* panic = nullptr) const;

  // An active health check's result: unhealthy after unhealthy_threshold consecutive failures,
  // healthy again after healthy_threshold consecutive passes. Returns true when the endpoint's
  // health changed.
  bool OnHealthCheck(size_t endpoint, bool passed);

  // A real call's outcome (passive health). consecutive_failures failures in a row eject the
  // endpoint for min(base_ejection_ms * (times ejected before + 1), max_ejection_ms); a success
  // resets the count. The endpoint returns by itself when its ejection is over, with a count of
  // zero. Failures of calls to an endpoint that is ejected (calls started before the ejection,
  // or in panic mode) are not counted.
  //
  // At most max_ejection_percent of the endpoints are ejected at once, except that one endpoint
  // may always be ejected when max_ejection_percent > 0 (Envoy's and gRPC's rule: otherwise a
  // small cluster could never eject anything; 0 turns ejection off). An ejection held back by
  // the limit happens at the next failure after the limit allows it. With a single endpoint, an
  // ejection only changes Available() to panic mode, which still offers that endpoint.
  //
  // Returns true when this call ejected the endpoint.
  bool OnCallResult(size_t endpoint, bool succeeded, absl::Time now);

  void OnCallStarted(size_t endpoint) { ++endpoints_[endpoint].in_flight; }
  void OnCallFinished(size_t endpoint) { --endpoints_[endpoint].in_flight; }
  int in_flight(size_t endpoint) const { return endpoints_[endpoint].in_flight; }

  uint64_t times_ejected(size_t endpoint) const { return endpoints_[endpoint].times_ejected; }
  // When the latest ejection ends (or ended); InfinitePast when never ejected.
  absl::Time ejected_until(size_t endpoint) const { return endpoints_[endpoint].ejected_until; }

 private:
  struct Endpoint {
    std::string address;
    uint64_t address_hash = 0;
    bool healthy = true;
    int64_t consecutive_check_failures = 0;
    int64_t consecutive_check_passes = 0;
    int64_t consecutive_call_failures = 0;
    uint64_t times_ejected = 0;
    absl::Time ejected_until = absl::InfinitePast();
    int in_flight = 0;
  };

  bool EjectionAllowed(absl::Time now) const;
  absl::Duration NextEjectionDuration(const Endpoint& endpoint) const;

  const config::HealthCheckConfig health_;
  const config::OutlierDetectionConfig outlier_;
  std::vector<Endpoint> endpoints_;
};

}  // namespace chaukas::upstream
