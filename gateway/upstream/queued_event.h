#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gateway/upstream/delivery_tracker.h"

namespace chaukas::upstream {

// One event as an upstream cluster keeps it: serialized once, on the ingest thread, so the
// request's arena can go and upstream calls are assembled without parsing it again.
struct QueuedEvent {
  std::string bytes;  // a serialized chaukas.spec.common.v1.Event
  std::string event_id;
  uint64_t session_hash = 0;  // StableHash64(session_id), for session_hash load balancing
  absl::Time enqueued;
  // Sync delivery: who waits for the verdict, and this event's position in that Enqueue.
  std::shared_ptr<DeliveryTracker> tracker;
  size_t index = 0;
};

// One upstream call's worth of events, all of one tenant: each batch keeps whom it belongs
// to, so retries and the upstream see the same tenant.
struct UpstreamBatch {
  std::string id;  // batch_id upstream; the same on every retry, so backends can de-duplicate
  std::string tenant;
  std::vector<QueuedEvent> events;
  int64_t bytes = 0;
  int attempts = 0;  // calls made so far
};

}  // namespace chaukas::upstream
