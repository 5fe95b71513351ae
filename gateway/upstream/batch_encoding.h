#pragma once

#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/upstream/queued_event.h"

namespace chaukas::upstream {

// A serialized IngestEventBatchRequest (the client and server packages share its wire shape:
// field 1 event_batch {1 batch_id, 2 timestamp, 3 events...}), assembled from the events'
// bytes without parsing them again.
std::string EncodeBatchRequest(std::string_view batch_id, absl::Time now,
                               std::span<const QueuedEvent> events);

// The same batch as canonical proto3 JSON of an EventBatch, for http clusters with
// format: json. Parses each event once to print it.
absl::StatusOr<std::string> EncodeBatchJson(std::string_view batch_id, absl::Time now,
                                            std::span<const QueuedEvent> events);

}  // namespace chaukas::upstream
