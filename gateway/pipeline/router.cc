#include "gateway/pipeline/router.h"

#include <algorithm>

#include "gateway/common/glob.h"

namespace chaukas::pipeline {
namespace {

bool MatchesTenantAndProject(const config::RouteMatch& match, std::string_view tenant,
                             std::string_view project) {
  return GlobMatch(match.tenant, tenant) && GlobMatch(match.project, project);
}

}  // namespace

const Route* Router::Match(const chaukas::spec::common::v1::Event& event) const {
  for (const Route& route : routes_) {
    const std::vector<int>& types = route.match.types;
    if (!types.empty() && std::find(types.begin(), types.end(), event.type()) == types.end()) {
      continue;
    }
    if (MatchesTenantAndProject(route.match, event.tenant_id(), event.project_id())) {
      return &route;
    }
  }
  return nullptr;
}

const Route* Router::MatchRead(std::string_view tenant, std::string_view project) const {
  for (const Route& route : routes_) {
    if (route.match.types.empty() && MatchesTenantAndProject(route.match, tenant, project)) {
      return &route;
    }
  }
  return nullptr;
}

}  // namespace chaukas::pipeline
