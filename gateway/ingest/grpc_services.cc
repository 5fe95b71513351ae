#include "gateway/ingest/grpc_services.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/common/host_port.h"
#include "gateway/common/strings.h"
#include "gateway/ingest/status_mapping.h"
#include "grpc/grpc_security_constants.h"

namespace chaukas::ingest {
namespace {

namespace common_v1 = chaukas::spec::common::v1;
using Method = GrpcIngestCore::Method;

constexpr std::array<std::string_view, static_cast<size_t>(Method::kCount)> kMethodNames = {
    "Healthz",          "GetCapabilities", "IngestEvent",
    "IngestEventBatch", "QueryEvents",     "GetEventStats"};

// gRPC metadata values must be printable ASCII; reasons quote client data.
constexpr size_t kMaxTrailerBytes = 4096;

std::string PrintableAscii(std::string_view text) {
  std::string out(text.substr(0, kMaxTrailerBytes));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7E) c = '?';
  }
  return out;
}

std::string Header(const grpc::CallbackServerContext& context, std::string_view key) {
  const auto& metadata = context.client_metadata();
  auto found = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (found == metadata.end()) return "";
  return std::string(found->second.data(), found->second.size());
}

std::string PeerAddress(const grpc::CallbackServerContext& context) {
  std::string peer = context.peer();  // "ipv4:127.0.0.1:5555" or "ipv6:[::1]:5555"
  for (std::string_view scheme : {"ipv4:", "ipv6:"}) {
    if (absl::StartsWith(peer, ToAbsl(scheme))) return peer.substr(scheme.size());
  }
  return peer;
}

std::vector<std::string> PropertyValues(const grpc::AuthContext& auth, const char* name) {
  std::vector<std::string> values;
  for (const grpc::string_ref& value : auth.FindPropertyValues(name)) {
    values.emplace_back(value.data(), value.size());
  }
  return values;
}

// The client certificate the TLS handshake verified. gRPC reports the subject in RFC 2253
// form (X509_NAME_print_ex with XN_FLAG_RFC2253), exactly as the HTTP listener writes it,
// so one certificate gives one subject on both listeners. A peer certificate is there only
// when the listener asked for one, and then only if it verified: the handshake fails
// otherwise (GRPC_SSL_*_AND_VERIFY).
pipeline::PeerCertificate VerifiedPeerCertificate(const grpc::CallbackServerContext& context) {
  pipeline::PeerCertificate certificate;
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr) return certificate;
  std::vector<std::string> subject = PropertyValues(*auth, GRPC_X509_SUBJECT_PROPERTY_NAME);
  if (subject.empty()) return certificate;
  certificate.verified = true;
  certificate.subject = std::move(subject.front());
  certificate.dns_names = PropertyValues(*auth, GRPC_PEER_DNS_PROPERTY_NAME);
  certificate.uris = PropertyValues(*auth, GRPC_PEER_URI_PROPERTY_NAME);
  return certificate;
}

pipeline::RequestContext MakeRequestContext(const grpc::CallbackServerContext& context,
                                            pipeline::IngestApi api) {
  pipeline::RequestContext request;
  request.protocol = pipeline::Protocol::kGrpc;
  request.api = api;
  request.peer = PeerAddress(context);
  request.authorization = Header(context, "authorization");
  request.api_key = Header(context, "x-api-key");
  request.user_agent = Header(context, "user-agent");
  request.certificate = VerifiedPeerCertificate(context);
  request.received_at = absl::Now();
  return request;
}

// Parses the raw request onto the batch's arena; nullptr (with `error` set) when the bytes
// are not a valid `Request`.
template <typename Request>
Request* ParseRequest(const grpc::ByteBuffer& raw, pipeline::IngestBatch& batch,
                      grpc::Status& error) {
  auto* request = batch.Create<Request>();
  grpc::ByteBuffer copy(raw);  // shares the slices; deserializing consumes the copy
  if (!grpc::SerializationTraits<Request>::Deserialize(&copy, request).ok()) {
    error = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                         absl::StrCat("request is not a valid ", Request::descriptor()->full_name(),
                                      " (truncated or corrupt protobuf)"));
    return nullptr;
  }
  return request;
}

