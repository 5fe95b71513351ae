#include "gateway/upstream/fair_queue.h"

#include <algorithm>

#include "gateway/common/strings.h"

namespace chaukas::upstream {

FairQueue::FairQueue(int64_t max_events_per_batch, int64_t max_bytes_per_batch,
                     const std::vector<std::pair<std::string, int64_t>>& tenant_weights)
    : max_events_(max_events_per_batch), max_bytes_(max_bytes_per_batch) {
  for (const auto& [tenant, weight] : tenant_weights) weights_[tenant] = weight;
}

bool FairQueue::IsFull(const TenantQueue& queue) const {
  return static_cast<int64_t>(queue.events.size()) >= max_events_ || queue.bytes >= max_bytes_;
}

void FairQueue::UpdateFull(TenantQueue& queue) {
  const bool full = IsFull(queue);
  if (full != queue.full) {
    queue.full = full;
    full ? ++full_tenants_ : --full_tenants_;
  }
}

bool FairQueue::Push(std::string_view tenant, QueuedEvent event) {
  auto [entry, inserted] = queues_.try_emplace(std::string(tenant));
  TenantQueue& queue = entry->second;
  if (queue.events.empty()) {
    auto weight = weights_.find(ToAbsl(tenant));
    queue.weight = weight == weights_.end() ? 1 : weight->second;
    queue.turns_left = queue.weight;
    order_.push_back(entry->first);
  }
  const auto size = static_cast<int64_t>(event.bytes.size());
  queue.bytes += size;
  queue.events.push_back(std::move(event));
  bytes_ += size;
  ++events_;
  UpdateFull(queue);
  return queue.full;
}

absl::Time FairQueue::OldestEnqueued() const {
  absl::Time oldest = absl::InfiniteFuture();
  for (const auto& [tenant, queue] : queues_) {
    if (!queue.events.empty()) oldest = std::min(oldest, queue.events.front().enqueued);
  }
  return oldest;
}

UpstreamBatch FairQueue::PopBatch() {
  const std::string tenant = order_.front();
  TenantQueue& queue = queues_.at(tenant);
  UpstreamBatch batch;
  batch.tenant = tenant;
  while (!queue.events.empty() && static_cast<int64_t>(batch.events.size()) < max_events_) {
    const auto size = static_cast<int64_t>(queue.events.front().bytes.size());
    if (!batch.events.empty() && batch.bytes + size > max_bytes_) break;
    batch.bytes += size;
    batch.events.push_back(std::move(queue.events.front()));
    queue.events.pop_front();
  }
  queue.bytes -= batch.bytes;
  bytes_ -= batch.bytes;
  events_ -= batch.events.size();
  UpdateFull(queue);

  order_.pop_front();
  if (queue.events.empty()) {
    queues_.erase(tenant);
  } else if (--queue.turns_left > 0) {
    order_.push_front(tenant);  // its turn goes on
  } else {
    queue.turns_left = queue.weight;
    order_.push_back(tenant);
  }
  return batch;
}

}  // namespace chaukas::upstream
