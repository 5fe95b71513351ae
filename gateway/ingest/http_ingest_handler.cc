#include "gateway/ingest/http_ingest_handler.h"

#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "chaukas/spec/client/v1/client.pb.h"
#include "gateway/codec/json_decoder.h"
#include "gateway/codec/json_writer.h"
#include "gateway/common/json_escape.h"
#include "gateway/common/strings.h"
#include "gateway/ingest/status_mapping.h"

namespace chaukas::ingest {
namespace {

namespace beast_http = boost::beast::http;
namespace client_v1 = chaukas::spec::client::v1;
namespace common_v1 = chaukas::spec::common::v1;

// The OpenAPI contract's bounds for POST /v1/query.
constexpr int32_t kDefaultPageSize = 100;
constexpr int32_t kMaxPageSize = 1000;
using chaukas::spec::common::v1::Event;
using chaukas::spec::common::v1::EventBatch;

enum class BodyFormat { kJson, kProtobuf };

struct Route {
  std::string_view path;
  beast_http::verb method;
};

constexpr Route kRoutes[] = {
    {"/healthz", beast_http::verb::get},    {"/v1/capabilities", beast_http::verb::get},
    {"/v1/events", beast_http::verb::post}, {"/v1/events/batch", beast_http::verb::post},
    {"/v1/query", beast_http::verb::post},
};

const Route* FindRoute(std::string_view path) {
  for (const Route& route : kRoutes) {
    if (route.path == path) return &route;
  }
  return nullptr;
}

std::string_view PathOf(const http::Request& request) {
  std::string_view target(request.target().data(), request.target().size());
  return target.substr(0, target.find('?'));
}

std::string HeaderValue(const http::Request& request, beast_http::field field) {
  auto found = request.find(field);
  return found == request.end() ? "" : std::string(found->value());
}

std::string HeaderValue(const http::Request& request, std::string_view name) {
  auto found = request.find(boost::beast::string_view(name.data(), name.size()));
  return found == request.end() ? "" : std::string(found->value());
}

std::optional<BodyFormat> FormatOf(std::string_view content_type) {
  std::string media_type(content_type.substr(0, content_type.find(';')));
  media_type = absl::AsciiStrToLower(absl::StripAsciiWhitespace(media_type));
  if (media_type == "application/json") return BodyFormat::kJson;
  if (media_type == "application/x-protobuf" || media_type == "application/protobuf") {
    return BodyFormat::kProtobuf;
  }
  return std::nullopt;
}

void SetJsonBody(beast_http::status status, std::string body, http::Response& response) {
  response.result(status);
  response.set(beast_http::field::content_type, "application/json");
  response.body() = std::move(body);
}

pipeline::RequestContext MakeRequestContext(const http::Request& request,
                                            const http::ConnectionInfo& connection) {
  pipeline::RequestContext context;
  context.protocol = pipeline::Protocol::kHttp;
  context.api = pipeline::IngestApi::kHttp;
  context.peer = connection.peer;
  context.authorization = HeaderValue(request, beast_http::field::authorization);
  context.api_key = HeaderValue(request, "x-api-key");
  context.user_agent = HeaderValue(request, beast_http::field::user_agent);
  const http::PeerCertificate& certificate = connection.certificate;
  context.certificate = {certificate.verified, certificate.subject, certificate.dns_names,
                         certificate.uris};
  context.received_at = absl::Now();
  return context;
}

// Decodes the body into the batch. Returns where events sit in the body, for error paths
// ("" for a bare Event, "event" inside IngestEventRequest, "events" in an EventBatch...).
absl::StatusOr<std::string> DecodeProtobuf(std::string_view body, bool is_batch,
                                           pipeline::IngestBatch& batch) {
  const auto size = static_cast<int>(body.size());
  if (is_batch) {
    auto* request = batch.Create<client_v1::IngestEventBatchRequest>();
    if (!request->ParseFromArray(body.data(), size)) {
      return absl::InvalidArgumentError(
          "body is not a valid chaukas.spec.client.v1.IngestEventBatchRequest "
          "(truncated or corrupt protobuf)");
    }
    batch.AddEvents(request->mutable_event_batch());
    return std::string("event_batch.events");
  }
  auto* request = batch.Create<client_v1::IngestEventRequest>();
  if (!request->ParseFromArray(body.data(), size)) {
    return absl::InvalidArgumentError(
        "body is not a valid chaukas.spec.client.v1.IngestEventRequest "
        "(truncated or corrupt protobuf)");
  }
  if (!request->has_event()) return absl::InvalidArgumentError("event: is required");
  batch.AddEvent(request->mutable_event());
  return std::string("event");
}

// One decoder per I/O thread keeps simdjson's buffers warm.
codec::JsonDecoder& ThreadDecoder() {
  thread_local codec::JsonDecoder decoder;
  return decoder;
}

absl::StatusOr<std::string> DecodeJson(std::string_view body, bool is_batch,
                                       const codec::JsonDecodeOptions& options,
                                       pipeline::IngestBatch& batch) {
  codec::JsonDecoder& decoder = ThreadDecoder();
  if (absl::Status status = decoder.Parse(body); !status.ok()) return status;
  if (is_batch) {
    if (decoder.RootHasKey("event_batch") || decoder.RootHasKey("eventBatch")) {
      auto* request = batch.Create<client_v1::IngestEventBatchRequest>();
      if (absl::Status status = decoder.Decode(*request, options); !status.ok()) return status;
      batch.AddEvents(request->mutable_event_batch());
      return std::string("event_batch.events");
    }
    if (!decoder.RootHasKey("events")) {
      return absl::InvalidArgumentError("events: is required (the body is one EventBatch)");
    }
    auto* events = batch.Create<EventBatch>();
    if (absl::Status status = decoder.Decode(*events, options); !status.ok()) return status;
    batch.AddEvents(events);
    return std::string("events");
  }
  if (decoder.RootHasKey("event")) {
    auto* request = batch.Create<client_v1::IngestEventRequest>();
    if (absl::Status status = decoder.Decode(*request, options); !status.ok()) return status;
    if (!request->has_event()) return absl::InvalidArgumentError("event: is required");
    batch.AddEvent(request->mutable_event());
    return std::string("event");
  }
  auto* event = batch.Create<Event>();
  if (absl::Status status = decoder.Decode(*event, options); !status.ok()) return status;
  batch.AddEvent(event);
  return std::string();
}

// The body of POST /v1/query, with the OpenAPI contract's rules: `filter` is required,
// page_size defaults to 100 and may not pass 1000, order_by_time defaults to DESC.
absl::StatusOr<common_v1::QueryRequest> DecodeQuery(const http::Request& request) {
  if (FormatOf(HeaderValue(request, beast_http::field::content_type)) != BodyFormat::kJson) {
    return absl::InvalidArgumentError("POST /v1/query takes Content-Type: application/json");
  }
  codec::JsonDecoder& decoder = ThreadDecoder();
  if (absl::Status status = decoder.Parse(request.body()); !status.ok()) return status;
  if (!decoder.RootHasKey("filter")) return absl::InvalidArgumentError("filter: is required");
  common_v1::QueryRequest query;
  if (absl::Status status = decoder.Decode(query); !status.ok()) return status;
  if (query.page_size() < 0 || query.page_size() > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat("page_size: must be between 1 and ",
                                                   kMaxPageSize, ", got ", query.page_size()));
  }
  if (query.page_size() == 0) query.set_page_size(kDefaultPageSize);
  if (query.order_by_time() == common_v1::SORT_ORDER_UNSPECIFIED) {
    query.set_order_by_time(common_v1::SORT_ORDER_DESC);
  }
  return query;
}

// Answers a read through `responder`: 200 with the message as JSON, or the error. (The read
// callback must be copyable, so the move-only responder is shared.)
template <typename Message>
upstream::ReadCallback<Message> AnswerJson(http::Responder responder) {
  return [responder = std::make_shared<http::Responder>(std::move(responder))](
             absl::StatusOr<Message> result) {
    http::Response answer;
    if (result.ok()) {
      SetJsonBody(beast_http::status::ok, codec::ToJson(*result), answer);
    } else {
      SetHttpError(result.status(), answer);
    }
    std::move(*responder).Send(std::move(answer));
  };
}

std::string AcceptedBody(const IngestOutcome& outcome) {
  std::string body =
      absl::StrCat("{\"accepted_count\":", outcome.accepted,
                   ",\"rejected_count\":", outcome.rejected.size(), ",\"rejected_events\":[");
  for (size_t i = 0; i < outcome.rejected.size(); ++i) {
    const RejectedEvent& rejection = outcome.rejected[i];
    absl::StrAppend(&body, i == 0 ? "" : ",", "{\"index\":", rejection.index, ",\"event_id\":");
    AppendJsonString(rejection.event_id, body);
    body += ",\"reason\":";
    AppendJsonString(rejection.reason, body);
    body += '}';
  }
  body += "]}";
  return body;
}

}  // namespace

