#include "filters/rate_limit/redis/redis_backend.h"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gateway/common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/redis_server_process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/wait_until.h"

namespace chaukas::filters::rate_limit {
namespace {

using ::chaukas::testing::IsOk;
using ::chaukas::testing::RedisServerProcess;
using ::chaukas::testing::StatusIs;
using ::chaukas::testing::WaitUntil;
using ::testing::AllOf;
using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::Le;

constexpr double kNoRefill = 0.001;  // tokens per second: nothing visible within a test

// Calls TryAcquire(key, limit, 1) from `threads` threads on `backend` until `duration` has
// passed, pausing a few microseconds between calls: still hundreds of times the limits used
// here, without starving the background threads of the two shared cores.
struct Tally {
  std::atomic<int64_t> allowed{0};
  std::atomic<int64_t> refused{0};
};

std::vector<std::thread> StartHammering(RedisBackend& backend, const std::string& key,
                                        BucketLimit limit, int threads, absl::Time until,
                                        Tally& tally) {
  std::vector<std::thread> hammers;
  for (int t = 0; t < threads; ++t) {
    hammers.emplace_back([&backend, key, limit, until, &tally] {
      while (absl::Now() < until) {
        if (backend.TryAcquire(key, limit, 1).allowed) {
          tally.allowed.fetch_add(1, std::memory_order_relaxed);
        } else {
          tally.refused.fetch_add(1, std::memory_order_relaxed);
        }
        std::this_thread::sleep_for(std::chrono::microseconds(20));
      }
    });
  }
  return hammers;
}

void JoinAll(std::vector<std::thread>& threads) {
  for (std::thread& thread : threads) thread.join();
}

class RedisBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServerProcess>> server = RedisServerProcess::Start();
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
  }

  RedisBackendOptions Options(OnRedisError on_error = OnRedisError::kAllow) const {
    RedisBackendOptions options;
    options.address = server_->address();
    options.connect_timeout = absl::Milliseconds(200);
    options.command_timeout = absl::Milliseconds(200);
    options.sync_interval = absl::Milliseconds(20);
    options.on_error = on_error;
    options.reconnect_initial_backoff = absl::Milliseconds(50);
    options.reconnect_max_backoff = absl::Milliseconds(400);
    return options;
  }

  std::unique_ptr<RedisBackend> MakeBackend(RedisBackendOptions options,
                                            const stats::StatsScope& scope) {
    absl::StatusOr<std::unique_ptr<RedisBackend>> backend =
        RedisBackend::Create(std::move(options), clock_, scope);
    EXPECT_THAT(backend, IsOk());
    return backend.ok() ? *std::move(backend) : nullptr;
  }
  std::unique_ptr<RedisBackend> MakeBackend(RedisBackendOptions options) {
    return MakeBackend(std::move(options), scope_);
  }

  int64_t Stat(std::string_view name) const {
    return stats_.ValueOf(absl::StrCat("filter.", ToAbsl(name)), {{"filter", "rate_limit"}});
  }
  uint64_t RoundTrips() const { return scope_.GetHistogram("redis.latency_us").snapshot().count; }

  // Waits until the backend has made a round trip, so measurements leave out connecting.
  void WaitUntilConnected(RedisBackend& backend) {
    backend.TryAcquire("warm-up", {1000, 1000}, 1);
    ASSERT_TRUE(WaitUntil([&] { return RoundTrips() > 0; }, absl::Seconds(5)));
  }