template <typename Response>
void SerializeResponse(const Response& response, grpc::ByteBuffer& raw) {
  bool own_buffer = false;
  // Serializing our own well-formed message into a fresh buffer cannot fail.
  (void)grpc::SerializationTraits<Response>::Serialize(response, &raw, &own_buffer);
}

// The event of a raw IngestEventRequest (`Request` is either package's: same wire shape);
// nullptr with `error` set when the bytes do not parse, nullptr alone when there is no event.
template <typename Request>
pipeline::Event* ParseSingleEvent(const grpc::ByteBuffer& raw, pipeline::IngestBatch& batch,
                                  grpc::Status& error) {
  auto* request = ParseRequest<Request>(raw, batch, error);
  if (request == nullptr || !request->has_event()) return nullptr;
  return request->mutable_event();
}

// The batch of a raw IngestEventBatchRequest; nullptr with `error` set when it does not parse.
template <typename Request>
chaukas::spec::common::v1::EventBatch* ParseEventBatch(const grpc::ByteBuffer& raw,
                                                       pipeline::IngestBatch& batch,
                                                       grpc::Status& error) {
  auto* request = ParseRequest<Request>(raw, batch, error);
  return request == nullptr ? nullptr : request->mutable_event_batch();
}

void AddRejectionTrailers(grpc::CallbackServerContext& context, const IngestOutcome& outcome) {
  context.AddTrailingMetadata("chaukas-accepted-count", std::to_string(outcome.accepted));
  context.AddTrailingMetadata("chaukas-rejected-count", std::to_string(outcome.rejected.size()));
  context.AddTrailingMetadata("chaukas-rejected", PrintableAscii(SummarizeRejections(
                                                      outcome.rejected, "event_batch.events", 20)));
}

// The gRPC answer for a refused request, with a rate limit's facts as trailing metadata.
grpc::Status FailWith(grpc::CallbackServerContext& context, const absl::Status& status) {
  for (const auto& [name, value] : RateLimitTrailers(status)) {
    context.AddTrailingMetadata(name, value);
  }
  return ToGrpcStatus(status);
}

}  // namespace

GrpcMethodStats::GrpcMethodStats(stats::StatsStore& stats, std::string method)
    : stats_(stats),
      method_(std::move(method)),
      requests_(stats.GetCounter("listener.requests", {{"listener", "grpc"}, {"method", method_}})),
      duration_us_(stats.GetHistogram("listener.request_duration_us",
                                      {{"listener", "grpc"}, {"method", method_}})) {}

void GrpcMethodStats::Record(absl::Time started, const grpc::Status& status) const {
  requests_.Inc();
  duration_us_.Record(static_cast<uint64_t>(absl::ToInt64Microseconds(absl::Now() - started)));
  if (!status.ok()) {
    // Errors are rare: looking their counter up per call is fine.
    stats_
        .GetCounter("listener.grpc_errors", {{"listener", "grpc"},
                                             {"method", method_},
                                             {"code", std::to_string(status.error_code())}})
        .Inc();
  }
}

GrpcIngestCore::GrpcIngestCore(const IngestHandler& ingest, const ReadPaths& reads,
                               stats::StatsStore& stats)
    : ingest_(ingest), reads_(reads) {
  for (size_t i = 0; i < method_stats_.size(); ++i) {
    method_stats_[i] = std::make_unique<GrpcMethodStats>(stats, std::string(kMethodNames[i]));
  }
}

void GrpcIngestCore::Finish(grpc::ServerUnaryReactor* reactor, Method method, absl::Time started,
                            const grpc::Status& status) const {
  method_stats_[static_cast<size_t>(method)]->Record(started, status);
  reactor->Finish(status);
}

