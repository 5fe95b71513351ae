#include "config/cluster_loader.h"

#include "config/loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace chaukas::config {
namespace {

using ::chaukas::testing::IsOk;
using ::chaukas::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::StatusOr<GatewayConfig> Load(const std::string& clusters, const std::string& routes) {
  return LoadConfigText("listeners: {grpc: {address: \"127.0.0.1:0\"}}\nclusters:\n" + clusters +
                            "routes:\n" + routes,
                        "gateway.yaml");
}

constexpr char kDefaultRoute[] = "  - {match: {}, cluster: acme}\n";

TEST(ClusterLoaderTest, GrpcClusterDefaults) {
  absl::StatusOr<GatewayConfig> config = Load(
      "  - {name: acme, protocol: grpc, endpoints: [\"10.0.0.5:50051\", \"10.0.0.6:50051\"]}\n",
      kDefaultRoute);
  ASSERT_THAT(config, IsOk());
  const ClusterConfig& cluster = config->clusters[0];
  EXPECT_EQ(cluster.protocol, ClusterProtocol::kGrpc);
  EXPECT_THAT(cluster.upstream.endpoints, ElementsAre("10.0.0.5:50051", "10.0.0.6:50051"));
  EXPECT_EQ(cluster.upstream.load_balancing, LoadBalancing::kRoundRobin);
  EXPECT_EQ(cluster.upstream.delivery, Delivery::kAsync);
  EXPECT_EQ(cluster.upstream.retry.max_attempts, 0);
  EXPECT_TRUE(cluster.upstream.health_check.enabled);
  EXPECT_EQ(cluster.batch.max_events, 500);
  EXPECT_FALSE(cluster.upstream.tls.enabled);
}

TEST(ClusterLoaderTest, ParsesEveryUpstreamOption) {
  testing::TempDir dir;
  const auto key_file = dir.WriteFile("upstream.key", "s3cret\n");
  absl::StatusOr<GatewayConfig> config = Load(
      "  - name: acme\n"
      "    protocol: http\n"
      "    endpoints: [\"http://backend:8080/chaukas\"]\n"
      "    load_balancing: session_hash\n"
      "    timeout_ms: 250\n"
      "    retry: {max_attempts: 4, initial_backoff_ms: 10, max_backoff_ms: 100, budget_percent: "
      "50,"
      " min_retry_concurrency: 1}\n"
      "    health_check: {interval_ms: 100, timeout_ms: 50, unhealthy_threshold: 2,"
      " healthy_threshold: 1}\n"
      "    outlier_detection: {consecutive_failures: 3, base_ejection_ms: 1000,"
      " max_ejection_ms: 5000, max_ejection_percent: 100}\n"
      "    circuit_breaker: {max_in_flight_batches: 7}\n"
      "    delivery: sync\n"
      "    sync_timeout_ms: 900\n"
      "    api_key_file: " +
          key_file.string() +
          "\n"
          "    metadata: {x-team: agents}\n"
          "    fairness: {tenant_weights: {gold: 3}}\n"
          "    format: json\n"
          "    max_connections_per_endpoint: 2\n"
          "    batch: {max_events: 50, max_bytes: 65536, max_delay_ms: 2}\n",
      kDefaultRoute);
  ASSERT_THAT(config, IsOk());
  const UpstreamConfig& upstream = config->clusters[0].upstream;
  EXPECT_EQ(upstream.load_balancing, LoadBalancing::kSessionHash);
  EXPECT_EQ(upstream.timeout_ms, 250);
  EXPECT_EQ(upstream.retry.max_attempts, 4);
  EXPECT_EQ(upstream.retry.budget_percent, 50);
  EXPECT_EQ(upstream.health_check.unhealthy_threshold, 2);
  EXPECT_EQ(upstream.outlier_detection.max_ejection_percent, 100);
  EXPECT_EQ(upstream.max_in_flight_batches, 7);
  EXPECT_EQ(upstream.delivery, Delivery::kSync);
  EXPECT_EQ(upstream.sync_timeout_ms, 900);
  ASSERT_EQ(upstream.headers.size(), 2u);
  EXPECT_EQ(upstream.headers[0].name, "authorization");
  EXPECT_EQ(upstream.headers[0].value, "Bearer s3cret");
  EXPECT_TRUE(upstream.headers[0].secret);
  EXPECT_EQ(upstream.headers[1].name, "x-team");
  EXPECT_FALSE(upstream.headers[1].secret);
  EXPECT_EQ(upstream.tenant_weights.size(), 1u);
  EXPECT_EQ(upstream.body_format, FileFormat::kJson);
  EXPECT_EQ(upstream.max_connections_per_endpoint, 2);
  EXPECT_EQ(config->clusters[0].batch.max_events, 50);
}

TEST(ClusterLoaderTest, KeysOfAnotherProtocolAreRejected) {
  EXPECT_THAT(
      Load("  - {name: acme, protocol: grpc, endpoints: [\"a:1\"], path: /tmp/x}\n", kDefaultRoute),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("clusters[0].path: unknown key \"path\"")));
  EXPECT_THAT(
      Load("  - {name: acme, protocol: http, endpoints: [\"a:1\"], tls: {}}\n", kDefaultRoute),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown key \"tls\"")));
}

