#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gateway/http/http_server.h"
#include "grpcpp/support/status.h"

namespace chaukas::ingest {

// The one place where a pipeline status becomes a client's answer.
//
//   absl code            gRPC                 HTTP
//   InvalidArgument      INVALID_ARGUMENT     400
//   Unauthenticated      UNAUTHENTICATED      401 (+ WWW-Authenticate: Bearer)
//   PermissionDenied     PERMISSION_DENIED    403
//   ResourceExhausted    RESOURCE_EXHAUSTED   overload: 503 "high memory usage ...";
//                                             rate limit: 429 + Retry-After and
//                                             x-ratelimit-limit/-remaining/-reset (gRPC: the
//                                             same as trailing metadata)
//   Unavailable          UNAVAILABLE          503
//   Unimplemented        UNIMPLEMENTED        501
//   DeadlineExceeded     DEADLINE_EXCEEDED    504
//   anything else        same code            500
grpc::Status ToGrpcStatus(const absl::Status& status);
void SetHttpError(const absl::Status& status, http::Response& response);

// For a rate-limited status: retry-after (whole seconds, rounded up), retry-after-ms,
// x-ratelimit-limit, x-ratelimit-remaining and x-ratelimit-reset (seconds), as gRPC trailing
// metadata. Empty for any other status.
std::vector<std::pair<std::string, std::string>> RateLimitTrailers(const absl::Status& status);

}  // namespace chaukas::ingest
