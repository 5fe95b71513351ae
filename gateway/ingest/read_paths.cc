#include "gateway/ingest/read_paths.h"

#include "absl/strings/str_cat.h"
#include "gateway/common/strings.h"

namespace chaukas::ingest {

namespace common_v1 = chaukas::spec::common::v1;
namespace server_v1 = chaukas::spec::server::v1;

absl::StatusOr<const pipeline::Route*> ReadPaths::RouteFor(std::string_view tenant,
                                                           std::string_view project) const {
  const pipeline::Route* route = router_.MatchRead(tenant, project);
  if (route == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no route matches tenant_id \"", ToAbsl(tenant), "\", project_id \"",
                     ToAbsl(project), "\" (routes limited to event types are not used for reads)"));
  }
  return route;
}

void ReadPaths::QueryEvents(pipeline::RequestContext& context, common_v1::QueryRequest request,
                            upstream::ReadCallback<common_v1::QueryResponse> done) const {
  filters::ReadRequest read{filters::ReadKind::kQuery,
                            request.mutable_filter()->mutable_tenant_id(),
                            request.mutable_filter()->mutable_project_id()};
  if (absl::Status allowed = chain_.OnRead(context, read); !allowed.ok()) return done(allowed);
  absl::StatusOr<const pipeline::Route*> route =
      RouteFor(request.filter().tenant_id(), request.filter().project_id());
  if (!route.ok()) return done(route.status());
  (*route)->cluster->QueryEvents(request, std::move(done));
}

void ReadPaths::GetCapabilities(pipeline::RequestContext& context,
                                upstream::ReadCallback<common_v1::Capabilities> done) const {
  filters::ReadRequest read{filters::ReadKind::kCapabilities, nullptr, nullptr};
  if (absl::Status allowed = chain_.OnRead(context, read); !allowed.ok()) return done(allowed);
  absl::StatusOr<const pipeline::Route*> route = RouteFor("", "");
  if (!route.ok()) return done(route.status());
  (*route)->cluster->GetCapabilities(std::move(done));
}

void ReadPaths::GetEventStats(pipeline::RequestContext& context,
                              server_v1::GetEventStatsRequest request,
                              upstream::ReadCallback<server_v1::GetEventStatsResponse> done) const {
  filters::ReadRequest read{filters::ReadKind::kStats, request.mutable_tenant_id(),
                            request.mutable_project_id()};
  if (absl::Status allowed = chain_.OnRead(context, read); !allowed.ok()) return done(allowed);
  const pipeline::Route* route = router_.MatchRead(request.tenant_id(), request.project_id());
  if (route != nullptr && route->stats == config::StatsSource::kUpstream) {
    return route->cluster->GetEventStats(request, std::move(done));
  }
  done(aggregates_.Query(request));
}

}  // namespace chaukas::ingest
