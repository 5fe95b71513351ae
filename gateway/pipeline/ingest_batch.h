#pragma once

#include <span>
#include <string>
#include <vector>

#include "chaukas/spec/common/v1/events.pb.h"
#include "gateway/pipeline/request_context.h"
#include "google/protobuf/arena.h"

namespace chaukas::pipeline {

using chaukas::spec::common::v1::Event;
using chaukas::spec::common::v1::EventBatch;

// One client request, decoded once: its events, owned by a protobuf Arena, and its
// context. Everything after decoding (filters, router, clusters) works on this type only,
// whatever protocol the request came in by. Lives on the receiving thread for the duration
// of the request; clusters copy out what they keep.
class IngestBatch {
 public:
  explicit IngestBatch(RequestContext context);
  IngestBatch(const IngestBatch&) = delete;
  IngestBatch& operator=(const IngestBatch&) = delete;

  google::protobuf::Arena* arena() { return &arena_; }
  RequestContext& context() { return context_; }
  const RequestContext& context() const { return context_; }

  // Creates a message of type T on the batch's arena.
  template <typename T>
  T* Create() {
    return google::protobuf::Arena::CreateMessage<T>(&arena_);
  }

  // Takes part in the batch: `event` must live on this batch's arena.
  void AddEvent(Event* event) { events_.push_back(event); }
  // Every event of `batch` (which must live on this batch's arena), and its batch_id.
  void AddEvents(EventBatch* batch);

  std::span<Event* const> events() const { return events_; }
  size_t size() const { return events_.size(); }
  const std::string& batch_id() const { return batch_id_; }

 private:
  google::protobuf::Arena arena_;
  RequestContext context_;
  std::vector<Event*> events_;
  std::string batch_id_;
};

}  // namespace chaukas::pipeline
