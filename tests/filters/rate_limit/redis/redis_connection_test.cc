#include "filters/rate_limit/redis/redis_connection.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/redis_server_process.h"
#include "tests/support/status_matchers.h"

namespace chaukas::filters::rate_limit {
namespace {

using ::chaukas::testing::IsOk;
using ::chaukas::testing::RedisServerProcess;
using ::chaukas::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

RedisConnectionOptions OptionsFor(uint16_t port) {
  RedisConnectionOptions options;
  options.address = {"127.0.0.1", port};
  return options;
}

std::unique_ptr<RedisConnection> MustConnect(const RedisConnectionOptions& options) {
  absl::StatusOr<std::unique_ptr<RedisConnection>> connection = RedisConnection::Connect(options);
  EXPECT_THAT(connection, IsOk());
  return connection.ok() ? *std::move(connection) : nullptr;
}

TEST(ParseRedisAddressTest, SplitsHostAndPort) {
  absl::StatusOr<RedisAddress> address = ParseRedisAddress("redis.internal:6380");
  ASSERT_THAT(address, IsOk());
  EXPECT_EQ(address->host, "redis.internal");
  EXPECT_EQ(address->port, 6380);
}

TEST(ParseRedisAddressTest, TakesAnIpv6HostInBrackets) {
  absl::StatusOr<RedisAddress> address = ParseRedisAddress("[::1]:6379");
  ASSERT_THAT(address, IsOk());
  EXPECT_EQ(address->host, "::1");
  EXPECT_EQ(address->port, 6379);
}

TEST(ParseRedisAddressTest, SaysWhatIsWrong) {
  EXPECT_THAT(ParseRedisAddress("localhost"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no port")));
  EXPECT_THAT(ParseRedisAddress(":6379"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no host")));
  EXPECT_THAT(ParseRedisAddress("localhost:0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("port must be 1-65535")));
  EXPECT_THAT(ParseRedisAddress("localhost:65536"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("port must be 1-65535")));
  EXPECT_THAT(ParseRedisAddress("::1:6379"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("[host]:port")));
}

class RedisConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServerProcess>> server = RedisServerProcess::Start();
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
  }

  std::unique_ptr<RedisServerProcess> server_;
};

TEST_F(RedisConnectionTest, PipelinedRepliesComeBackInCommandOrder) {
  std::unique_ptr<RedisConnection> connection = MustConnect(OptionsFor(server_->port()));
  ASSERT_NE(connection, nullptr);
  absl::StatusOr<std::vector<RedisReply>> replies = connection->Pipeline({
      {"SET", "greeting", "hello"},
      {"GET", "greeting"},
      {"INCRBY", "counter", "41"},
      {"GET", "missing"},
      {"RPUSH", "list", "a", "b"},
      {"LRANGE", "list", "0", "-1"},
  });
  ASSERT_THAT(replies, IsOk());
  ASSERT_EQ(replies->size(), 6u);
  EXPECT_EQ((*replies)[0].type, RedisReply::Type::kStatus);
  EXPECT_EQ((*replies)[0].text, "OK");
  EXPECT_EQ((*replies)[1].type, RedisReply::Type::kString);
  EXPECT_EQ((*replies)[1].text, "hello");
  EXPECT_EQ((*replies)[2].type, RedisReply::Type::kInteger);
  EXPECT_EQ((*replies)[2].integer, 41);
  EXPECT_EQ((*replies)[3].type, RedisReply::Type::kNil);
  EXPECT_EQ((*replies)[4].integer, 2);
  ASSERT_EQ((*replies)[5].type, RedisReply::Type::kArray);
  std::vector<std::string> items;
  for (const RedisReply& element : (*replies)[5].elements) items.push_back(element.text);
  EXPECT_THAT(items, ElementsAre("a", "b"));
}

TEST_F(RedisConnectionTest, ErrorReplyLeavesTheConnectionUsable) {
  std::unique_ptr<RedisConnection> connection = MustConnect(OptionsFor(server_->port()));
  ASSERT_NE(connection, nullptr);
  ASSERT_THAT(connection->Command({"SET", "text", "x"}), IsOk());
  absl::StatusOr<RedisReply> reply = connection->Command({"INCR", "text"});
  ASSERT_THAT(reply, IsOk());
  EXPECT_TRUE(reply->is_error());
  EXPECT_THAT(reply->text, HasSubstr("not an integer"));
  EXPECT_FALSE(connection->broken());
  absl::StatusOr<RedisReply> pong = connection->Command({"PING"});
  ASSERT_THAT(pong, IsOk());
  EXPECT_EQ(pong->text, "PONG");
}

TEST_F(RedisConnectionTest, ConnectingToAClosedPortIsUnavailable) {
  const uint16_t port = server_->port();
  server_->Kill();
  EXPECT_THAT(RedisConnection::Connect(OptionsFor(port)),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("connect")));
}

TEST_F(RedisConnectionTest, AServerThatDiesBreaksTheConnectionWithoutKillingTheProcess) {
  std::unique_ptr<RedisConnection> connection = MustConnect(OptionsFor(server_->port()));
  ASSERT_NE(connection, nullptr);
  server_->Kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // Megabytes take several write(2)s, some of them after the peer's reset.
  const std::string large(8 << 20, 'x');
  EXPECT_THAT(connection->Pipeline({{"SET", "large", large}, {"SET", "large", large}}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("redis 127.0.0.1:")));
  EXPECT_TRUE(connection->broken());
  EXPECT_THAT(connection->Command({"PING"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("broken")));
}

TEST_F(RedisConnectionTest, AServerThatDoesNotAnswerTimesOut) {
  // A listening socket nobody accepts from: connects complete in the backlog, commands are
  // never answered.
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);

  RedisConnectionOptions options = OptionsFor(ntohs(address.sin_port));
  options.command_timeout = absl::Milliseconds(100);
  std::unique_ptr<RedisConnection> connection = MustConnect(options);
  ASSERT_NE(connection, nullptr);
  const absl::Time start = absl::Now();
  EXPECT_THAT(connection->Command({"PING"}),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("no answer within 100ms")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_TRUE(connection->broken());
  close(listener);
}

TEST(RedisConnectionAuthTest, AuthenticatesAndSelectsTheDatabase) {
  absl::StatusOr<std::unique_ptr<RedisServerProcess>> server =
      RedisServerProcess::Start(0, {"--requirepass", "s3cret"});
  ASSERT_THAT(server, IsOk());
  RedisConnectionOptions options = OptionsFor((*server)->port());
  options.password = "s3cret";
  options.db = 3;
  std::unique_ptr<RedisConnection> connection = MustConnect(options);
  ASSERT_NE(connection, nullptr);
  ASSERT_THAT(connection->Command({"SET", "where", "db3"}), IsOk());

  options.db = 0;
  std::unique_ptr<RedisConnection> db0 = MustConnect(options);
  ASSERT_NE(db0, nullptr);
  absl::StatusOr<RedisReply> missing = db0->Command({"GET", "where"});
  ASSERT_THAT(missing, IsOk());
  EXPECT_EQ(missing->type, RedisReply::Type::kNil);
}

TEST(RedisConnectionAuthTest, AWrongPasswordIsPermissionDenied) {
  absl::StatusOr<std::unique_ptr<RedisServerProcess>> server =
      RedisServerProcess::Start(0, {"--requirepass", "s3cret"});
  ASSERT_THAT(server, IsOk());
  RedisConnectionOptions options = OptionsFor((*server)->port());
  options.password = "guess";
  EXPECT_THAT(RedisConnection::Connect(options),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("AUTH refused")));
}

}  // namespace
}  // namespace chaukas::filters::rate_limit
