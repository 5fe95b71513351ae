#pragma once

#include <string_view>

#include "filters/filter_chain.h"
#include "gateway/pipeline/request_context.h"
#include "gateway/pipeline/router.h"
#include "gateway/stats/event_aggregates.h"
#include "gateway/upstream/cluster.h"

namespace chaukas::ingest {

// Answers the read APIs (QueryEvents, GetCapabilities, GetEventStats) for both front ends.
// First the filters' read hooks (tenant_auth confines a read to the principal's tenant and
// projects); then each goes to the cluster that its tenant and project route to
// (Router::MatchRead), which passes it through to its upstream; GetEventStats is answered from
// the gateway's own aggregates unless the route says `stats: upstream`. Callbacks may run on a
// cluster thread.
class ReadPaths {
 public:
  ReadPaths(const filters::FilterChain& chain, const pipeline::Router& router,
            const stats::EventAggregates& aggregates)
      : chain_(chain), router_(router), aggregates_(aggregates) {}

  void QueryEvents(pipeline::RequestContext& context,
                   chaukas::spec::common::v1::QueryRequest request,
                   upstream::ReadCallback<chaukas::spec::common::v1::QueryResponse> done) const;
  // The capabilities of the backend behind the default route (the first route matching an
  // empty tenant and project).
  void GetCapabilities(pipeline::RequestContext& context,
                       upstream::ReadCallback<chaukas::spec::common::v1::Capabilities> done) const;
  void GetEventStats(
      pipeline::RequestContext& context, chaukas::spec::server::v1::GetEventStatsRequest request,
      upstream::ReadCallback<chaukas::spec::server::v1::GetEventStatsResponse> done) const;

 private:
  // The route for the tenant and project, or NotFound naming them.
  absl::StatusOr<const pipeline::Route*> RouteFor(std::string_view tenant,
                                                  std::string_view project) const;

  const filters::FilterChain& chain_;
  const pipeline::Router& router_;
  const stats::EventAggregates& aggregates_;
};

}  // namespace chaukas::ingest