HttpIngestHandler::HttpIngestHandler(const IngestHandler& ingest, const ReadPaths& reads,
                                     const config::HttpListenerConfig& config)
    : ingest_(ingest),
      reads_(reads),
      ignore_unknown_json_fields_(config.ignore_unknown_json_fields) {}

void HttpIngestHandler::Handle(const http::Request& request,
                               const http::ConnectionInfo& /*connection*/,
                               http::Response& response) {
  const std::string_view path = PathOf(request);
  const Route* route = FindRoute(path);
  if (route == nullptr) {
    http::SetJsonError(response, beast_http::status::not_found,
                       absl::StrCat("no route for ", ToAbsl(path),
                                    "; the API serves /healthz, /v1/capabilities, /v1/events, "
                                    "/v1/events/batch, /v1/query"));
    return;
  }
  if (request.method() != route->method) {
    const std::string allowed(beast_http::to_string(route->method));
    http::SetJsonError(response, beast_http::status::method_not_allowed,
                       absl::StrCat(ToAbsl(path), " accepts only ", allowed));
    response.set(beast_http::field::allow, allowed);
    return;
  }
  SetJsonBody(beast_http::status::ok, "{\"status\":\"ok\"}", response);  // /healthz
}

void HttpIngestHandler::HandleAsync(http::Request request, const http::ConnectionInfo& connection,
                                    http::Responder responder) {
  const std::string_view path = PathOf(request);
  const Route* route = FindRoute(path);
  if (route == nullptr || request.method() != route->method || path == "/healthz") {
    return RequestHandler::HandleAsync(std::move(request), connection, std::move(responder));
  }
  if (path == "/v1/capabilities")
    return HandleCapabilities(request, connection, std::move(responder));
  if (path == "/v1/query") return HandleQuery(request, connection, std::move(responder));
  HandleIngest(request, connection, path == "/v1/events/batch", std::move(responder));
}

