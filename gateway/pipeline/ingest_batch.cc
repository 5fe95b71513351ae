#include "gateway/pipeline/ingest_batch.h"

#include <utility>

namespace chaukas::pipeline {
namespace {

// The first block is sized for a typical SDK batch (20 events of ~1 KB) so that most
// requests allocate once.
google::protobuf::ArenaOptions BatchArenaOptions() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = size_t{32} * 1024;
  options.max_block_size = size_t{1024} * 1024;
  return options;
}

}  // namespace

IngestBatch::IngestBatch(RequestContext context)
    : arena_(BatchArenaOptions()), context_(std::move(context)) {}

void IngestBatch::AddEvents(EventBatch* batch) {
  batch_id_ = batch->batch_id();
  events_.reserve(events_.size() + batch->events_size());
  for (Event& event : *batch->mutable_events()) events_.push_back(&event);
}

}  // namespace chaukas::pipeline