void GrpcIngestCore::IngestEvent(grpc::CallbackServerContext& context, const grpc::ByteBuffer& raw,
                                 pipeline::IngestApi api, server_v1::IngestEventResponse* response,
                                 StatusCallback done) {
  pipeline::IngestBatch batch(MakeRequestContext(context, api));
  grpc::Status error;
  pipeline::Event* event = api == pipeline::IngestApi::kServerService
                               ? ParseSingleEvent<server_v1::IngestEventRequest>(raw, batch, error)
                               : ParseSingleEvent<client_v1::IngestEventRequest>(raw, batch, error);
  if (!error.ok()) return done(error);
  if (event == nullptr) return done({grpc::StatusCode::INVALID_ARGUMENT, "event: is required"});
  batch.AddEvent(event);
  ingest_.Process(batch, [&context, response, event_id = event->event_id(),
                          done = std::move(done)](IngestOutcome outcome) {
    if (!outcome.status.ok()) return done(FailWith(context, outcome.status));
    if (!outcome.rejected.empty()) {
      return done({grpc::StatusCode::INVALID_ARGUMENT,
                   absl::StrCat("event rejected: event.", outcome.rejected.front().reason)});
    }
    if (response != nullptr) {
      response->set_event_id(event_id);
      response->set_status(outcome.dropped > 0 ? "dropped" : "accepted");
      response->set_processed_at(absl::ToUnixMillis(absl::Now()));
    }
    done(grpc::Status::OK);
  });
}

void GrpcIngestCore::IngestEventBatch(grpc::CallbackServerContext& context,
                                      const grpc::ByteBuffer& raw, pipeline::IngestApi api,
                                      server_v1::IngestEventBatchResponse* response,
                                      StatusCallback done) {
  pipeline::IngestBatch batch(MakeRequestContext(context, api));
  grpc::Status error;
  chaukas::spec::common::v1::EventBatch* events =
      api == pipeline::IngestApi::kServerService
          ? ParseEventBatch<server_v1::IngestEventBatchRequest>(raw, batch, error)
          : ParseEventBatch<client_v1::IngestEventBatchRequest>(raw, batch, error);
  if (events == nullptr) return done(error);
  batch.AddEvents(events);
  ingest_.Process(batch, [&context, response, batch_id = batch.batch_id(),
                          done = std::move(done)](IngestOutcome outcome) {
    if (!outcome.status.ok()) return done(FailWith(context, outcome.status));
    if (!outcome.rejected.empty()) AddRejectionTrailers(context, outcome);
    if (response != nullptr) {
      response->set_batch_id(batch_id);
      response->set_accepted_count(static_cast<int32_t>(outcome.accepted));
      response->set_rejected_count(static_cast<int32_t>(outcome.rejected.size()));
      for (const RejectedEvent& rejection : outcome.rejected) {
        // An event without an id is named by its position, so the client can still find it.
        response->add_rejected_event_ids(
            rejection.event_id.empty() ? absl::StrCat("event_batch.events[", rejection.index, "]")
                                       : rejection.event_id);
      }
      return done(grpc::Status::OK);
    }
    // The client service's response is empty: a batch with nothing accepted is an error,
    // a partly rejected one succeeds with the rejections in the trailers.
    if (outcome.accepted == 0 && !outcome.rejected.empty()) {
      return done({grpc::StatusCode::INVALID_ARGUMENT,
                   absl::StrCat("all ", outcome.rejected.size(), " events rejected: ",
                                SummarizeRejections(outcome.rejected, "event_batch.events"))});
    }
    done(grpc::Status::OK);
  });
}

namespace {

// Answers a typed read: the value into `response` and OK, or the error.
template <typename Value, typename Response>
upstream::ReadCallback<Value> FinishRead(const GrpcIngestCore& core,
                                         grpc::ServerUnaryReactor* reactor,
                                         GrpcIngestCore::Method method, absl::Time started,
                                         std::function<void(Value, Response*)> fill,
                                         Response* response) {
  return [&core, reactor, method, started, fill = std::move(fill),
          response](absl::StatusOr<Value> result) {
    if (!result.ok()) return core.Finish(reactor, method, started, ToGrpcStatus(result.status()));
    fill(*std::move(result), response);
    core.Finish(reactor, method, started, grpc::Status::OK);
  };
}

}  // namespace

// --- ChaukasClientService ---

