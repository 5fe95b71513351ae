#pragma once

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
//                                             rate limit: 429 + Retry-After
//   Unavailable          UNAVAILABLE          503
//   Unimplemented        UNIMPLEMENTED        501
//   DeadlineExceeded     DEADLINE_EXCEEDED    504
//   anything else        same code            500
grpc::Status ToGrpcStatus(const absl::Status& status);
void SetHttpError(const absl::Status& status, http::Response& response);

}  // namespace chaukas::ingest