  // A direct connection for looking at what the backend wrote.
  RedisReply Inspect(const std::vector<std::string>& command, int db = 0,
                     std::optional<std::string> password = std::nullopt) {
    RedisConnectionOptions options;
    options.address = {"127.0.0.1", server_->port()};
    options.db = db;
    options.password = std::move(password);
    absl::StatusOr<std::unique_ptr<RedisConnection>> connection = RedisConnection::Connect(options);
    EXPECT_THAT(connection, IsOk());
    if (!connection.ok()) return {};
    absl::StatusOr<RedisReply> reply = (*connection)->Command(command);
    EXPECT_THAT(reply, IsOk());
    return reply.ok() ? *std::move(reply) : RedisReply{};
  }
  // The tokens in Redis's bucket for the filter's key; NaN while there is none.
  double TokensInRedis(std::string_view key) {
    const RedisReply reply = Inspect({"HGET", absl::StrCat("chaukas:rl:", ToAbsl(key)), "tokens"});
    double tokens = std::nan("");
    if (reply.type == RedisReply::Type::kString) {
      EXPECT_TRUE(absl::SimpleAtod(reply.text, &tokens));
    }
    return tokens;
  }

  // Kills Redis, then keeps draining a key until the backend notices (a fetch fails).
  void KillRedisAndWaitUntilDegraded(RedisBackend& backend) {
    server_->Kill();
    ASSERT_TRUE(WaitUntil(
        [&] {
          backend.TryAcquire("drain", {100, 10}, 1);
          return backend.degraded();
        },
        absl::Seconds(5)));
    EXPECT_EQ(Stat("redis.degraded"), 1);
    EXPECT_GE(Stat("redis.errors"), 1);
  }

  void RestartRedisAndWaitUntilRecovered(RedisBackend& backend) {
    ASSERT_THAT(server_->Restart(), IsOk());
    ASSERT_TRUE(WaitUntil([&] { return !backend.degraded(); }, absl::Seconds(5)));
    EXPECT_EQ(Stat("redis.degraded"), 0);
  }

  SystemClock clock_;
  stats::StatsStore stats_;
  stats::StatsScope scope_{stats_, "filter", {{"filter", "rate_limit"}}};
  std::unique_ptr<RedisServerProcess> server_;
};

TEST_F(RedisBackendTest, OneReplicaAllowsTheBurstThenTheRate) {
  RedisBackendOptions options = Options();
  options.lease = absl::Milliseconds(20);
  std::unique_ptr<RedisBackend> backend = MakeBackend(options);
  ASSERT_NE(backend, nullptr);
  WaitUntilConnected(*backend);

  const BucketLimit limit{1000, 200};
  const double lease_tokens = 20;
  Tally tally;
  const absl::Time start = absl::Now();
  std::vector<std::thread> hammer =
      StartHammering(*backend, "tenant-a", limit, 1, start + absl::Milliseconds(600), tally);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  const double early_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const int64_t early = tally.allowed.load();
  JoinAll(hammer);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const double expected = limit.burst + limit.rate_per_second * seconds;
  std::printf(
      "one replica: allowed %lld of %lld in %.3f s; burst + rate x elapsed = %.0f (%+.2f%%)"
      "; after %.3f s: %lld\n",
      static_cast<long long>(tally.allowed.load()),
      static_cast<long long>(tally.allowed.load() + tally.refused.load()), seconds, expected,
      100 * (tally.allowed.load() - expected) / expected, early_seconds,
      static_cast<long long>(early));

  // The burst went at once, and no more than it.
  EXPECT_GE(early, 0.9 * limit.burst);
  EXPECT_LE(early, limit.burst + limit.rate_per_second * early_seconds + lease_tokens);
  // Then the rate: above by at most the starting credit, below by at most what sits in the
  // lease and what Redis refilled since the last fetch; a few % either way.
  EXPECT_LE(tally.allowed.load(), expected * 1.03);
  EXPECT_GE(tally.allowed.load(), expected * 0.97 - 2 * lease_tokens);
  EXPECT_GT(tally.refused.load(), 0);
}

