#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chaukas/spec/common/v1/query.pb.h"
#include "chaukas/spec/server/v1/server.pb.h"
#include "gateway/pipeline/ingest_batch.h"

namespace chaukas::upstream {

// The upstream's verdict on the events one Enqueue handed over (sync delivery).
struct DeliveryReport {
  // Non-OK: no verdict (the upstream did not answer within sync_timeout_ms, or the gateway is
  // stopping); the events stay queued and are still delivered at least once.
  absl::Status status;
  // Events the upstream refused: position in the span given to Enqueue, and why.
  std::vector<std::pair<size_t, std::string>> rejected;
};

// Called exactly once, on a cluster thread.
using DeliveryCallback = std::function<void(DeliveryReport)>;

template <typename T>
using ReadCallback = std::function<void(absl::StatusOr<T>)>;

// A destination for accepted events: the embedded file sink or an upstream Chaukas backend.
// Enqueue is called on ingest threads, concurrently; delivery happens on the cluster's own
// thread(s).
class Cluster {
 public:
  virtual ~Cluster() = default;

  virtual const std::string& name() const = 0;

  // Opens files or connections and starts threads. Called once, before any Enqueue.
  [[nodiscard]] virtual absl::Status Start() = 0;

  // Whether the cluster's config asks clients to wait for the upstream's verdict
  // (delivery: sync). Only the primary cluster of a route is ever waited for.
  virtual bool synchronous() const { return false; }

  // Takes the events routed here, copying what it keeps (they die with the request). OK
  // means the cluster now owns their delivery; an overload error (ingest_status.h) means it
  // took none of them. With `on_delivered`, the cluster also reports the upstream's verdict
  // once it has it; without, nobody waits (async delivery, mirrors).
  [[nodiscard]] virtual absl::Status Enqueue(const pipeline::RequestContext& request,
                                             std::span<pipeline::Event* const> events,
                                             DeliveryCallback on_delivered) = 0;

  // Delivers everything queued, waiting at most `timeout`, then stops. What could not be
  // delivered in time is logged with its count.
  virtual void Drain(absl::Duration timeout) = 0;

  // Read paths, passed through to the upstream. The callbacks run on a cluster thread.
  // Clusters that hold nothing to read (files) answer Unimplemented, naming themselves.
  virtual void QueryEvents(const chaukas::spec::common::v1::QueryRequest& request,
                           ReadCallback<chaukas::spec::common::v1::QueryResponse> done);
  virtual void GetCapabilities(ReadCallback<chaukas::spec::common::v1::Capabilities> done);
  virtual void GetEventStats(const chaukas::spec::server::v1::GetEventStatsRequest& request,
                             ReadCallback<chaukas::spec::server::v1::GetEventStatsResponse> done);

  // Lines for the admin /clusters page: "<cluster>::<key>::<value>".
  virtual std::string DescribeForAdmin() const = 0;
};

}  // namespace chaukas::upstream
