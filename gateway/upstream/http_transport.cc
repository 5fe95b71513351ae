#include "gateway/upstream/http_transport.h"

#include <charconv>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/post.hpp"
#include "gateway/codec/json_decoder.h"
#include "gateway/codec/json_writer.h"
#include "gateway/common/strings.h"
#include "gateway/upstream/backoff.h"
#include "gateway/upstream/batch_encoding.h"
#include "simdjson.h"

namespace chaukas::upstream {
namespace {

namespace beast_http = boost::beast::http;
namespace common_v1 = chaukas::spec::common::v1;
namespace server_v1 = chaukas::spec::server::v1;

constexpr char kUserAgent[] = "chaukas-gateway/0.1.0";
constexpr size_t kMaxBodyInMessages = 512;

std::string Excerpt(std::string_view body) {
  return std::string(body.substr(0, kMaxBodyInMessages));
}

bool IsSuccess(const http::Response& response) {
  return response.result_int() >= 200 && response.result_int() < 300;
}

// What an HTTP answer means for an ingest call. A 2xx body may list refused events as the
// server API does ({"rejected_event_ids": [...]}); anything else in it is ignored.
CallResult IngestResult(const std::string& address, absl::StatusOr<http::Response> response) {
  CallResult result;
  if (!response.ok()) {
    result.status =
        absl::Status(response.status().code(),
                     absl::StrCat("upstream ", address, ": ", response.status().message()));
    result.retriable = true;  // connection errors and timeouts
    return result;
  }
  const int status = response->result_int();
  if (status < 200 || status >= 300) {
    result.retriable = IsRetriableHttpStatus(status);
    result.status = absl::UnavailableError(absl::StrCat("upstream ", address, " answered HTTP ",
                                                        status, ": ", Excerpt(response->body())));
    if (!result.retriable) {
      result.status = absl::FailedPreconditionError(result.status.message());
    }
    auto retry_after = response->find(beast_http::field::retry_after);
    if (retry_after != response->end()) {
      result.retry_after = ParseRetryAfter(
          std::string_view(retry_after->value().data(), retry_after->value().size()), absl::Now());
    }
    return result;
  }
  simdjson::dom::parser parser;
  simdjson::dom::array rejected;
  if (parser.parse(response->body()).get_object()["rejected_event_ids"].get_array().get(rejected) ==
      simdjson::SUCCESS) {
    for (simdjson::dom::element id : rejected) {
      std::string_view text;
      if (id.get_string().get(text) == simdjson::SUCCESS) {
        result.rejected_event_ids.emplace_back(text);
      }
    }
  }
  return result;
}

template <typename Message>
absl::StatusOr<Message> DecodeJsonAnswer(const std::string& address,
                                         absl::StatusOr<http::Response> response) {
  if (!response.ok()) return response.status();
  if (!IsSuccess(*response)) {
    return absl::UnavailableError(absl::StrCat("upstream ", address, " answered HTTP ",
                                               response->result_int(), ": ",
                                               Excerpt(response->body())));
  }
  codec::JsonDecoder decoder;
  Message message;
  absl::Status status = decoder.Parse(response->body());
  if (status.ok()) status = decoder.Decode(message, {.ignore_unknown_fields = true});
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("upstream ", address, " answered unreadable JSON: ", status.message()));
  }
  return message;
}

}  // namespace

HttpTransport::Endpoint HttpTransport::ParseEndpoint(const std::string& url) {
  Endpoint endpoint;
  endpoint.address = url;
  std::string_view rest = url;
  if (absl::StartsWith(ToAbsl(rest), "http://")) rest.remove_prefix(7);
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    endpoint.base_path = std::string(path);
  }
  const size_t colon = authority.rfind(':');
  endpoint.host = std::string(authority.substr(0, colon));
  if (endpoint.host.size() >= 2 && endpoint.host.front() == '[') {
    endpoint.host = endpoint.host.substr(1, endpoint.host.size() - 2);
  }
  const std::string_view port = authority.substr(colon + 1);
  std::from_chars(port.data(), port.data() + port.size(), endpoint.port);
  return endpoint;
}