TEST_F(RedisBackendTest, TwoReplicasTogetherStayWithinTheLimit) {
  // Two backends with their own stats, as two gateway processes sharing one Redis.
  stats::StatsScope scope_a(stats_, "replica_a");
  stats::StatsScope scope_b(stats_, "replica_b");
  std::unique_ptr<RedisBackend> replica_a = MakeBackend(Options(), scope_a);
  std::unique_ptr<RedisBackend> replica_b = MakeBackend(Options(), scope_b);
  ASSERT_NE(replica_a, nullptr);
  ASSERT_NE(replica_b, nullptr);

  const BucketLimit limit{2000, 1000};
  Tally tally_a;
  Tally tally_b;
  const absl::Time start = absl::Now();
  const absl::Time until = start + absl::Seconds(3);
  std::vector<std::thread> hammer_a =
      StartHammering(*replica_a, "tenant-a", limit, 2, until, tally_a);
  std::vector<std::thread> hammer_b =
      StartHammering(*replica_b, "tenant-a", limit, 2, until, tally_b);
  JoinAll(hammer_a);
  JoinAll(hammer_b);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);

  const int64_t allowed = tally_a.allowed.load() + tally_b.allowed.load();
  const int64_t calls = allowed + tally_a.refused.load() + tally_b.refused.load();
  const double expected = limit.burst + limit.rate_per_second * seconds;
  std::printf(
      "two replicas: allowed %lld (a %lld, b %lld) of %lld calls in %.3f s; burst + rate x "
      "elapsed = %.0f; error %+.2f%%; leases a %lld, b %lld\n",
      static_cast<long long>(allowed), static_cast<long long>(tally_a.allowed.load()),
      static_cast<long long>(tally_b.allowed.load()), static_cast<long long>(calls), seconds,
      expected, 100 * (allowed - expected) / expected,
      static_cast<long long>(stats_.ValueOf("replica_a.redis.leases")),
      static_cast<long long>(stats_.ValueOf("replica_b.redis.leases")));

  EXPECT_GT(calls, 10 * expected);  // well above the limit
  EXPECT_THAT(allowed, AllOf(Ge(0.95 * expected), Le(1.05 * expected)));
  // Both replicas got a share: neither was starved by the other.
  EXPECT_GT(tally_a.allowed.load(), expected / 5);
  EXPECT_GT(tally_b.allowed.load(), expected / 5);
}

TEST_F(RedisBackendTest, ANewKeyIsAllowedAtOnceEvenBeforeRedisIsAsked) {
  std::unique_ptr<RedisBackend> backend = MakeBackend(Options());
  ASSERT_NE(backend, nullptr);
  WaitUntilConnected(*backend);
  // Redis would refuse this key: its bucket is empty. The first request still passes, on the
  // starting credit, without waiting for a round trip.
  Inspect({"HSET", "chaukas:rl:new-tenant", "tokens", "0", "at_us", "9007199254740000"});
  const BucketLimit limit{kNoRefill, 100};
  const AcquireResult first = backend->TryAcquire("new-tenant", limit, 1);
  EXPECT_TRUE(first.allowed);
  EXPECT_EQ(first.retry_after, absl::ZeroDuration());
  // The credit was one lease (1 token at this rate) and Redis has none to give.
  EXPECT_FALSE(backend->TryAcquire("new-tenant", limit, 1).allowed);
  // ... and Redis is charged for it.
  ASSERT_TRUE(WaitUntil([&] { return TokensInRedis("new-tenant") < -0.5; }, absl::Seconds(5)));
  EXPECT_NEAR(TokensInRedis("new-tenant"), -1, 0.01);
}

TEST_F(RedisBackendTest, ChargesTheStartingCreditAndLeasesTheNextOne) {
  std::unique_ptr<RedisBackend> backend = MakeBackend(Options());
  ASSERT_NE(backend, nullptr);
  const BucketLimit limit{kNoRefill, 100};
  EXPECT_TRUE(backend->TryAcquire("tenant", limit, 1).allowed);
  // The first fetch: 1 token of debt (the credit spent) and 1 token of lease.
  ASSERT_TRUE(WaitUntil([&] { return !std::isnan(TokensInRedis("tenant")); }, absl::Seconds(5)));
  EXPECT_NEAR(TokensInRedis("tenant"), 98, 0.01);
  ASSERT_TRUE(WaitUntil([&] { return Stat("redis.tokens_granted") >= 1; }, absl::Seconds(5)));
  EXPECT_TRUE(backend->TryAcquire("tenant", limit, 1).allowed);
  EXPECT_EQ(backend->key_count(), 1u);
}

