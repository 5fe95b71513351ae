#include "gateway/upstream/grpc_transport.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "boost/asio/post.hpp"
#include "gateway/upstream/backoff.h"
#include "gateway/upstream/batch_encoding.h"

namespace chaukas::upstream {
namespace {

namespace common_v1 = chaukas::spec::common::v1;
namespace server_v1 = chaukas::spec::server::v1;

constexpr char kIngestMethod[] = "/chaukas.spec.server.v1.ChaukasServerService/IngestEventBatch";

// gRPC metadata values must be printable ASCII; anything else is percent-encoded.
std::string MetadataValue(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7F && c != '%') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

absl::Status UpstreamError(const std::string& address, const grpc::Status& status) {
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  return absl::Status(
      code, absl::StrCat("upstream ", address, " answered ", absl::StatusCodeToString(code), ": ",
                         status.error_message()));
}

std::optional<absl::Duration> PushbackOf(const grpc::ClientContext& context) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto found = trailers.find("grpc-retry-pushback-ms");
  if (found == trailers.end()) return std::nullopt;
  int64_t milliseconds = 0;
  const char* begin = found->second.data();
  const char* end = begin + found->second.size();
  auto [parsed_end, ec] = std::from_chars(begin, end, milliseconds);
  if (ec != std::errc() || parsed_end != end || milliseconds < 0) return std::nullopt;
  return absl::Milliseconds(milliseconds);
}

CallResult IngestResult(const std::string& address, const grpc::Status& status,
                        grpc::ByteBuffer& response, const grpc::ClientContext& context) {
  CallResult result;
  if (!status.ok()) {
    result.status = UpstreamError(address, status);
    result.retriable = IsRetriableGrpcCode(status.error_code());
    result.retry_after = PushbackOf(context);
    return result;
  }
  server_v1::IngestEventBatchResponse answer;
  if (!grpc::SerializationTraits<server_v1::IngestEventBatchResponse>::Deserialize(&response,
                                                                                   &answer)
           .ok()) {
    // The batch reached the upstream and was answered; an unreadable answer only loses the
    // per-event verdict.
    return result;
  }
  result.rejected_event_ids.assign(answer.rejected_event_ids().begin(),
                                   answer.rejected_event_ids().end());
  return result;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcTransport>> GrpcTransport::Create(
    const config::ClusterConfig& config, boost::asio::io_context& io) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (config.upstream.tls.enabled) {
    grpc::SslCredentialsOptions options;
    if (!config.upstream.tls.ca_file.empty()) {
      absl::StatusOr<std::string> roots = ReadFile(config.upstream.tls.ca_file);
      if (!roots.ok()) {
        return absl::Status(roots.status().code(),
                            absl::StrCat("cluster ", config.name, ": ", roots.status().message()));
      }
      options.pem_root_certs = *roots;
    }
    credentials = grpc::SslCredentials(options);
  }
  return std::unique_ptr<GrpcTransport>(new GrpcTransport(config, io, std::move(credentials)));
}

GrpcTransport::GrpcTransport(const config::ClusterConfig& config, boost::asio::io_context& io,
                             std::shared_ptr<grpc::ChannelCredentials> credentials)
    : cluster_name_(config.name), headers_(config.upstream.headers), io_(io) {
  for (const std::string& address : config.upstream.endpoints) {
    grpc::ChannelArguments arguments;
    // One connection per endpoint of this cluster, not shared through gRPC's global pool,
    // so an endpoint's health is this cluster's own.
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    if (!config.upstream.tls.server_name.empty()) {
      arguments.SetSslTargetNameOverride(config.upstream.tls.server_name);
    }
    Endpoint endpoint;
    endpoint.address = address;
    endpoint.channel = grpc::CreateCustomChannel(address, credentials, arguments);
    endpoint.generic = std::make_unique<grpc::GenericStub>(endpoint.channel);
    endpoint.stub = server_v1::ChaukasServerService::NewStub(endpoint.channel);
    endpoints_.push_back(std::move(endpoint));
  }
}

GrpcTransport::~GrpcTransport() { Shutdown(); }

std::shared_ptr<grpc::ClientContext> GrpcTransport::NewContext(absl::Duration timeout) {
  auto context = std::make_shared<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  for (const config::Header& header : headers_) context->AddMetadata(header.name, header.value);
  absl::MutexLock lock(&mutex_);
  if (shut_down_) return nullptr;
  outstanding_.push_back(context);
  return context;
}

void GrpcTransport::Release(const grpc::ClientContext* context) {
  absl::MutexLock lock(&mutex_);
  std::erase_if(outstanding_,
                [context](const auto& candidate) { return candidate.get() == context; });
}

void GrpcTransport::PostToCluster(std::function<void()> work) {
  boost::asio::post(io_, std::move(work));
}

void GrpcTransport::SendBatch(size_t endpoint, const UpstreamBatch& batch, absl::Duration timeout,
                              std::function<void(CallResult)> done) {
  std::shared_ptr<grpc::ClientContext> context = NewContext(timeout);
  if (context == nullptr) {
    // Never inline: the caller may be inside its own completion handler.
    PostToCluster([done = std::move(done)] {
      done(CallResult{absl::CancelledError("the cluster is stopping"), false, std::nullopt, {}});
    });
    return;
  }
  context->AddMetadata("x-chaukas-tenant", MetadataValue(batch.tenant));
  grpc::Slice slice(EncodeBatchRequest(batch.id, absl::Now(), batch.events));
  auto request = std::make_shared<grpc::ByteBuffer>(&slice, 1);
  auto response = std::make_shared<grpc::ByteBuffer>();
  const std::string& address = endpoints_[endpoint].address;
  endpoints_[endpoint].generic->UnaryCall(
      context.get(), kIngestMethod, grpc::StubOptions(), request.get(), response.get(),
      [this, context, request, response, address, done = std::move(done)](grpc::Status status) {
        CallResult result = IngestResult(address, status, *response, *context);
        PostToCluster([done, result = std::move(result)]() mutable { done(std::move(result)); });
        Release(context.get());
      });
}

template <typename Response>
void GrpcTransport::UnaryRead(
    size_t endpoint, absl::Duration timeout,
    std::function<void(grpc::ClientContext*, Response*, std::function<void(grpc::Status)>)> start,
    ReadCallback<Response> done) {
  std::shared_ptr<grpc::ClientContext> context = NewContext(timeout);
  if (context == nullptr) {
    PostToCluster(
        [done = std::move(done)] { done(absl::CancelledError("the cluster is stopping")); });
    return;
  }
  auto response = std::make_shared<Response>();
  const std::string& address = endpoints_[endpoint].address;
  start(context.get(), response.get(),
        [this, context, response, address, done = std::move(done)](grpc::Status status) {
          absl::StatusOr<Response> result = *response;
          if (!status.ok()) result = UpstreamError(address, status);
          PostToCluster([done, result = std::move(result)]() mutable { done(std::move(result)); });
          Release(context.get());
        });
}

void GrpcTransport::CheckHealth(size_t endpoint, absl::Duration timeout,
                                std::function<void(bool healthy)> done) {
  auto request = std::make_shared<server_v1::HealthzRequest>();
  UnaryRead<server_v1::HealthzResponse>(
      endpoint, timeout,
      [this, endpoint, request](grpc::ClientContext* context, server_v1::HealthzResponse* response,
                                std::function<void(grpc::Status)> finished) {
        endpoints_[endpoint].stub->async()->Healthz(context, request.get(), response,
                                                    std::move(finished));
      },
      [done = std::move(done)](absl::StatusOr<server_v1::HealthzResponse> result) {
        done(result.ok());
      });
}

void GrpcTransport::QueryEvents(size_t endpoint, const common_v1::QueryRequest& query,
                                absl::Duration timeout,
                                ReadCallback<common_v1::QueryResponse> done) {
  auto request = std::make_shared<server_v1::QueryEventsRequest>();
  *request->mutable_query() = query;
  UnaryRead<server_v1::QueryEventsResponse>(
      endpoint, timeout,
      [this, endpoint, request](grpc::ClientContext* context,
                                server_v1::QueryEventsResponse* response,
                                std::function<void(grpc::Status)> finished) {
        endpoints_[endpoint].stub->async()->QueryEvents(context, request.get(), response,
                                                        std::move(finished));
      },
      [done = std::move(done)](absl::StatusOr<server_v1::QueryEventsResponse> result) {
        if (!result.ok()) return done(result.status());
        done(std::move(*result->mutable_response()));
      });
}

void GrpcTransport::GetCapabilities(size_t endpoint, absl::Duration timeout,
                                    ReadCallback<common_v1::Capabilities> done) {
  auto request = std::make_shared<server_v1::GetCapabilitiesRequest>();
  UnaryRead<server_v1::GetCapabilitiesResponse>(
      endpoint, timeout,
      [this, endpoint, request](grpc::ClientContext* context,
                                server_v1::GetCapabilitiesResponse* response,
                                std::function<void(grpc::Status)> finished) {
        endpoints_[endpoint].stub->async()->GetCapabilities(context, request.get(), response,
                                                            std::move(finished));
      },
      [done = std::move(done)](absl::StatusOr<server_v1::GetCapabilitiesResponse> result) {
        if (!result.ok()) return done(result.status());
        done(std::move(*result->mutable_capabilities()));
      });
}

void GrpcTransport::GetEventStats(size_t endpoint,
                                  const server_v1::GetEventStatsRequest& stats_request,
                                  absl::Duration timeout,
                                  ReadCallback<server_v1::GetEventStatsResponse> done) {
  auto request = std::make_shared<server_v1::GetEventStatsRequest>(stats_request);
  UnaryRead<server_v1::GetEventStatsResponse>(
      endpoint, timeout,
      [this, endpoint, request](grpc::ClientContext* context,
                                server_v1::GetEventStatsResponse* response,
                                std::function<void(grpc::Status)> finished) {
        endpoints_[endpoint].stub->async()->GetEventStats(context, request.get(), response,
                                                          std::move(finished));
      },
      std::move(done));
}

void GrpcTransport::Shutdown() {
  std::vector<std::shared_ptr<grpc::ClientContext>> to_cancel;
  {
    absl::MutexLock lock(&mutex_);
    shut_down_ = true;
    to_cancel = outstanding_;
  }
  // Outside the lock: a cancelled call's callback may run inline and release its context.
  for (const auto& context : to_cancel) context->TryCancel();
  to_cancel.clear();
  absl::MutexLock lock(&mutex_);
  // Every completion posts to the cluster and then releases its context: once none is left,
  // no callback of ours can touch the cluster any more.
  mutex_.Await(absl::Condition(
      +[](std::vector<std::shared_ptr<grpc::ClientContext>>* outstanding) {
        return outstanding->empty();
      },
      &outstanding_));
}

}  // namespace chaukas::upstream
