#pragma once

#include "config/gateway_config.h"
#include "gateway/http/http_server.h"
#include "gateway/ingest/ingest_handler.h"
#include "gateway/ingest/read_paths.h"

namespace chaukas::ingest {

// The HTTP API of ../shared/spec/http.md on the HTTP listener:
//   GET  /healthz            200
//   GET  /v1/capabilities    200, JSON Capabilities of the backend behind the default route
//   POST /v1/events          202; body: one Event
//   POST /v1/events/batch    202; body: one EventBatch
//   POST /v1/query           200, JSON QueryResponse from the backend the query routes to
// Ingest bodies may be JSON (the OpenAPI shape or canonical proto3 JSON, also wrapped as
// {"event": ...} / {"event_batch": ...}) or application/x-protobuf as the real SDK sends
// them (IngestEventRequest / IngestEventBatchRequest).
//
// Answers: 202 with {"accepted_count","rejected_count","rejected_events":[{index,event_id,
// reason}]} when at least one event was accepted (or there were none); 400 naming the
// offending field path when the body cannot be decoded or every event was rejected; 415
// for other content types; 404/405 for other routes; pipeline refusals per
// status_mapping.h. Ingest (with sync clusters) and reads answer once their verdict is in.
class HttpIngestHandler final : public http::RequestHandler {
 public:
  HttpIngestHandler(const IngestHandler& ingest, const ReadPaths& reads,
                    const config::HttpListenerConfig& config);

  // The pages answered at once: /healthz, 404, 405.
  void Handle(const http::Request& request, const http::ConnectionInfo& connection,
              http::Response& response) override;
  void HandleAsync(http::Request request, const http::ConnectionInfo& connection,
                   http::Responder responder) override;

 private:
  void HandleIngest(const http::Request& request, const http::ConnectionInfo& connection,
                    bool is_batch, http::Responder responder) const;
  void HandleQuery(const http::Request& request, const http::ConnectionInfo& connection,
                   http::Responder responder) const;
  void HandleCapabilities(const http::Request& request, const http::ConnectionInfo& connection,
                          http::Responder responder) const;

  const IngestHandler& ingest_;
  const ReadPaths& reads_;
  const bool ignore_unknown_json_fields_;
};

}  // namespace chaukas::ingest
