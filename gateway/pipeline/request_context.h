#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace chaukas::pipeline {

enum class Protocol { kGrpc, kHttp };

// Which ingest API a request came through; decides the response shape.
enum class IngestApi { kClientService, kServerService, kHttp };

// What a principal may do: bits of Principal::scopes.
enum Scope : uint8_t {
  kScopeIngest = 1,  // send events
  kScopeQuery = 2,   // QueryEvents
  kScopeStats = 4,   // GetEventStats
};

// Who a request acts for, once tenant_auth has verified its credential. Immutable and shared:
// an API key's principal is built when the keys load, and each of its requests points at it.
struct Principal {
  std::string credential;  // how it proved itself, for stats and logs: "api_key:ci", "jwt:<sub>"
  std::string tenant;
  std::vector<std::string> projects;  // globs
  uint8_t scopes = 0;                 // Scope bits
};

// The client certificate a TLS listener verified against its client CA; empty without one.
struct PeerCertificate {
  bool verified = false;
  std::string subject;                 // RFC 2253, e.g. "CN=agent-7,O=acme"
  std::vector<std::string> dns_names;  // subjectAltName DNS entries
  std::vector<std::string> uris;       // subjectAltName URI entries (SPIFFE IDs)
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
  PeerCertificate certificate;
  absl::Time received_at;
  std::shared_ptr<const Principal> principal;  // null until a credential is verified
};

}  // namespace chaukas::pipeline
