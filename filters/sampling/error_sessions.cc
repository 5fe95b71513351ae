#include "filters/sampling/error_sessions.h"

#include <algorithm>

#include "gateway/common/stable_hash.h"
#include "gateway/common/strings.h"

namespace chaukas::filters::sampling {

ErrorSessions::ErrorSessions(size_t capacity)
    : capacity_per_shard_(std::max<size_t>(1, capacity / kShards)) {}

ErrorSessions::Shard& ErrorSessions::ShardOf(std::string_view session) const {
  return shards_[StableHash64(session) % kShards];
}

void ErrorSessions::Mark(std::string_view session) {
  Shard& shard = ShardOf(session);
  absl::MutexLock lock(&shard.mutex);
  if (const auto found = shard.index.find(ToAbsl(session)); found != shard.index.end()) {
    shard.order.splice(shard.order.begin(), shard.order, found->second);
    return;
  }
  shard.order.emplace_front(session);
  shard.index.emplace(shard.order.front(), shard.order.begin());
  if (shard.order.size() > capacity_per_shard_) {
    shard.index.erase(shard.order.back());
    shard.order.pop_back();
  }
}

bool ErrorSessions::Contains(std::string_view session) const {
  Shard& shard = ShardOf(session);
  absl::MutexLock lock(&shard.mutex);
  return shard.index.contains(ToAbsl(session));
}

size_t ErrorSessions::size() const {
  size_t total = 0;
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mutex);
    total += shard.order.size();
  }
  return total;
}

}  // namespace chaukas::filters::sampling
