#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace chaukas::pipeline {

enum class Protocol { kGrpc, kHttp };

// Which ingest API a request came through; decides the response shape.
enum class IngestApi { kClientService, kServerService, kHttp };

// Who a request acts for, once a credential has been verified. Filled by tenant_auth;
// empty (unauthenticated) without it.
struct Principal {
  bool authenticated = false;
  std::string tenant;
  std::vector<std::string> projects;  // globs
};

// Everything known about a request besides its events. Built by the ingest front end
// (gRPC or HTTP) before any filter runs; filters may add to it (the principal).
struct RequestContext {
  Protocol protocol = Protocol::kHttp;
  IngestApi api = IngestApi::kHttp;
  std::string peer;           // "127.0.0.1:53211"
  std::string authorization;  // raw "authorization" header/metadata; never logged
  std::string api_key;        // raw "x-api-key"; never logged
  std::string user_agent;
  absl::Time received_at;
  Principal principal;
};

}  // namespace chaukas::pipeline
