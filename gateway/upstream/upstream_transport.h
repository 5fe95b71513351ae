#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "chaukas/spec/common/v1/query.pb.h"
#include "chaukas/spec/server/v1/server.pb.h"
#include "gateway/upstream/cluster.h"
#include "gateway/upstream/queued_event.h"

namespace chaukas::upstream {

// The outcome of one upstream ingest call.
struct CallResult {
  absl::Status status;  // OK: the upstream answered the batch (and maybe refused some events)
  bool retriable = false;
  std::optional<absl::Duration> retry_after;    // the upstream's own pushback, if it gave one
  std::vector<std::string> rejected_event_ids;  // on OK: the events the upstream refused
};

// How an upstream cluster talks to its endpoints (gRPC or HTTP). Every method is called on
// the cluster's thread and every callback runs on it too, never from within the call that
// started it: transports post their completions back to the cluster's io_context.
class UpstreamTransport {
 public:
  virtual ~UpstreamTransport() = default;

  // One IngestEventBatch call carrying `batch` to `endpoint`.
  virtual void SendBatch(size_t endpoint, const UpstreamBatch& batch, absl::Duration timeout,
                         std::function<void(CallResult)> done) = 0;
  // Healthz (gRPC) or GET /healthz (HTTP).
  virtual void CheckHealth(size_t endpoint, absl::Duration timeout,
                           std::function<void(bool healthy)> done) = 0;
  virtual void QueryEvents(size_t endpoint, const chaukas::spec::common::v1::QueryRequest& request,
                           absl::Duration timeout,
                           ReadCallback<chaukas::spec::common::v1::QueryResponse> done) = 0;
  virtual void GetCapabilities(size_t endpoint, absl::Duration timeout,
                               ReadCallback<chaukas::spec::common::v1::Capabilities> done) = 0;
  virtual void GetEventStats(
      size_t endpoint, const chaukas::spec::server::v1::GetEventStatsRequest& request,
      absl::Duration timeout,
      ReadCallback<chaukas::spec::server::v1::GetEventStatsResponse> done) = 0;

  // Cancels what is outstanding and returns once no callback of this transport can run
  // any more. Called once, from outside the cluster's thread, when the cluster stops.
  virtual void Shutdown() = 0;
};

}  // namespace chaukas::upstream