TEST_F(RedisBackendTest, FetchesOfManyKeysShareRoundTrips) {
  std::unique_ptr<RedisBackend> backend = MakeBackend(Options());
  ASSERT_NE(backend, nullptr);
  WaitUntilConnected(*backend);
  const uint64_t before = RoundTrips();
  constexpr int kKeys = 1000;
  for (int i = 0; i < kKeys; ++i) {
    EXPECT_TRUE(backend->TryAcquire(absl::StrCat("tenant-", i), {kNoRefill, 100}, 1).allowed);
  }
  ASSERT_TRUE(WaitUntil([&] { return Stat("redis.leases") >= kKeys + 1; }, absl::Seconds(10)));
  const uint64_t round_trips = RoundTrips() - before;
  std::printf("%d new keys fetched in %llu round trips\n", kKeys,
              static_cast<unsigned long long>(round_trips));
  EXPECT_LE(round_trips, kKeys / 4);
}

TEST_F(RedisBackendTest, RefundGoesBackToTheLeaseButNeverPastBurst) {
  std::unique_ptr<RedisBackend> backend = MakeBackend(Options());
  ASSERT_NE(backend, nullptr);
  const BucketLimit limit{kNoRefill, 100};
  // Someone else took the whole bucket: whatever is allowed here comes from the lease.
  Inspect({"HSET", "chaukas:rl:tenant", "tokens", "0", "at_us", "9007199254740000"});
  EXPECT_TRUE(backend->TryAcquire("tenant", limit, 1).allowed);
  EXPECT_FALSE(backend->TryAcquire("tenant", limit, 1).allowed);
  backend->Refund("tenant", limit, 1);
  EXPECT_TRUE(backend->TryAcquire("tenant", limit, 1).allowed);
  EXPECT_FALSE(backend->TryAcquire("tenant", limit, 1).allowed);

  backend->Refund("tenant", limit, 1000);
  int allowed = 0;
  for (int i = 0; i < 300; ++i) allowed += backend->TryAcquire("tenant", limit, 1).allowed;
  EXPECT_EQ(allowed, 100);
}

TEST_F(RedisBackendTest, ACostLargerThanALeaseIsFetchedFor) {
  std::unique_ptr<RedisBackend> backend = MakeBackend(Options());
  ASSERT_NE(backend, nullptr);
  // A lease is 5 tokens (100/s for 50 ms); a batch of 50 events needs ten of them.
  const BucketLimit limit{100, 1000};
  const AcquireResult first = backend->TryAcquire("tenant", limit, 50);
  EXPECT_FALSE(first.allowed);
  EXPECT_GT(first.retry_after, absl::ZeroDuration());
  EXPECT_TRUE(WaitUntil([&] { return backend->TryAcquire("tenant", limit, 50).allowed; },
                        absl::Seconds(5)));
}

