#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "config/gateway_config.h"
#include "gateway/common/random_source.h"
#include "gateway/upstream/host_set.h"

namespace chaukas::upstream {

// Chooses the endpoint of each upstream call among the available ones. One per cluster, used on
// the cluster's thread only: not thread-safe.
class LoadBalancer {
 public:
  virtual ~LoadBalancer() = default;

  // Returns one of `candidates` (non-empty, indexes into `hosts`). `session_hash` is
  // StableHash64(session_id); only the session_hash policy uses it.
  virtual size_t Pick(const HostSet& hosts, std::span<const size_t> candidates,
                      uint64_t session_hash) = 0;
};

// round_robin: each call goes to the candidate that was picked least recently, so the picks
//   cycle through the candidates and stay even when the candidate set changes (an endpoint that
//   returns gets its turn at once, then joins the cycle). The first cycle starts at a random
//   endpoint so that gateway replicas started together do not all begin with the same one.
// least_request: power of two random choices (Envoy's default): of two distinct random
//   candidates, the one with fewer calls in flight (the first drawn on a tie).
// session_hash: rendezvous (highest random weight) hashing: the candidate with the highest
//   MixHash64(address_hash, session_hash). A session reaches the same endpoint as long as that
//   endpoint is available, on every replica; when an endpoint leaves or joins, only the sessions
//   it loses or wins move (about 1/N of them).
// `random` must outlive the balancer.
std::unique_ptr<LoadBalancer> CreateLoadBalancer(config::LoadBalancing policy,
                                                 RandomSource& random);

}  // namespace chaukas::upstream
