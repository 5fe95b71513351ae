#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace chaukas::stats {

// Counts distinct sessions, given a 64-bit hash of each: exactly while there are at most
// kExactLimit of them, then with a HyperLogLog sketch of 2^kPrecision registers (standard
// error 1.04 / sqrt(2^14) = 0.81%). Counters merge, so per-bucket counts add up over a query's
// range; a merge of exact counters stays exact while the union fits under kExactLimit.
// Not thread-safe: the owner locks.
class SessionCounter {
 public:
  static constexpr size_t kExactLimit = 4096;
  static constexpr int kPrecision = 14;

  // `hash` is mixed again here, so any 64-bit hash works, even sequential numbers.
  void Add(uint64_t hash);
  void Merge(const SessionCounter& other);
  // The exact count while is_exact(), else the sketch's estimate.
  uint64_t Count() const;
  bool is_exact() const { return registers_.empty(); }

 private:
  void ConvertToSketch();
  void AddToSketch(uint64_t hash);
  uint64_t Estimate() const;

  absl::flat_hash_set<uint64_t> exact_;  // empty once converted to the sketch
  std::vector<uint8_t> registers_;       // empty while exact
};

}  // namespace chaukas::stats
