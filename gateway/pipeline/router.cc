#include "gateway/pipeline/router.h"

#include <algorithm>

#include "gateway/common/glob.h"

namespace chaukas::pipeline {
namespace {

bool Matches(const config::RouteMatch& match, const chaukas::spec::common::v1::Event& event) {
  if (!match.types.empty() &&
      std::find(match.types.begin(), match.types.end(), event.type()) == match.types.end()) {
    return false;
  }
  return GlobMatch(match.tenant, event.tenant_id()) && GlobMatch(match.project, event.project_id());
}

}  // namespace

const Route* Router::Match(const chaukas::spec::common::v1::Event& event) const {
  for (const Route& route : routes_) {
    if (Matches(route.match, event)) return &route;
  }
  return nullptr;
}

}  // namespace chaukas::pipeline
