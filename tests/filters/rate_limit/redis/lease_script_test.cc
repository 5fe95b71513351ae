#include "filters/rate_limit/redis/lease_script.h"

#include <thread>

#include "absl/strings/numbers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/redis_server_process.h"
#include "tests/support/status_matchers.h"

namespace chaukas::filters::rate_limit {
namespace {

using ::chaukas::testing::IsOk;
using ::chaukas::testing::RedisServerProcess;
using ::chaukas::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::Le;

// The script against a real Redis: its numbers come from Redis's TIME, so tests that must not
// see refill use a rate small enough that the milliseconds between calls add nothing visible.
class LeaseScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServerProcess>> server = RedisServerProcess::Start();
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    RedisConnectionOptions options;
    options.address = {"127.0.0.1", server_->port()};
    absl::StatusOr<std::unique_ptr<RedisConnection>> connection = RedisConnection::Connect(options);
    ASSERT_THAT(connection, IsOk());
    connection_ = *std::move(connection);
  }

  // One EVAL of the script, parsed.
  LeaseGrant Lease(double rate, double burst, double requested, double debt = 0,
                   const std::string& key = "bucket") {
    const LeaseRequest request{key, rate, burst, requested, debt};
    absl::StatusOr<RedisReply> reply = connection_->Command(LeaseCommand(request, ""));
    EXPECT_THAT(reply, IsOk());
    if (!reply.ok()) return {};
    absl::StatusOr<LeaseGrant> grant = ParseLeaseReply(*reply);
    EXPECT_THAT(grant, IsOk());
    return grant.ok() ? *grant : LeaseGrant{};
  }

  RedisReply Command(const std::vector<std::string>& arguments) {
    absl::StatusOr<RedisReply> reply = connection_->Command(arguments);
    EXPECT_THAT(reply, IsOk());
    return reply.ok() ? *std::move(reply) : RedisReply{};
  }

  double TokensInRedis(const std::string& key = "bucket") {
    double tokens = 0;
    EXPECT_TRUE(absl::SimpleAtod(Command({"HGET", key, "tokens"}).text, &tokens));
    return tokens;
  }

  std::unique_ptr<RedisServerProcess> server_;
  std::unique_ptr<RedisConnection> connection_;
};

constexpr double kNoRefill = 0.001;  // tokens per second: nothing between two calls

TEST_F(LeaseScriptTest, GrantsWhatIsAskedFromANewFullBucket) {
  const LeaseGrant grant = Lease(kNoRefill, 100, 30);
  EXPECT_DOUBLE_EQ(grant.granted, 30);
  EXPECT_NEAR(grant.remaining, 70, 0.01);
  EXPECT_EQ(grant.wait, absl::ZeroDuration());
}

TEST_F(LeaseScriptTest, GrantsWhatIsLeftAndSaysHowLongUntilAFullRequest) {
  Lease(1, 10, 8);
  const LeaseGrant grant = Lease(1, 10, 8);
  EXPECT_NEAR(grant.granted, 2, 0.05);
  EXPECT_NEAR(grant.remaining, 0, 1e-9);
  // 8 tokens at 1 per second.
  EXPECT_EQ(grant.wait, absl::Seconds(8));
}

TEST_F(LeaseScriptTest, LeasesFractionsOfTokens) {
  EXPECT_DOUBLE_EQ(Lease(kNoRefill, 1, 0.25).granted, 0.25);
  EXPECT_NEAR(Lease(kNoRefill, 1, 0.5).remaining, 0.25, 0.001);
}

TEST_F(LeaseScriptTest, ChargesDebtBeforeGranting) {
  const LeaseGrant grant = Lease(kNoRefill, 100, 10, 50);
  EXPECT_DOUBLE_EQ(grant.granted, 10);
  EXPECT_NEAR(grant.remaining, 40, 0.01);
}

TEST_F(LeaseScriptTest, DebtCanTakeTheBucketBelowZeroAndMustBeRefilledFirst) {
  const LeaseGrant grant = Lease(10, 10, 5, 30);
  EXPECT_EQ(grant.granted, 0);
  EXPECT_NEAR(grant.remaining, -20, 0.05);
  // 25 tokens (the 20 of debt, then the 5 asked) at 10 per second.
  EXPECT_NEAR(absl::ToDoubleSeconds(grant.wait), 2.5, 0.01);
}

