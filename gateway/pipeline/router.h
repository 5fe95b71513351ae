#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "chaukas/spec/common/v1/events.pb.h"
#include "config/gateway_config.h"
#include "gateway/stats/stats_store.h"

namespace chaukas::upstream {
class Cluster;
}

namespace chaukas::pipeline {

struct Route {
  std::string name;
  config::RouteMatch match;
  upstream::Cluster* cluster = nullptr;     // owned by the cluster manager
  std::vector<upstream::Cluster*> mirrors;  // get a copy; their failures never fail this
  config::StatsSource stats = config::StatsSource::kLocal;
  stats::Counter* events_matched = nullptr;  // route.events_matched{route}
};

// Picks the route of each event: the first (in config order) whose tenant and project globs
// and event types match it. Immutable; safe from any thread.
class Router {
 public:
  explicit Router(std::vector<Route> routes) : routes_(std::move(routes)) {}

  // nullptr when no route matches.
  const Route* Match(const chaukas::spec::common::v1::Event& event) const;

  // The route a read (QueryEvents, GetEventStats, GetCapabilities) for this tenant and
  // project goes to: the first route matching them that is not limited to some event types
  // (a read is not an event of any one type). nullptr when none.
  const Route* MatchRead(std::string_view tenant, std::string_view project) const;

 private:
  std::vector<Route> routes_;
};

}  // namespace chaukas::pipeline