HttpTransport::HttpTransport(const config::ClusterConfig& config, boost::asio::io_context& io)
    : headers_(config.upstream.headers),
      body_format_(config.upstream.body_format),
      io_(io),
      pool_(io,
            http::HttpClientOptions{static_cast<int>(config.upstream.max_connections_per_endpoint),
                                    absl::Milliseconds(config.upstream.timeout_ms)}) {
  for (const std::string& url : config.upstream.endpoints) endpoints_.push_back(ParseEndpoint(url));
}

HttpTransport::~HttpTransport() = default;

void HttpTransport::Call(size_t endpoint, beast_http::verb method, std::string_view path,
                         std::string_view content_type, std::string body, absl::Duration timeout,
                         std::function<void(absl::StatusOr<http::Response>)> done,
                         std::string_view tenant) {
  const Endpoint& target = endpoints_[endpoint];
  http::Request request{method, absl::StrCat(target.base_path, ToAbsl(path)), 11};
  request.set(beast_http::field::user_agent, kUserAgent);
  for (const config::Header& header : headers_) request.set(header.name, header.value);
  if (!tenant.empty()) {
    request.set("x-chaukas-tenant", boost::beast::string_view(tenant.data(), tenant.size()));
  }
  if (!content_type.empty()) {
    request.set(beast_http::field::content_type,
                boost::beast::string_view(content_type.data(), content_type.size()));
  }
  request.body() = std::move(body);
  pool_.Send(target.host, target.port, std::move(request), timeout, std::move(done));
}

void HttpTransport::SendBatch(size_t endpoint, const UpstreamBatch& batch, absl::Duration timeout,
                              std::function<void(CallResult)> done) {
  std::string body;
  std::string_view content_type = "application/x-protobuf";
  if (body_format_ == config::FileFormat::kJson) {
    absl::StatusOr<std::string> json = EncodeBatchJson(batch.id, absl::Now(), batch.events);
    if (!json.ok()) {
      done(CallResult{json.status(), false, std::nullopt, {}});
      return;
    }
    body = *std::move(json);
    content_type = "application/json";
  } else {
    body = EncodeBatchRequest(batch.id, absl::Now(), batch.events);
  }
  const std::string address = endpoints_[endpoint].address;
  Call(
      endpoint, beast_http::verb::post, "/v1/events/batch", content_type, std::move(body), timeout,
      [address, done = std::move(done)](absl::StatusOr<http::Response> response) {
        done(IngestResult(address, std::move(response)));
      },
      batch.tenant);
}

void HttpTransport::CheckHealth(size_t endpoint, absl::Duration timeout,
                                std::function<void(bool healthy)> done) {
  Call(endpoint, beast_http::verb::get, "/healthz", "", "", timeout,
       [done = std::move(done)](absl::StatusOr<http::Response> response) {
         done(response.ok() && IsSuccess(*response));
       });
}

void HttpTransport::QueryEvents(size_t endpoint, const common_v1::QueryRequest& request,
                                absl::Duration timeout,
                                ReadCallback<common_v1::QueryResponse> done) {
  const std::string address = endpoints_[endpoint].address;
  Call(endpoint, beast_http::verb::post, "/v1/query", "application/json", codec::ToJson(request),
       timeout, [address, done = std::move(done)](absl::StatusOr<http::Response> response) {
         done(DecodeJsonAnswer<common_v1::QueryResponse>(address, std::move(response)));
       });
}

void HttpTransport::GetCapabilities(size_t endpoint, absl::Duration timeout,
                                    ReadCallback<common_v1::Capabilities> done) {
  const std::string address = endpoints_[endpoint].address;
  Call(endpoint, beast_http::verb::get, "/v1/capabilities", "", "", timeout,
       [address, done = std::move(done)](absl::StatusOr<http::Response> response) {
         done(DecodeJsonAnswer<common_v1::Capabilities>(address, std::move(response)));
       });
}

void HttpTransport::GetEventStats(size_t /*endpoint*/,
                                  const server_v1::GetEventStatsRequest& /*request*/,
                                  absl::Duration /*timeout*/,
                                  ReadCallback<server_v1::GetEventStatsResponse> done) {
  done(absl::UnimplementedError(
      "the Chaukas HTTP API has no event stats route; use a grpc cluster for stats: upstream"));
}

void HttpTransport::Shutdown() {
  // The pool lives on the cluster's thread; its callbacks all run there, so shutting it down
  // there makes it fail what is pending, in order, before the thread ends.
  boost::asio::post(io_, [this] { pool_.Shutdown(); });
}

}  // namespace chaukas::upstream
