#include "gateway/admin/admin_handler.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chaukas::admin {
namespace {

namespace beast_http = boost::beast::http;
using ::testing::HasSubstr;

class AdminHandlerTest : public ::testing::Test {
 protected:
  http::Response Get(const std::string& target, beast_http::verb method = beast_http::verb::get) {
    http::Request request{method, target, 11};
    http::Response response;
    handler_.Handle(request, {"127.0.0.1:1"}, response);
    return response;
  }

  stats::StatsStore stats_;
  Readiness readiness_;
  AdminHandler handler_{stats_, readiness_, "listeners: {}\n",
                        [] { return std::string("local::protocol::file\n"); }};
};

TEST_F(AdminHandlerTest, ServesStatsInBothFormats) {
  stats_.GetCounter("cluster.events_written", {{"cluster", "local"}}).Inc(3);
  EXPECT_THAT(Get("/stats").body(), HasSubstr("cluster.local.events_written: 3"));
  const http::Response prometheus = Get("/stats/prometheus");
  EXPECT_THAT(prometheus.body(),
              HasSubstr("chaukas_cluster_events_written_total{cluster=\"local\"} 3"));
  EXPECT_THAT(std::string(prometheus[beast_http::field::content_type]), HasSubstr("version=0.0.4"));
}

TEST_F(AdminHandlerTest, ReadyFollowsReadiness) {
  EXPECT_EQ(Get("/ready").result(), beast_http::status::service_unavailable);
  readiness_.Set(true);
  EXPECT_EQ(Get("/ready").result(), beast_http::status::ok);
  EXPECT_EQ(Get("/healthz").result(), beast_http::status::ok);
}

TEST_F(AdminHandlerTest, ServesConfigDumpClustersAndIndex) {
  EXPECT_EQ(Get("/config_dump").body(), "listeners: {}\n");
  EXPECT_EQ(Get("/clusters").body(), "local::protocol::file\n");
  EXPECT_THAT(Get("/").body(), HasSubstr("/stats/prometheus"));
}

TEST_F(AdminHandlerTest, UnknownPageIs404AndWrongMethodIs405) {
  EXPECT_EQ(Get("/nope").result(), beast_http::status::not_found);
  const http::Response response = Get("/stats", beast_http::verb::post);
  EXPECT_EQ(response.result(), beast_http::status::method_not_allowed);
  EXPECT_EQ(response[beast_http::field::allow], "GET");
}

}  // namespace
}  // namespace chaukas::admin
