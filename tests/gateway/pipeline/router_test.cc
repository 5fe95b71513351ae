#include "gateway/pipeline/router.h"

#include "gtest/gtest.h"

namespace chaukas::pipeline {
namespace {

namespace v1 = chaukas::spec::common::v1;

// Routes only compare cluster pointers; these stand in for real clusters.
upstream::Cluster* const kAcme = reinterpret_cast<upstream::Cluster*>(0x1);
upstream::Cluster* const kErrors = reinterpret_cast<upstream::Cluster*>(0x2);
upstream::Cluster* const kLocal = reinterpret_cast<upstream::Cluster*>(0x3);

v1::Event MakeEvent(std::string tenant, std::string project, v1::EventType type) {
  v1::Event event;
  event.set_tenant_id(std::move(tenant));
  event.set_project_id(std::move(project));
  event.set_type(type);
  return event;
}

Route RouteTo(config::RouteMatch match, upstream::Cluster* cluster) {
  Route route;
  route.match = std::move(match);
  route.cluster = cluster;
  return route;
}

Router MakeRouter() {
  config::RouteMatch errors;
  errors.types = {v1::EVENT_TYPE_ERROR};
  config::RouteMatch acme;
  acme.tenant = "acme";
  acme.project = "shop-*";
  return Router({RouteTo(errors, kErrors), RouteTo(acme, kAcme), RouteTo({}, kLocal)});
}

TEST(RouterTest, FirstMatchingRouteWins) {
  const Router router = MakeRouter();
  EXPECT_EQ(router.Match(MakeEvent("acme", "shop-eu", v1::EVENT_TYPE_ERROR))->cluster, kErrors);
  EXPECT_EQ(router.Match(MakeEvent("acme", "shop-eu", v1::EVENT_TYPE_SESSION_START))->cluster,
            kAcme);
}

TEST(RouterTest, TenantAndProjectAreGlobs) {
  const Router router = MakeRouter();
  EXPECT_EQ(router.Match(MakeEvent("acme", "support", v1::EVENT_TYPE_SYSTEM))->cluster, kLocal);
  EXPECT_EQ(router.Match(MakeEvent("acme2", "shop-eu", v1::EVENT_TYPE_SYSTEM))->cluster, kLocal);
}

TEST(RouterTest, NoMatchingRouteGivesNull) {
  config::RouteMatch only_acme;
  only_acme.tenant = "acme";
  const Router router({RouteTo(only_acme, kAcme)});
  EXPECT_EQ(router.Match(MakeEvent("other", "", v1::EVENT_TYPE_SYSTEM)), nullptr);
}

TEST(RouterTest, ReadsSkipRoutesLimitedToEventTypes) {
  const Router router = MakeRouter();
  EXPECT_EQ(router.MatchRead("acme", "shop-eu")->cluster, kAcme);
  EXPECT_EQ(router.MatchRead("other", "")->cluster, kLocal);
  config::RouteMatch only_acme;
  only_acme.tenant = "acme";
  EXPECT_EQ(Router({RouteTo(only_acme, kAcme)}).MatchRead("other", ""), nullptr);
}

}  // namespace
}  // namespace chaukas::pipeline