grpc::ServerUnaryReactor* ClientService::Healthz(grpc::CallbackServerContext* context,
                                                 const client_v1::HealthzRequest*,
                                                 client_v1::HealthzResponse*) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  core_.Finish(reactor, Method::kHealthz, absl::Now(), grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* ClientService::GetCapabilities(
    grpc::CallbackServerContext* context, const client_v1::GetCapabilitiesRequest*,
    client_v1::GetCapabilitiesResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  pipeline::RequestContext read = MakeRequestContext(*context, pipeline::IngestApi::kClientService);
  core_.reads().GetCapabilities(
      read, FinishRead<common_v1::Capabilities, client_v1::GetCapabilitiesResponse>(
                core_, reactor, Method::kGetCapabilities, absl::Now(),
                [](common_v1::Capabilities value, client_v1::GetCapabilitiesResponse* out) {
                  *out->mutable_capabilities() = std::move(value);
                },
                response));
  return reactor;
}

grpc::ServerUnaryReactor* ClientService::IngestEvent(grpc::CallbackServerContext* context,
                                                     const grpc::ByteBuffer* request,
                                                     grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time started = absl::Now();
  core_.IngestEvent(*context, *request, pipeline::IngestApi::kClientService, nullptr,
                    [this, reactor, response, started](grpc::Status status) {
                      if (status.ok())
                        SerializeResponse(client_v1::IngestEventResponse(), *response);
                      core_.Finish(reactor, Method::kIngestEvent, started, status);
                    });
  return reactor;
}

grpc::ServerUnaryReactor* ClientService::IngestEventBatch(grpc::CallbackServerContext* context,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time started = absl::Now();
  core_.IngestEventBatch(*context, *request, pipeline::IngestApi::kClientService, nullptr,
                         [this, reactor, response, started](grpc::Status status) {
                           if (status.ok()) {
                             SerializeResponse(client_v1::IngestEventBatchResponse(), *response);
                           }
                           core_.Finish(reactor, Method::kIngestEventBatch, started, status);
                         });
  return reactor;
}

grpc::ServerUnaryReactor* ClientService::QueryEvents(grpc::CallbackServerContext* context,
                                                     const client_v1::QueryEventsRequest* request,
                                                     client_v1::QueryEventsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  pipeline::RequestContext read = MakeRequestContext(*context, pipeline::IngestApi::kClientService);
  core_.reads().QueryEvents(
      read, request->query(),
      FinishRead<common_v1::QueryResponse, client_v1::QueryEventsResponse>(
          core_, reactor, Method::kQueryEvents, absl::Now(),
          [](common_v1::QueryResponse value, client_v1::QueryEventsResponse* out) {
            *out->mutable_response() = std::move(value);
          },
          response));
  return reactor;
}

// --- ChaukasServerService ---

grpc::ServerUnaryReactor* ServerService::Healthz(grpc::CallbackServerContext* context,
                                                 const server_v1::HealthzRequest*,
                                                 server_v1::HealthzResponse*) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  core_.Finish(reactor, Method::kHealthz, absl::Now(), grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* ServerService::GetCapabilities(
    grpc::CallbackServerContext* context, const server_v1::GetCapabilitiesRequest*,
    server_v1::GetCapabilitiesResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  pipeline::RequestContext read = MakeRequestContext(*context, pipeline::IngestApi::kServerService);
  core_.reads().GetCapabilities(
      read, FinishRead<common_v1::Capabilities, server_v1::GetCapabilitiesResponse>(
                core_, reactor, Method::kGetCapabilities, absl::Now(),
                [](common_v1::Capabilities value, server_v1::GetCapabilitiesResponse* out) {
                  *out->mutable_capabilities() = std::move(value);
                },
                response));
  return reactor;
}

grpc::ServerUnaryReactor* ServerService::IngestEvent(grpc::CallbackServerContext* context,
                                                     const grpc::ByteBuffer* request,
                                                     grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time started = absl::Now();
  auto answer = std::make_shared<server_v1::IngestEventResponse>();
  core_.IngestEvent(*context, *request, pipeline::IngestApi::kServerService, answer.get(),
                    [this, reactor, response, answer, started](grpc::Status status) {
                      if (status.ok()) SerializeResponse(*answer, *response);
                      core_.Finish(reactor, Method::kIngestEvent, started, status);
                    });
  return reactor;
}

grpc::ServerUnaryReactor* ServerService::IngestEventBatch(grpc::CallbackServerContext* context,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time started = absl::Now();
  auto answer = std::make_shared<server_v1::IngestEventBatchResponse>();
  core_.IngestEventBatch(*context, *request, pipeline::IngestApi::kServerService, answer.get(),
                         [this, reactor, response, answer, started](grpc::Status status) {
                           if (status.ok()) SerializeResponse(*answer, *response);
                           core_.Finish(reactor, Method::kIngestEventBatch, started, status);
                         });
  return reactor;
}

grpc::ServerUnaryReactor* ServerService::QueryEvents(grpc::CallbackServerContext* context,
                                                     const server_v1::QueryEventsRequest* request,
                                                     server_v1::QueryEventsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  pipeline::RequestContext read = MakeRequestContext(*context, pipeline::IngestApi::kServerService);
  core_.reads().QueryEvents(
      read, request->query(),
      FinishRead<common_v1::QueryResponse, server_v1::QueryEventsResponse>(
          core_, reactor, Method::kQueryEvents, absl::Now(),
          [](common_v1::QueryResponse value, server_v1::QueryEventsResponse* out) {
            *out->mutable_response() = std::move(value);
          },
          response));
  return reactor;
}

grpc::ServerUnaryReactor* ServerService::GetEventStats(
    grpc::CallbackServerContext* context, const server_v1::GetEventStatsRequest* request,
    server_v1::GetEventStatsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  pipeline::RequestContext read = MakeRequestContext(*context, pipeline::IngestApi::kServerService);
  core_.reads().GetEventStats(
      read, *request,
      FinishRead<server_v1::GetEventStatsResponse, server_v1::GetEventStatsResponse>(
          core_, reactor, Method::kGetEventStats, absl::Now(),
          [](server_v1::GetEventStatsResponse value, server_v1::GetEventStatsResponse* out) {
            *out = std::move(value);
          },
          response));
  return reactor;
}

// --- GrpcListener ---

namespace {

grpc_ssl_client_certificate_request_type ClientCertificateRequest(
    config::ClientCertificateMode mode) {
  switch (mode) {
    case config::ClientCertificateMode::kNone:
      return GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
    case config::ClientCertificateMode::kOptional:
      return GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
    case config::ClientCertificateMode::kRequire:
      return GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
}

// gRPC's TLS is 1.2 or later by default, as on the HTTP listener.
std::shared_ptr<grpc::ServerCredentials> Credentials(const config::ListenerTlsConfig& tls) {
  if (!tls.enabled) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(ClientCertificateRequest(tls.client_certificate));
  if (tls.client_certificate != config::ClientCertificateMode::kNone) {
    options.pem_root_certs = tls.client_ca_pem;
  }
  options.pem_key_cert_pairs.push_back({tls.private_key_pem, tls.cert_chain_pem});
  return grpc::SslServerCredentials(options);
}

}  // namespace

GrpcListener::GrpcListener(config::GrpcListenerConfig config, const IngestHandler& ingest,
                           const ReadPaths& reads, stats::StatsStore& stats)
    : config_(std::move(config)),
      core_(ingest, reads, stats),
      client_service_(core_),
      server_service_(core_) {}
GrpcListener::~GrpcListener() { Shutdown(absl::ZeroDuration()); }

absl::Status GrpcListener::Start() {
  const std::string address = HostPort(config_.address.host, config_.address.port);
  int selected_port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, Credentials(config_.tls), &selected_port);
  if (config_.tls.enabled) {
    builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                               static_cast<int>(config_.tls.handshake_timeout_ms));
  }
  builder.SetMaxReceiveMessageSize(static_cast<int>(config_.max_message_bytes));
  // gRPC turns SO_REUSEPORT on by default, which would let a second gateway silently share
  // (and steal half of) this port. Binding must fail instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(&client_service_);
  builder.RegisterService(&server_service_);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || selected_port == 0) {
    server_.reset();
    return absl::UnavailableError(
        absl::StrCat("cannot listen for gRPC on ", address, " (address in use or not local?)"));
  }
  port_ = static_cast<uint16_t>(selected_port);
  return absl::OkStatus();
}

void GrpcListener::Shutdown(absl::Duration deadline) {
  if (server_ == nullptr) return;
  server_->Shutdown(absl::ToChronoTime(absl::Now() + deadline));
  server_->Wait();
  server_.reset();
}

}  // namespace chaukas::ingest
