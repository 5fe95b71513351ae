// rate_limit in real gateway processes: answers over the limit (HTTP 429 and gRPC
// RESOURCE_EXHAUSTED with their headers and trailers), tenants kept apart, and limits shared
// by two gateways through a real redis-server, including what happens when Redis dies.

#include <algorithm>
#include <atomic>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "chaukas/spec/client/v1/client.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/integration/integration_support.h"
#include "tests/support/http_test_client.h"
#include "tests/support/redis_server_process.h"
#include "tests/support/wait_until.h"

namespace chaukas::testing {
namespace {

namespace client_v1 = chaukas::spec::client::v1;
using ::testing::HasSubstr;

// DefaultTestConfig with a rate_limit filter configured by `config` (indented for `config:`).
std::string ConfigWithRateLimit(const std::string& config) {
  return ReplaceOnce(DefaultTestConfig(), "  - name: validate\n",
                     "  - name: validate\n  - name: rate_limit\n    config:\n" + config);
}

std::unique_ptr<GatewayProcess> StartGateway(const std::string& config) {
  absl::StatusOr<std::unique_ptr<GatewayProcess>> gateway = GatewayProcess::Start(config);
  EXPECT_TRUE(gateway.ok()) << gateway.status();
  return gateway.ok() ? *std::move(gateway) : nullptr;
}

std::string BatchJson(const std::string& tenant, int events, const std::string& id_prefix) {
  std::string json = R"({"events":[)";
  for (int i = 0; i < events; ++i) {
    std::string event;
    EXPECT_TRUE(
        google::protobuf::util::MessageToJsonString(
            MakeEvent(absl::StrCat(id_prefix, "-", i), "s", v1::EVENT_TYPE_AGENT_START, tenant),
            &event)
            .ok());
    json += (i > 0 ? "," : "") + event;
  }
  return json + "]}";
}

absl::StatusOr<HttpTestResponse> PostBatch(HttpTestClient& http, const std::string& tenant,
                                           int events, const std::string& id_prefix) {
  return http.Post("/v1/events/batch", BatchJson(tenant, events, id_prefix));
}

TEST(RateLimitTest, OverTheLimitHttpIs429WithRetryAfterAndRateLimitHeaders) {
  auto gateway = StartGateway(ConfigWithRateLimit(R"(      limits:
        - {key: [tenant], events_per_second: 1, burst: 10}
)"));
  ASSERT_NE(gateway, nullptr);
  HttpTestClient http("127.0.0.1", gateway->http_port());
  absl::StatusOr<HttpTestResponse> fits = PostBatch(http, "acme", 10, "a");
  ASSERT_TRUE(fits.ok());
  EXPECT_EQ(fits->status, 202) << fits->body;
  absl::StatusOr<HttpTestResponse> over = PostBatch(http, "acme", 5, "b");
  ASSERT_TRUE(over.ok());
  EXPECT_EQ(over->status, 429) << over->body;
  EXPECT_THAT(over->body, HasSubstr("rate limited by \\\"tenant.events_per_second\\\""));
  EXPECT_EQ(over->headers["x-ratelimit-limit"], "10");
  EXPECT_EQ(over->headers["x-ratelimit-remaining"], "0");
  const int retry_after = std::stoi(over->headers["retry-after"]);
  EXPECT_GE(retry_after, 4);  // 5 events at 1/s, rounded up
  EXPECT_LE(retry_after, 5);
  // Another tenant has its own bucket.
  absl::StatusOr<HttpTestResponse> other = PostBatch(http, "globex", 10, "c");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->status, 202) << other->body;
}

TEST(RateLimitTest, OverTheLimitGrpcIsResourceExhaustedWithTrailers) {
  auto gateway = StartGateway(ConfigWithRateLimit(R"(      limits:
        - {key: [tenant], requests_per_second: 0.5, burst: 1}
)"));
  ASSERT_NE(gateway, nullptr);
  auto channel = grpc::CreateChannel(gateway->grpc_target(), grpc::InsecureChannelCredentials());
  auto client = client_v1::ChaukasClientService::NewStub(channel);
  client_v1::IngestEventRequest request;
  *request.mutable_event() = MakeEvent("g-1");
  {
    grpc::ClientContext context;
    client_v1::IngestEventResponse response;
    ASSERT_TRUE(client->IngestEvent(&context, request, &response).ok());
  }
  grpc::ClientContext context;
  client_v1::IngestEventResponse response;
  const grpc::Status status = client->IngestEvent(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("retry after"));
  const auto& trailers = context.GetServerTrailingMetadata();
  ASSERT_EQ(trailers.count("retry-after"), 1u);
  EXPECT_EQ(std::string(trailers.find("retry-after")->second.data(),
                        trailers.find("retry-after")->second.size()),
            "2");
  EXPECT_EQ(trailers.count("x-ratelimit-limit"), 1u);
}

TEST(RateLimitTest, AcceptPrefixAdmitsWhatFitsAndSaysSo) {
  auto gateway = StartGateway(ConfigWithRateLimit(R"(      partial: accept_prefix
      limits:
        - {key: [tenant], events_per_second: 0.001, burst: 4}
)"));
  ASSERT_NE(gateway, nullptr);
  HttpTestClient http("127.0.0.1", gateway->http_port());
  absl::StatusOr<HttpTestResponse> response = PostBatch(http, "acme", 10, "p");
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 202) << response->body;
  EXPECT_THAT(response->body, HasSubstr(R"("accepted_count":4)"));
  EXPECT_THAT(response->body, HasSubstr("accept_prefix admitted the first 4 of 10 events"));
  const std::vector<v1::Event> sink = StopAndReadSink(*gateway);
  ASSERT_EQ(sink.size(), 4u);
  EXPECT_EQ(sink.back().event_id(), "p-3");
}

// Sends batches of `batch` events for `tenant` to `http_port` from `threads` threads until
// `stop`; adds the events accepted to `accepted`.
void Hammer(uint16_t http_port, const std::string& tenant, int threads, int batch,
            const std::atomic<bool>& stop, std::atomic<int64_t>& accepted,
            std::vector<std::thread>& workers) {
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([=, &stop, &accepted] {
      HttpTestClient http("127.0.0.1", http_port);
      for (int n = 0; !stop.load(); ++n) {
        absl::StatusOr<HttpTestResponse> response =
            PostBatch(http, tenant, batch, absl::StrCat(tenant, "-", t, "-", n));
        if (response.ok() && response->status == 202) accepted.fetch_add(batch);
      }
    });
  }
}

class SharedRateLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServerProcess>> redis = RedisServerProcess::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
  }