TEST_F(RedisBackendTest, ACostAboveBurstIsNeverAllowed) {
  std::unique_ptr<RedisBackend> backend = MakeBackend(Options());
  ASSERT_NE(backend, nullptr);
  for (int i = 0; i < 20; ++i) {
    const AcquireResult result = backend->TryAcquire("tenant", {10, 5}, 6);
    EXPECT_FALSE(result.allowed);
    EXPECT_GT(result.retry_after, absl::ZeroDuration());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_FALSE(backend->TryAcquire("tenant", {10, 5}, std::nan("")).allowed);
}

TEST_F(RedisBackendTest, AnIdleKeyGivesItsLeaseBackAndIsForgotten) {
  RedisBackendOptions options = Options();
  options.idle_timeout = absl::Milliseconds(200);
  std::unique_ptr<RedisBackend> backend = MakeBackend(options);
  ASSERT_NE(backend, nullptr);
  EXPECT_TRUE(backend->TryAcquire("tenant", {kNoRefill, 100}, 1).allowed);
  ASSERT_TRUE(WaitUntil([&] { return Stat("redis.tokens_granted") >= 1; }, absl::Seconds(5)));
  EXPECT_NEAR(TokensInRedis("tenant"), 98, 0.01);
  // One token spent, the leased one given back.
  ASSERT_TRUE(WaitUntil([&] { return backend->key_count() == 0; }, absl::Seconds(5)));
  EXPECT_NEAR(TokensInRedis("tenant"), 99, 0.01);
  EXPECT_EQ(Stat("redis.tokens_returned"), 1);
}

TEST_F(RedisBackendTest, DestructionGivesEveryLeaseBack) {
  std::unique_ptr<RedisBackend> backend = MakeBackend(Options());
  ASSERT_NE(backend, nullptr);
  for (const char* key : {"a", "b", "c"}) {
    EXPECT_TRUE(backend->TryAcquire(key, {kNoRefill, 100}, 1).allowed);
  }
  ASSERT_TRUE(WaitUntil([&] { return Stat("redis.tokens_granted") >= 3; }, absl::Seconds(5)));
  backend.reset();
  for (const char* key : {"a", "b", "c"}) EXPECT_NEAR(TokensInRedis(key), 99, 0.01) << key;
}

TEST_F(RedisBackendTest, LosingTheScriptCacheIsNoError) {
  std::unique_ptr<RedisBackend> backend = MakeBackend(Options());
  ASSERT_NE(backend, nullptr);
  WaitUntilConnected(*backend);
  Inspect({"SCRIPT", "FLUSH"});
  EXPECT_TRUE(backend->TryAcquire("tenant", {kNoRefill, 100}, 1).allowed);
  ASSERT_TRUE(WaitUntil([&] { return !std::isnan(TokensInRedis("tenant")); }, absl::Seconds(5)));
  EXPECT_NEAR(TokensInRedis("tenant"), 98, 0.01);
  EXPECT_EQ(Stat("redis.errors"), 0);
  EXPECT_FALSE(backend->degraded());
}

TEST_F(RedisBackendTest, OnRedisErrorAllowLetsEverythingThroughUntilRedisIsBack) {
  std::unique_ptr<RedisBackend> backend = MakeBackend(Options(OnRedisError::kAllow));
  ASSERT_NE(backend, nullptr);
  WaitUntilConnected(*backend);
  KillRedisAndWaitUntilDegraded(*backend);

  const BucketLimit limit{100, 10};
  int allowed = 0;
  for (int i = 0; i < 1000; ++i) allowed += backend->TryAcquire("tenant", limit, 1).allowed;
  EXPECT_EQ(allowed, 1000);

  RestartRedisAndWaitUntilRecovered(*backend);
  allowed = 0;
  for (int i = 0; i < 1000; ++i) allowed += backend->TryAcquire("tenant", limit, 1).allowed;
  EXPECT_LT(allowed, 100);
}

TEST_F(RedisBackendTest, OnRedisErrorDenyRefusesWithTheReconnectDelay) {
  std::unique_ptr<RedisBackend> backend = MakeBackend(Options(OnRedisError::kDeny));
  ASSERT_NE(backend, nullptr);
  WaitUntilConnected(*backend);
  KillRedisAndWaitUntilDegraded(*backend);

  const AcquireResult refused = backend->TryAcquire("tenant", {100, 10}, 1);
  EXPECT_FALSE(refused.allowed);
  EXPECT_THAT(refused.retry_after, AllOf(Ge(absl::Milliseconds(50)), Le(absl::Milliseconds(400))));

  RestartRedisAndWaitUntilRecovered(*backend);
  EXPECT_TRUE(backend->TryAcquire("tenant", {100, 10}, 1).allowed);
}

TEST_F(RedisBackendTest, OnRedisErrorLocalAppliesTheLimitInThisReplica) {
  std::unique_ptr<RedisBackend> backend = MakeBackend(Options(OnRedisError::kLocal));
  ASSERT_NE(backend, nullptr);
  WaitUntilConnected(*backend);
  KillRedisAndWaitUntilDegraded(*backend);

  const BucketLimit limit{kNoRefill, 10};
  int allowed = 0;
  for (int i = 0; i < 100; ++i) allowed += backend->TryAcquire("tenant", limit, 1).allowed;
  EXPECT_EQ(allowed, 10);
  const AcquireResult refused = backend->TryAcquire("tenant", {100, 10}, 1);
  EXPECT_FALSE(refused.allowed);
  EXPECT_LE(refused.retry_after, absl::Milliseconds(10));
  backend->Refund("tenant", limit, 1);
  EXPECT_TRUE(backend->TryAcquire("tenant", limit, 1).allowed);

  RestartRedisAndWaitUntilRecovered(*backend);
  // Back on Redis, which was restarted empty: the key starts over with a full bucket.
  allowed = 0;
  for (int i = 0; i < 100; ++i) allowed += backend->TryAcquire("other", limit, 1).allowed;
  EXPECT_GE(allowed, 1);
  ASSERT_TRUE(WaitUntil([&] { return !std::isnan(TokensInRedis("other")); }, absl::Seconds(5)));
}

TEST_F(RedisBackendTest, CountsRoundTripLatency) {
  std::unique_ptr<RedisBackend> backend = MakeBackend(Options());
  ASSERT_NE(backend, nullptr);
  WaitUntilConnected(*backend);
  const stats::Histogram::Snapshot latency = scope_.GetHistogram("redis.latency_us").snapshot();
  EXPECT_GE(latency.count, 1u);
  EXPECT_GT(latency.sum, 0u);
  EXPECT_GE(Stat("redis.leases"), 1);
  EXPECT_EQ(Stat("redis.errors"), 0);
  EXPECT_EQ(Stat("redis.degraded"), 0);
}

TEST_F(RedisBackendTest, AServerThatRefusesConnectionsIsCountedAndRetried) {
  const uint16_t port = server_->port();
  server_->Kill();
  RedisBackendOptions options = Options(OnRedisError::kDeny);
  options.address = absl::StrCat("127.0.0.1:", port);
  std::unique_ptr<RedisBackend> backend = MakeBackend(options);
  ASSERT_NE(backend, nullptr);
  // Retried with backoff: 50, 100, 200 ms...
  ASSERT_TRUE(WaitUntil([&] { return Stat("redis.errors") >= 3; }, absl::Seconds(5)));
  EXPECT_TRUE(backend->degraded());
  EXPECT_EQ(Stat("redis.degraded"), 1);
  EXPECT_FALSE(backend->TryAcquire("tenant", {100, 10}, 1).allowed);
  EXPECT_EQ(backend->key_count(), 0u);
}

TEST_F(RedisBackendTest, AnErrorReplyIsCountedAndDegradesUntilRedisServesAgain) {
  std::unique_ptr<RedisBackend> backend = MakeBackend(Options(OnRedisError::kDeny));
  ASSERT_NE(backend, nullptr);
  WaitUntilConnected(*backend);
  // A foreign value under our prefix: the script's HMGET gets WRONGTYPE.
  Inspect({"SET", "chaukas:rl:poisoned", "not a bucket"});
  EXPECT_TRUE(backend->TryAcquire("poisoned", {100, 10}, 1).allowed);  // the credit
  ASSERT_TRUE(WaitUntil([&] { return Stat("redis.errors") >= 1; }, absl::Seconds(5)));
  Inspect({"DEL", "chaukas:rl:poisoned"});
  // Reconnects, and the key's debt, kept while failing, is charged at last.
  ASSERT_TRUE(WaitUntil(
      [&] {
        backend->TryAcquire("poisoned", {100, 10}, 1);
        return !std::isnan(TokensInRedis("poisoned"));
      },
      absl::Seconds(5)));
  EXPECT_FALSE(backend->degraded());
}

TEST_F(RedisBackendTest, AuthenticatesAndSelectsTheDatabase) {
  absl::StatusOr<std::unique_ptr<RedisServerProcess>> server =
      RedisServerProcess::Start(0, {"--requirepass", "s3cret"});
  ASSERT_THAT(server, IsOk());
  server_ = *std::move(server);
  RedisBackendOptions options = Options();
  options.password = "s3cret";
  options.db = 2;
  std::unique_ptr<RedisBackend> backend = MakeBackend(options);
  ASSERT_NE(backend, nullptr);
  EXPECT_TRUE(backend->TryAcquire("tenant", {kNoRefill, 100}, 1).allowed);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return Inspect({"EXISTS", "chaukas:rl:tenant"}, 2, "s3cret").integer == 1;
      },
      absl::Seconds(5)));
  EXPECT_EQ(Inspect({"EXISTS", "chaukas:rl:tenant"}, 0, "s3cret").integer, 0);
  EXPECT_EQ(Stat("redis.errors"), 0);
}