void HttpIngestHandler::HandleIngest(const http::Request& request,
                                     const http::ConnectionInfo& connection, bool is_batch,
                                     http::Responder responder) const {
  http::Response response;
  const std::string content_type = HeaderValue(request, beast_http::field::content_type);
  const std::optional<BodyFormat> format = FormatOf(content_type);
  if (!format) {
    http::SetJsonError(response, beast_http::status::unsupported_media_type,
                       absl::StrCat("unsupported Content-Type \"", content_type,
                                    "\"; send application/json or application/x-protobuf"));
    return std::move(responder).Send(std::move(response));
  }
  pipeline::IngestBatch batch(MakeRequestContext(request, connection));
  const std::string_view body = request.body();
  codec::JsonDecodeOptions options;
  options.ignore_unknown_fields = ignore_unknown_json_fields_;
  absl::StatusOr<std::string> events_path = *format == BodyFormat::kProtobuf
                                                ? DecodeProtobuf(body, is_batch, batch)
                                                : DecodeJson(body, is_batch, options, batch);
  if (!events_path.ok()) {
    SetHttpError(events_path.status(), response);
    return std::move(responder).Send(std::move(response));
  }
  ingest_.Process(batch, [is_batch, events_path = *std::move(events_path),
                          responder = std::move(responder)](IngestOutcome outcome) mutable {
    http::Response answer;
    if (!outcome.status.ok()) {
      SetHttpError(outcome.status, answer);
    } else if (outcome.accepted == 0 && !outcome.rejected.empty()) {
      const std::string message =
          is_batch ? absl::StrCat("all ", outcome.rejected.size(), " events rejected: ",
                                  SummarizeRejections(outcome.rejected, events_path))
                   : absl::StrCat(events_path.empty() ? "" : absl::StrCat(events_path, "."),
                                  outcome.rejected.front().reason);
      http::SetJsonError(answer, beast_http::status::bad_request, message);
    } else {
      SetJsonBody(beast_http::status::accepted, AcceptedBody(outcome), answer);
    }
    std::move(responder).Send(std::move(answer));
  });
}

void HttpIngestHandler::HandleQuery(const http::Request& request,
                                    const http::ConnectionInfo& connection,
                                    http::Responder responder) const {
  http::Response response;
  absl::StatusOr<common_v1::QueryRequest> query = DecodeQuery(request);
  if (!query.ok()) {
    SetHttpError(query.status(), response);
    return std::move(responder).Send(std::move(response));
  }
  pipeline::RequestContext read = MakeRequestContext(request, connection);
  reads_.QueryEvents(read, *std::move(query),
                     AnswerJson<common_v1::QueryResponse>(std::move(responder)));
}

void HttpIngestHandler::HandleCapabilities(const http::Request& request,
                                           const http::ConnectionInfo& connection,
                                           http::Responder responder) const {
  pipeline::RequestContext read = MakeRequestContext(request, connection);
  reads_.GetCapabilities(read, AnswerJson<common_v1::Capabilities>(std::move(responder)));
}

}  // namespace chaukas::ingest
