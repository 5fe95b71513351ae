#pragma once

#include <cstdint>
#include <deque>
#include <list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "gateway/upstream/queued_event.h"

namespace chaukas::upstream {

// A cluster's queue of events: one FIFO per tenant, dequeued in weighted round robin, so
// one tenant's backlog (after an upstream outage, say) cannot starve the others. In its
// turn a tenant gives up to `weight` batches (unlisted tenants weigh 1), then the next
// tenant's turn comes. Not thread-safe: the cluster holds its lock around every call.
class FairQueue {
 public:
  FairQueue(int64_t max_events_per_batch, int64_t max_bytes_per_batch,
            const std::vector<std::pair<std::string, int64_t>>& tenant_weights);

  // Adds an event; true when its tenant now has a full batch queued.
  bool Push(std::string_view tenant, QueuedEvent event);

  bool empty() const { return events_ == 0; }
  size_t events() const { return events_; }
  int64_t bytes() const { return bytes_; }
  size_t tenants() const { return order_.size(); }

  // Whether some tenant has a full batch (max events or max bytes) queued.
  bool HasFullBatch() const { return full_tenants_ > 0; }
  // When the oldest queued event was queued; InfiniteFuture when empty.
  absl::Time OldestEnqueued() const;

  // The next batch in turn: up to the batch limits of one tenant's events (at least one).
  // The queue must not be empty.
  UpstreamBatch PopBatch();

 private:
  struct TenantQueue {
    std::deque<QueuedEvent> events;
    int64_t bytes = 0;
    int64_t weight = 1;
    int64_t turns_left = 1;  // batches it may still give in its current turn
    bool full = false;
  };
  bool IsFull(const TenantQueue& queue) const;
  void UpdateFull(TenantQueue& queue);

  const int64_t max_events_;
  const int64_t max_bytes_;
  absl::flat_hash_map<std::string, int64_t> weights_;
  absl::flat_hash_map<std::string, TenantQueue> queues_;
  std::list<std::string> order_;  // tenants with events, the one whose turn it is first
  size_t events_ = 0;
  int64_t bytes_ = 0;
  size_t full_tenants_ = 0;
};

}  // namespace chaukas::upstream