TEST_F(RedisBackendTest, AWrongPasswordDegrades) {
  absl::StatusOr<std::unique_ptr<RedisServerProcess>> server =
      RedisServerProcess::Start(0, {"--requirepass", "s3cret"});
  ASSERT_THAT(server, IsOk());
  server_ = *std::move(server);
  RedisBackendOptions options = Options(OnRedisError::kDeny);
  options.password = "guess";
  std::unique_ptr<RedisBackend> backend = MakeBackend(options);
  ASSERT_NE(backend, nullptr);
  ASSERT_TRUE(WaitUntil([&] { return backend->degraded(); }, absl::Seconds(5)));
  EXPECT_GE(Stat("redis.errors"), 1);
}

TEST(RedisBackendOptionsTest, RejectsWhatCannotWork) {
  RedisBackendOptions options;
  options.address = "127.0.0.1:6379";
  EXPECT_THAT(ValidateRedisBackendOptions(options), IsOk());

  RedisBackendOptions bad = options;
  bad.address = "redis";
  EXPECT_THAT(ValidateRedisBackendOptions(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("address: \"redis\"")));
  bad = options;
  bad.lease = absl::ZeroDuration();
  EXPECT_THAT(ValidateRedisBackendOptions(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lease: must be > 0")));
  bad = options;
  bad.command_timeout = -absl::Seconds(1);
  EXPECT_THAT(ValidateRedisBackendOptions(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("command_timeout")));
  bad = options;
  bad.db = -1;
  EXPECT_THAT(ValidateRedisBackendOptions(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("db: must be >= 0")));
  bad = options;
  bad.reconnect_max_backoff = absl::Milliseconds(1);
  EXPECT_THAT(ValidateRedisBackendOptions(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reconnect_max_backoff")));

  SystemClock clock;
  stats::StatsStore store;
  EXPECT_THAT(RedisBackend::Create(bad, clock, stats::StatsScope(store, "filter")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reconnect_max_backoff")));
}

TEST(OnRedisErrorTest, ParsesTheConfigWords) {
  for (OnRedisError on_error : {OnRedisError::kAllow, OnRedisError::kDeny, OnRedisError::kLocal}) {
    absl::StatusOr<OnRedisError> parsed = ParseOnRedisError(OnRedisErrorName(on_error));
    ASSERT_THAT(parsed, IsOk());
    EXPECT_EQ(*parsed, on_error);
  }
  EXPECT_THAT(ParseOnRedisError("fail_open"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("allow | deny | local")));
}

}  // namespace
}  // namespace chaukas::filters::rate_limit
