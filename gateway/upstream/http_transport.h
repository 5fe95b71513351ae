#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "boost/asio/io_context.hpp"
#include "config/gateway_config.h"
#include "gateway/http/http_client.h"
#include "gateway/upstream/upstream_transport.h"

namespace chaukas::upstream {

// Talks to Chaukas backends over their HTTP API: POST {base}/v1/events/batch with the
// SDK's application/x-protobuf body (or JSON, format: json), GET {base}/healthz, POST
// {base}/v1/query, GET {base}/v1/capabilities. Keep-alive connections are pooled per
// endpoint on the cluster's io_context.
class HttpTransport final : public UpstreamTransport {
 public:
  HttpTransport(const config::ClusterConfig& config, boost::asio::io_context& io);
  ~HttpTransport() override;

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

  // "http://host:port/base" (or "host:port"): the parts a request needs.
  struct Endpoint {
    std::string address;  // as configured, for messages
    std::string host;
    uint16_t port = 80;
    std::string base_path;  // "" or "/base", no trailing slash
  };
  static Endpoint ParseEndpoint(const std::string& url);

 private:
  // One request to `endpoint` with the configured headers (and x-chaukas-tenant when
  // `tenant` is given); `done` gets the response or the transport error.
  void Call(size_t endpoint, boost::beast::http::verb method, std::string_view path,
            std::string_view content_type, std::string body, absl::Duration timeout,
            std::function<void(absl::StatusOr<http::Response>)> done, std::string_view tenant = "");

  const std::vector<config::Header> headers_;
  const config::FileFormat body_format_;
  boost::asio::io_context& io_;
  std::vector<Endpoint> endpoints_;
  http::HttpClientPool pool_;
};

}  // namespace chaukas::upstream
