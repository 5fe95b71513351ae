#pragma once

#include <array>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "chaukas/spec/client/v1/client.grpc.pb.h"
#include "chaukas/spec/server/v1/server.grpc.pb.h"
#include "config/gateway_config.h"
#include "gateway/ingest/ingest_handler.h"
#include "gateway/ingest/read_paths.h"
#include "gateway/stats/stats_store.h"
#include "grpcpp/grpcpp.h"

namespace chaukas::ingest {

namespace client_v1 = chaukas::spec::client::v1;
namespace server_v1 = chaukas::spec::server::v1;

// Per-method request counts and latency for the gRPC listener:
// listener.requests{listener=grpc,method}, listener.request_duration_us{listener=grpc,method},
// listener.grpc_errors{listener=grpc,method,code}.
class GrpcMethodStats {
 public:
  GrpcMethodStats(stats::StatsStore& stats, std::string method);
  void Record(absl::Time started, const grpc::Status& status) const;

 private:
  stats::StatsStore& stats_;
  const std::string method_;
  stats::Counter& requests_;
  stats::Histogram& duration_us_;
};

// What both services share: the pipeline, the read paths and the per-method stats.
class GrpcIngestCore {
 public:
  GrpcIngestCore(const IngestHandler& ingest, const ReadPaths& reads, stats::StatsStore& stats);

  enum class Method {
    kHealthz,
    kGetCapabilities,
    kIngestEvent,
    kIngestEventBatch,
    kQueryEvents,
    kGetEventStats,
    kCount,
  };

  using StatusCallback = std::function<void(grpc::Status)>;

  // Parses a raw IngestEventRequest (either package: same wire shape) and runs it through
  // the pipeline; for the server service fills `response` (which must outlive `done`).
  // `done` may run on another thread, after this returns.
  void IngestEvent(grpc::CallbackServerContext& context, const grpc::ByteBuffer& raw,
                   pipeline::IngestApi api, server_v1::IngestEventResponse* response,
                   StatusCallback done);
  // Parses a raw IngestEventBatchRequest and runs it through the pipeline; for the server
  // service fills `response`, for the client service reports partial rejection in trailing
  // metadata.
  void IngestEventBatch(grpc::CallbackServerContext& context, const grpc::ByteBuffer& raw,
                        pipeline::IngestApi api, server_v1::IngestEventBatchResponse* response,
                        StatusCallback done);

  // Counts the call and finishes it. Any thread.
  void Finish(grpc::ServerUnaryReactor* reactor, Method method, absl::Time started,
              const grpc::Status& status) const;

  const ReadPaths& reads() const { return reads_; }

 private:
  const IngestHandler& ingest_;
  const ReadPaths& reads_;
  std::array<std::unique_ptr<GrpcMethodStats>, static_cast<size_t>(Method::kCount)> method_stats_;
};

using ClientServiceBase = client_v1::ChaukasClientService::WithRawCallbackMethod_IngestEvent<
    client_v1::ChaukasClientService::WithRawCallbackMethod_IngestEventBatch<
        client_v1::ChaukasClientService::CallbackService>>;

// chaukas.spec.client.v1.ChaukasClientService: what SDKs call. Ingest methods take the raw
// request bytes, so they are parsed once, straight onto the request's Arena.
class ClientService final : public ClientServiceBase {
 public:
  explicit ClientService(GrpcIngestCore& core) : core_(core) {}

  grpc::ServerUnaryReactor* Healthz(grpc::CallbackServerContext* context,
                                    const client_v1::HealthzRequest* request,
                                    client_v1::HealthzResponse* response) override;
  grpc::ServerUnaryReactor* GetCapabilities(grpc::CallbackServerContext* context,
                                            const client_v1::GetCapabilitiesRequest* request,
                                            client_v1::GetCapabilitiesResponse* response) override;
  grpc::ServerUnaryReactor* IngestEvent(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* IngestEventBatch(grpc::CallbackServerContext* context,
                                             const grpc::ByteBuffer* request,
                                             grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* QueryEvents(grpc::CallbackServerContext* context,
                                        const client_v1::QueryEventsRequest* request,
                                        client_v1::QueryEventsResponse* response) override;

 private:
  GrpcIngestCore& core_;
};

using ServerServiceBase = server_v1::ChaukasServerService::WithRawCallbackMethod_IngestEvent<
    server_v1::ChaukasServerService::WithRawCallbackMethod_IngestEventBatch<
        server_v1::ChaukasServerService::CallbackService>>;

// chaukas.spec.server.v1.ChaukasServerService: what backends implement, so clients written
// for a backend can point at the gateway. Ingest answers carry true accept/reject counts;
// GetEventStats is answered from the gateway's own aggregates.
class ServerService final : public ServerServiceBase {
 public:
  explicit ServerService(GrpcIngestCore& core) : core_(core) {}

  grpc::ServerUnaryReactor* Healthz(grpc::CallbackServerContext* context,
                                    const server_v1::HealthzRequest* request,
                                    server_v1::HealthzResponse* response) override;
  grpc::ServerUnaryReactor* GetCapabilities(grpc::CallbackServerContext* context,
                                            const server_v1::GetCapabilitiesRequest* request,
                                            server_v1::GetCapabilitiesResponse* response) override;
  grpc::ServerUnaryReactor* IngestEvent(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* IngestEventBatch(grpc::CallbackServerContext* context,
                                             const grpc::ByteBuffer* request,
                                             grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* QueryEvents(grpc::CallbackServerContext* context,
                                        const server_v1::QueryEventsRequest* request,
                                        server_v1::QueryEventsResponse* response) override;
  grpc::ServerUnaryReactor* GetEventStats(grpc::CallbackServerContext* context,
                                          const server_v1::GetEventStatsRequest* request,
                                          server_v1::GetEventStatsResponse* response) override;

 private:
  GrpcIngestCore& core_;
};

// The gRPC listener: both services on one port; over TLS when the config has a `tls` block,
// with client certificates verified against its client CAs (RequestContext::certificate).
class GrpcListener {
 public:
  GrpcListener(config::GrpcListenerConfig config, const IngestHandler& ingest,
               const ReadPaths& reads, stats::StatsStore& stats);
  ~GrpcListener();

  // Binds and starts serving; fails with the address in the message when it cannot bind.
  [[nodiscard]] absl::Status Start();
  uint16_t port() const { return port_; }
  // Stops accepting calls; calls in flight get until `deadline` to finish.
  void Shutdown(absl::Duration deadline);

 private:
  const config::GrpcListenerConfig config_;
  GrpcIngestCore core_;
  ClientService client_service_;
  ServerService server_service_;
  std::unique_ptr<grpc::Server> server_;
  uint16_t port_ = 0;
};

}  // namespace chaukas::ingest
