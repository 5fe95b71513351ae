#pragma once

#include "chaukas/spec/common/v1/query.pb.h"

namespace chaukas::ingest {

// What the gateway itself can promise, answered by GetCapabilities and
// GET /v1/capabilities while no upstream backend is configured: it ingests every event
// kind, policy decisions and data access included, but stores nothing queryable itself.
chaukas::spec::common::v1::Capabilities LocalCapabilities();

// The text of the QueryEvents / POST /v1/query refusal.
inline constexpr char kQueryNeedsUpstream[] =
    "QueryEvents needs an upstream Chaukas backend to query, and this gateway has none: it "
    "only writes to local file clusters. Query routing arrives with upstream clusters; until "
    "then, query the backend directly or read the file sink";

}  // namespace chaukas::ingest
