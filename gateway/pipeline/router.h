#pragma once

#include <string>
#include <vector>

#include "chaukas/spec/common/v1/events.pb.h"
#include "config/gateway_config.h"

namespace chaukas::upstream {
class Cluster;
}

namespace chaukas::pipeline {

struct Route {
  config::RouteMatch match;
  upstream::Cluster* cluster = nullptr;  // owned by the cluster manager
};

// Picks the cluster for each event: the first route (in config order) whose tenant and
// project globs and event types match the event. Immutable; safe from any thread.
class Router {
 public:
  explicit Router(std::vector<Route> routes) : routes_(std::move(routes)) {}

  // nullptr when no route matches.
  const Route* Match(const chaukas::spec::common::v1::Event& event) const;

 private:
  std::vector<Route> routes_;
};

}  // namespace chaukas::pipeline