TEST_F(LeaseScriptTest, TokensGivenBackNeverFillPastBurst) {
  Lease(kNoRefill, 100, 50);
  EXPECT_NEAR(Lease(kNoRefill, 100, 0, -30).remaining, 80, 0.01);
  EXPECT_NEAR(Lease(kNoRefill, 100, 0, -1000).remaining, 100, 1e-9);
}

TEST_F(LeaseScriptTest, RefillsFromRedisTimeCappedAtBurst) {
  Lease(1000, 100, 100);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // 50 ms at 1000/s, plus whatever the scheduler added to the sleep.
  EXPECT_THAT(Lease(1000, 100, 100).granted, AllOf(Ge(49), Le(100)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_DOUBLE_EQ(Lease(1000, 100, 1000).granted, 100);
}

TEST_F(LeaseScriptTest, ALoweredBurstAppliesAtOnce) {
  Lease(kNoRefill, 100, 10);
  EXPECT_NEAR(Lease(kNoRefill, 20, 0).remaining, 20, 1e-9);
}

TEST_F(LeaseScriptTest, KeyExpiresWhenTheBucketWouldBeFullAgain) {
  Lease(10, 100, 30);
  // 30 missing tokens at 10 per second: 3 s.
  EXPECT_THAT(Command({"PTTL", "bucket"}).integer, AllOf(Ge(2900), Le(3000)));
  // A bucket that never refills is kept for good.
  Lease(0, 100, 30, 0, "budget");
  EXPECT_EQ(Command({"PTTL", "budget"}).integer, -1);
  EXPECT_NEAR(TokensInRedis("budget"), 70, 1e-9);
}

TEST_F(LeaseScriptTest, NeverRefillingBucketSaysItWillNeverHaveMore) {
  Lease(0, 10, 10);
  const LeaseGrant grant = Lease(0, 10, 1);
  EXPECT_EQ(grant.granted, 0);
  EXPECT_EQ(grant.wait, absl::InfiniteDuration());
}

TEST_F(LeaseScriptTest, EvalShaNeedsTheScriptLoadedAndNoScriptSaysSo) {
  const LeaseRequest request{"bucket", kNoRefill, 100, 1, 0};
  const RedisReply unknown =
      Command(LeaseCommand(request, "0123456789012345678901234567890123456789"));
  EXPECT_TRUE(IsNoScriptError(unknown));
  EXPECT_THAT(ParseLeaseReply(unknown),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("NOSCRIPT")));

  const RedisReply sha = Command({"SCRIPT", "LOAD", std::string(LeaseScriptSource())});
  ASSERT_EQ(sha.type, RedisReply::Type::kString);
  absl::StatusOr<LeaseGrant> grant = ParseLeaseReply(Command(LeaseCommand(request, sha.text)));
  ASSERT_THAT(grant, IsOk());
  EXPECT_DOUBLE_EQ(grant->granted, 1);
}

TEST_F(LeaseScriptTest, AForeignValueUnderTheKeyIsAnErrorReply) {
  Command({"SET", "bucket", "not a hash"});
  const RedisReply reply = Command(LeaseCommand({"bucket", 1, 10, 1, 0}, ""));
  EXPECT_FALSE(IsNoScriptError(reply));
  EXPECT_THAT(ParseLeaseReply(reply),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("WRONGTYPE")));
}

TEST(ParseLeaseReplyTest, RejectsRepliesOfAnotherShape) {
  RedisReply integer;
  integer.type = RedisReply::Type::kInteger;
  EXPECT_THAT(ParseLeaseReply(integer), StatusIs(absl::StatusCode::kInternal, HasSubstr("3")));
  RedisReply words;
  words.type = RedisReply::Type::kArray;
  for (const char* text : {"1", "two", "3"}) {
    RedisReply element;
    element.type = RedisReply::Type::kString;
    element.text = text;
    words.elements.push_back(element);
  }
  EXPECT_THAT(ParseLeaseReply(words), StatusIs(absl::StatusCode::kInternal, HasSubstr("3")));
}

TEST(LeaseCommandTest, SendsNumbersThatReadBackExactly) {
  const std::vector<std::string> command = LeaseCommand({"k", 0.1, 1e15, 1.0 / 3, -2.5}, "abc");
  EXPECT_THAT(command, ::testing::ElementsAre("EVALSHA", "abc", "1", "k", "0.1", "1e+15",
                                              "0.3333333333333333", "-2.5"));
}

}  // namespace
}  // namespace chaukas::filters::rate_limit
