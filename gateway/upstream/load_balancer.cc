#include "gateway/upstream/load_balancer.h"

#include <vector>

#include "absl/numeric/int128.h"
#include "gateway/common/stable_hash.h"

namespace chaukas::upstream {
namespace {

// Least recently picked first: unlike a counter modulo the number of candidates, this cannot
// starve an endpoint when the candidate set keeps changing.
class RoundRobinBalancer final : public LoadBalancer {
 public:
  explicit RoundRobinBalancer(RandomSource& random) : start_(random.NextUint64()) {}

  size_t Pick(const HostSet& hosts, std::span<const size_t> candidates,
              uint64_t /*session_hash*/) override {
    last_picked_.resize(hosts.size(), 0);
    size_t best = candidates.front();
    for (const size_t candidate : candidates.subspan(1)) {
      if (PickedEarlier(candidate, best, hosts.size())) best = candidate;
    }
    last_picked_[best] = ++picks_;
    return best;
  }

 private:
  // Ties (endpoints never picked) go in index order starting from endpoint start_ % size.
  bool PickedEarlier(size_t a, size_t b, size_t size) const {
    if (last_picked_[a] != last_picked_[b]) return last_picked_[a] < last_picked_[b];
    const size_t start = start_ % size;
    return (a + size - start) % size < (b + size - start) % size;
  }

  const uint64_t start_;
  uint64_t picks_ = 0;
  std::vector<uint64_t> last_picked_;  // by endpoint: the pick number, 0 for never
};

class LeastRequestBalancer final : public LoadBalancer {
 public:
  explicit LeastRequestBalancer(RandomSource& random) : random_(random) {}

  size_t Pick(const HostSet& hosts, std::span<const size_t> candidates,
              uint64_t /*session_hash*/) override {
    if (candidates.size() == 1) return candidates.front();
    const size_t first = RandomBelow(random_, candidates.size());
    size_t second = RandomBelow(random_, candidates.size() - 1);
    if (second >= first) ++second;  // distinct from first, uniform over the others
    const size_t a = candidates[first];
    const size_t b = candidates[second];
    return hosts.in_flight(b) < hosts.in_flight(a) ? b : a;
  }

 private:
  RandomSource& random_;
};

class SessionHashBalancer final : public LoadBalancer {
 public:
  size_t Pick(const HostSet& hosts, std::span<const size_t> candidates,
              uint64_t session_hash) override {
    size_t best = candidates.front();
    uint64_t best_score = MixHash64(hosts.address_hash(best), session_hash);
    for (const size_t candidate : candidates.subspan(1)) {
      const uint64_t score = MixHash64(hosts.address_hash(candidate), session_hash);
      if (score > best_score) {
        best = candidate;
        best_score = score;
      }
    }
    return best;
  }
};

}  // namespace

std::unique_ptr<LoadBalancer> CreateLoadBalancer(config::LoadBalancing policy,
                                                 RandomSource& random) {
  switch (policy) {
    case config::LoadBalancing::kRoundRobin:
      return std::make_unique<RoundRobinBalancer>(random);
    case config::LoadBalancing::kLeastRequest:
      return std::make_unique<LeastRequestBalancer>(random);
    case config::LoadBalancing::kSessionHash:
      return std::make_unique<SessionHashBalancer>();
  }
  return nullptr;
}

}  // namespace chaukas::upstream
