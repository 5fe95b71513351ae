#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "boost/asio/io_context.hpp"
#include "chaukas/spec/server/v1/server.grpc.pb.h"
#include "config/gateway_config.h"
#include "gateway/upstream/upstream_transport.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

namespace chaukas::upstream {

// Talks to Chaukas backends over gRPC (ChaukasServerService): one channel per endpoint,
// optional TLS, the configured metadata on every call plus `x-chaukas-tenant`. Ingest calls
// go through a generic stub, so the request bytes assembled by EncodeBatchRequest are sent
// as they are. The library's callbacks are posted back to the cluster's io_context.
class GrpcTransport final : public UpstreamTransport {
 public:
  // Fails when TLS files cannot be read.
  static absl::StatusOr<std::unique_ptr<GrpcTransport>> Create(const config::ClusterConfig& config,
                                                               boost::asio::io_context& io);
  ~GrpcTransport() override;

  void SendBatch(size_t endpoint, const UpstreamBatch& batch, absl::Duration timeout,
                 std::function<void(CallResult)> done) override;
  void CheckHealth(size_t endpoint, absl::Duration timeout,
                   std::function<void(bool healthy)> done) override;
  void QueryEvents(size_t endpoint, const chaukas::spec::common::v1::QueryRequest& request,
                   absl::Duration timeout,
                   ReadCallback<chaukas::spec::common::v1::QueryResponse> done) override;
  void GetCapabilities(size_t endpoint, absl::Duration timeout,
                       ReadCallback<chaukas::spec::common::v1::Capabilities> done) override;
  void GetEventStats(size_t endpoint,
                     const chaukas::spec::server::v1::GetEventStatsRequest& request,
                     absl::Duration timeout,
                     ReadCallback<chaukas::spec::server::v1::GetEventStatsResponse> done) override;
  void Shutdown() override;

 private:
  struct Endpoint {
    std::string address;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<grpc::GenericStub> generic;
    std::unique_ptr<chaukas::spec::server::v1::ChaukasServerService::Stub> stub;
  };

  GrpcTransport(const config::ClusterConfig& config, boost::asio::io_context& io,
                std::shared_ptr<grpc::ChannelCredentials> credentials);

  // A context with the deadline and configured metadata, registered so Shutdown can cancel
  // it; Release unregisters it once its call completed.
  std::shared_ptr<grpc::ClientContext> NewContext(absl::Duration timeout);
  void Release(const grpc::ClientContext* context);
  // Runs `work` on the cluster's thread.
  void PostToCluster(std::function<void()> work);

  template <typename Response>
  void UnaryRead(
      size_t endpoint, absl::Duration timeout,
      std::function<void(grpc::ClientContext*, Response*, std::function<void(grpc::Status)>)> start,
      ReadCallback<Response> done);

  const std::string cluster_name_;
  const std::vector<config::Header> headers_;
  boost::asio::io_context& io_;
  std::vector<Endpoint> endpoints_;

  absl::Mutex mutex_;
  std::vector<std::shared_ptr<grpc::ClientContext>> outstanding_ ABSL_GUARDED_BY(mutex_);
  bool shut_down_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace chaukas::upstream
