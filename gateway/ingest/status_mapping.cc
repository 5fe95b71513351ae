#include "gateway/ingest/status_mapping.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/pipeline/ingest_status.h"

namespace chaukas::ingest {
namespace {

namespace beast_http = boost::beast::http;

beast_http::status HttpStatusFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return beast_http::status::bad_request;
    case absl::StatusCode::kUnauthenticated:
      return beast_http::status::unauthorized;
    case absl::StatusCode::kPermissionDenied:
      return beast_http::status::forbidden;
    case absl::StatusCode::kNotFound:
      return beast_http::status::not_found;
    case absl::StatusCode::kResourceExhausted:
      return pipeline::IsOverload(status) ? beast_http::status::service_unavailable
                                          : beast_http::status::too_many_requests;
    case absl::StatusCode::kUnavailable:
      return beast_http::status::service_unavailable;
    case absl::StatusCode::kUnimplemented:
      return beast_http::status::not_implemented;
    case absl::StatusCode::kDeadlineExceeded:
      return beast_http::status::gateway_timeout;
    default:
      return beast_http::status::internal_server_error;
  }
}

// Whole seconds, rounded up: a client that waits this long is sure to find the tokens.
int64_t CeilSeconds(absl::Duration duration) {
  return static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(duration)));
}

// The rate limit's headers/trailers, in a fixed order.
std::vector<std::pair<std::string, std::string>> RateLimitFields(
    const pipeline::RateLimitInfo& info) {
  return {
      {"retry-after", std::to_string(std::max<int64_t>(1, CeilSeconds(info.retry_after)))},
      {"retry-after-ms", std::to_string(absl::ToInt64Milliseconds(info.retry_after))},
      {"x-ratelimit-limit", std::to_string(static_cast<int64_t>(std::floor(info.limit)))},
      {"x-ratelimit-remaining",
       std::to_string(static_cast<int64_t>(std::floor(std::max(0.0, info.remaining))))},
      {"x-ratelimit-reset", std::to_string(CeilSeconds(info.reset))},
  };
}

}  // namespace

std::vector<std::pair<std::string, std::string>> RateLimitTrailers(const absl::Status& status) {
  const std::optional<pipeline::RateLimitInfo> info = pipeline::RateLimitOf(status);
  if (!info) return {};
  return RateLimitFields(*info);
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

void SetHttpError(const absl::Status& status, http::Response& response) {
  std::string message(status.message());
  // The SDK halves its batch only when a 503's body says "high memory usage".
  if (pipeline::IsOverload(status) &&
      !absl::StrContains(absl::AsciiStrToLower(message), "high memory usage")) {
    message = absl::StrCat("high memory usage: ", message);
  }
  http::SetJsonError(response, HttpStatusFor(status), message);
  if (status.code() == absl::StatusCode::kUnauthenticated) {
    response.set(beast_http::field::www_authenticate, "Bearer");
  }
  if (std::optional<pipeline::RateLimitInfo> info = pipeline::RateLimitOf(status)) {
    for (const auto& [name, value] : RateLimitFields(*info)) {
      if (name != "retry-after-ms") response.set(name, value);  // HTTP says it in Retry-After
    }
  }
}

}  // namespace chaukas::ingest
