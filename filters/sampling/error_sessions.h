#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace chaukas::filters::sampling {

// The sessions that have produced an error, remembered so the rest of each is kept whatever
// its sampling rate. Bounded: past `capacity`, the session whose error is oldest is forgotten
// (least recently marked). Sharded so ingest threads rarely share a lock.
class ErrorSessions {
 public:
  explicit ErrorSessions(size_t capacity);

  // Remembers `session` (again: it becomes the most recent).
  void Mark(std::string_view session);
  bool Contains(std::string_view session) const;
  size_t size() const;

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable absl::Mutex mutex;
    std::list<std::string> order ABSL_GUARDED_BY(mutex);  // most recent first
    absl::flat_hash_map<std::string, std::list<std::string>::iterator> index ABSL_GUARDED_BY(mutex);
  };
  Shard& ShardOf(std::string_view session) const;

  const size_t capacity_per_shard_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace chaukas::filters::sampling