TEST(ClusterLoaderTest, EndpointsAreCheckedPerProtocol) {
  EXPECT_THAT(Load("  - {name: acme, protocol: grpc, endpoints: [\"no-port\"]}\n", kDefaultRoute),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("clusters[0].endpoints[0]: \"no-port\" is not host:port")));
  EXPECT_THAT(
      Load("  - {name: acme, protocol: http, endpoints: [\"https://a:443\"]}\n", kDefaultRoute),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("https endpoints are not supported")));
  EXPECT_THAT(
      Load("  - {name: acme, protocol: grpc, endpoints: []}\n", kDefaultRoute),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs at least one endpoint")));
  EXPECT_THAT(
      Load("  - {name: acme, protocol: grpc, endpoints: [\"a:1\", \"a:1\"]}\n", kDefaultRoute),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("endpoint listed twice")));
}

TEST(ClusterLoaderTest, MissingSecretFileFailsTheLoad) {
  EXPECT_THAT(Load("  - {name: acme, protocol: grpc, endpoints: [\"a:1\"],"
                   " api_key_file: /nonexistent/key}\n",
                   kDefaultRoute),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("clusters[0].api_key_file: cannot read /nonexistent/key")));
}

TEST(ClusterLoaderTest, RoutesNameMirrorsAndStatsSource) {
  absl::StatusOr<GatewayConfig> config = Load(
      "  - {name: acme, protocol: grpc, endpoints: [\"a:1\"]}\n"
      "  - {name: archive, protocol: file, path: /tmp/archive.jsonl}\n",
      "  - {name: acme-route, match: {tenant: acme}, cluster: acme, mirror: [archive],"
      " stats: upstream}\n"
      "  - {match: {}, cluster: archive}\n");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->routes[0].name, "acme-route");
  EXPECT_THAT(config->routes[0].mirrors, ElementsAre("archive"));
  EXPECT_EQ(config->routes[0].stats, StatsSource::kUpstream);
  EXPECT_EQ(config->routes[1].name, "routes[1]");
}

TEST(ClusterLoaderTest, RouteErrorsNameTheProblem) {
  const std::string clusters =
      "  - {name: acme, protocol: grpc, endpoints: [\"a:1\"]}\n"
      "  - {name: archive, protocol: file, path: /tmp/archive.jsonl}\n";
  EXPECT_THAT(Load(clusters, "  - {match: {}, cluster: acme, mirror: [nowhere]}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("routes[0].mirror[0]: no cluster named \"nowhere\"")));
  EXPECT_THAT(Load(clusters, "  - {match: {}, cluster: acme, mirror: [acme]}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("the route's own cluster")));
  EXPECT_THAT(Load(clusters, "  - {match: {}, cluster: archive, stats: upstream}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("routes[0].stats: upstream stats need a grpc cluster")));
  EXPECT_THAT(Load(clusters,
                   "  - {name: r, match: {}, cluster: acme}\n"
                   "  - {name: r, match: {}, cluster: archive}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("routes[1].name: another route has this name")));
}

}  // namespace
}  // namespace chaukas::config