  std::string Config(const std::string& on_redis_error) {
    return ConfigWithRateLimit(absl::StrCat(R"(      backend: redis
      redis: {address: ")",
                                            redis_->address(), R"(", on_redis_error: )",
                                            on_redis_error, R"(}
      limits:
        - {key: [tenant], events_per_second: 200, burst: 50}
)"));
  }

  std::unique_ptr<RedisServerProcess> redis_;
};

TEST_F(SharedRateLimitTest, TwoGatewaysTogetherStayWithinFivePercentOfTheLimit) {
  auto first = StartGateway(Config("allow"));
  auto second = StartGateway(Config("allow"));
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> acme{0};
  std::vector<std::thread> workers;
  const absl::Time start = absl::Now();
  Hammer(first->http_port(), "acme", 2, 5, stop, acme, workers);
  Hammer(second->http_port(), "acme", 2, 5, stop, acme, workers);
  absl::SleepFor(absl::Seconds(4));
  stop = true;
  for (std::thread& worker : workers) worker.join();
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  const double allowed = 50 + 200 * elapsed;
  std::cout << "two gateways allowed " << acme.load() << " acme events in " << elapsed
            << " s; the limit allows " << allowed << "\n";
  EXPECT_GE(acme.load(), allowed * 0.95);
  EXPECT_LE(acme.load(), allowed * 1.05);
}

// What a tenant sending at a steady rate saw.
struct PacedResult {
  int sent = 0;
  int accepted = 0;
  absl::Duration took;
  absl::Duration p50;
  absl::Duration p99;
};

// Sends `count` one-event batches for `tenant` at `per_second`, alternating between the two
// gateways, each at its due time (or at once when late), and times each answer.
PacedResult SendPaced(GatewayProcess& first, GatewayProcess& second, const std::string& tenant,
                      int count, double per_second, const std::string& id_prefix) {
  HttpTestClient first_http("127.0.0.1", first.http_port());
  HttpTestClient second_http("127.0.0.1", second.http_port());
  PacedResult result;
  std::vector<absl::Duration> latencies;
  const absl::Time start = absl::Now();
  for (int i = 0; i < count; ++i) {
    absl::SleepFor(start + absl::Seconds(i / per_second) - absl::Now());
    const absl::Time sent = absl::Now();
    absl::StatusOr<HttpTestResponse> response =
        PostBatch(i % 2 == 0 ? first_http : second_http, tenant, 1, absl::StrCat(id_prefix, i));
    latencies.push_back(absl::Now() - sent);
    ++result.sent;
    if (response.ok() && response->status == 202) ++result.accepted;
  }
  result.took = absl::Now() - start;
  std::sort(latencies.begin(), latencies.end());
  result.p50 = latencies[latencies.size() / 2];
  result.p99 = latencies[latencies.size() * 99 / 100];
  return result;
}

TEST_F(SharedRateLimitTest, ATenantOverItsLimitDoesNotSlowAnother) {
  auto first = StartGateway(Config("allow"));
  auto second = StartGateway(Config("allow"));
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  // globex sends a quarter of its limit (200 events/s), first alone, then while acme sends
  // far more than its own limit to both gateways.
  constexpr int kCount = 150;
  constexpr double kPerSecond = 50;
  const PacedResult alone = SendPaced(*first, *second, "globex", kCount, kPerSecond, "alone-");

  std::atomic<bool> stop{false};
  std::atomic<int64_t> acme{0};
  std::vector<std::thread> workers;
  Hammer(first->http_port(), "acme", 2, 5, stop, acme, workers);
  Hammer(second->http_port(), "acme", 2, 5, stop, acme, workers);
  absl::SleepFor(absl::Milliseconds(500));  // acme is over its limit by now
  const PacedResult beside = SendPaced(*first, *second, "globex", kCount, kPerSecond, "beside-");
  stop = true;
  for (std::thread& worker : workers) worker.join();

  std::cout << "globex alone: p50 " << alone.p50 << ", p99 " << alone.p99 << "; beside acme ("
            << acme.load() << " events accepted, the rest refused): p50 " << beside.p50 << ", p99 "
            << beside.p99 << "\n";
  EXPECT_EQ(alone.accepted, kCount);
  // Nothing of acme's spills onto globex: no refusal, no waiting for tokens (which would take
  // seconds at acme's rate), and the schedule kept (3 s of sends).
  EXPECT_EQ(beside.accepted, kCount);
  EXPECT_LE(beside.p50, alone.p50 + absl::Milliseconds(50));
  EXPECT_LE(beside.took, absl::Seconds(kCount / kPerSecond) + absl::Seconds(1));
}

TEST_F(SharedRateLimitTest, WhenRedisDiesDenyRefusesAndLocalFallsBackToLocalBuckets) {
  auto deny = StartGateway(Config("deny"));
  auto local = StartGateway(Config("local"));
  ASSERT_NE(deny, nullptr);
  ASSERT_NE(local, nullptr);
  HttpTestClient deny_http("127.0.0.1", deny->http_port());
  HttpTestClient local_http("127.0.0.1", local->http_port());
  ASSERT_EQ(PostBatch(deny_http, "acme", 1, "before")->status, 202);

  redis_->Kill();
  // Once a gateway notices (its next sync), deny answers 429; local keeps limiting alone.
  EXPECT_TRUE(WaitUntil([&] {
    absl::StatusOr<HttpTestResponse> response = PostBatch(deny_http, "acme", 1, "after");
    return response.ok() && response->status == 429 && response->headers.count("retry-after");
  }));
  int local_accepted = 0;
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<HttpTestResponse> response = PostBatch(local_http, "acme", 10, "l");
    if (response.ok() && response->status == 202) local_accepted += 10;
  }
  // 200 events asked within well under a second: the local bucket's burst (50) and a little
  // refill pass, the rest is refused.
  EXPECT_GE(local_accepted, 50);
  EXPECT_LT(local_accepted, 200);

  ASSERT_TRUE(redis_->Restart().ok());
  EXPECT_TRUE(WaitUntil([&] {
    absl::StatusOr<HttpTestResponse> response = PostBatch(deny_http, "acme", 1, "back");
    return response.ok() && response->status == 202;
  }));
}

}  // namespace
}  // namespace chaukas::testing
