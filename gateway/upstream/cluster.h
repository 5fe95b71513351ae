#pragma once

#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gateway/pipeline/ingest_batch.h"

namespace chaukas::upstream {

// A destination for accepted events (a local file today; upstream backends later).
// Enqueue is called on ingest threads, concurrently; delivery happens on the cluster's own
// thread(s).
class Cluster {
 public:
  virtual ~Cluster() = default;

  virtual const std::string& name() const = 0;

  // Opens files and starts threads. Called once, before any Enqueue.
  [[nodiscard]] virtual absl::Status Start() = 0;

  // Takes the events routed here, copying what it keeps (they die with the request). OK
  // means the cluster now owns their delivery; an overload error (ingest_status.h) means it
  // took none of them because its queue is full.
  [[nodiscard]] virtual absl::Status Enqueue(const pipeline::RequestContext& request,
                                             std::span<pipeline::Event* const> events) = 0;

  // Delivers everything queued, waiting at most `timeout`, then stops. What could not be
  // delivered in time is logged with its count.
  virtual void Drain(absl::Duration timeout) = 0;
};

}  // namespace chaukas::upstream
