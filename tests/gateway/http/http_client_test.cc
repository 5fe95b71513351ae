#include "gateway/http/http_client.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "gateway/http/http_server.h"
#include "gateway/stats/stats_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace chaukas::http {
namespace {

using ::chaukas::testing::IsOk;
using ::chaukas::testing::StatusIs;
using ::testing::HasSubstr;

namespace asio = boost::asio;
namespace beast_http = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr char kHost[] = "127.0.0.1";

// The upstream: records what it receives. "/hold" keeps the Responder until the test releases
// it (answering with the body, from the test's thread); "/close" answers and closes the
// connection; anything else echoes the body at once.
class RecordingHandler : public RequestHandler {
 public:
  struct Received {
    std::string target;
    std::string body;
    std::string host_header;
    std::string peer;
  };

  void Handle(const Request& request, const ConnectionInfo& /*connection*/,
              Response& response) override {
    response.body() = request.body();
    if (request.target() == "/close") response.keep_alive(false);
  }

  void HandleAsync(Request request, const ConnectionInfo& connection,
                   Responder responder) override {
    const std::string target(request.target());
    {
      absl::MutexLock lock(&mutex_);
      received_.push_back(
          {target, request.body(), std::string(request[beast_http::field::host]), connection.peer});
      max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
    }
    if (target == "/hold") {
      absl::MutexLock lock(&mutex_);
      held_.push_back({std::move(responder), std::move(request.body())});
    } else {
      Finished();
      RequestHandler::HandleAsync(std::move(request), connection, std::move(responder));
    }
  }

  std::vector<Received> received() const {
    absl::MutexLock lock(&mutex_);
    return received_;
  }
  std::set<std::string> peers() const {
    std::set<std::string> peers;
    for (const Received& request : received()) peers.insert(request.peer);
    return peers;
  }
  int max_in_flight() const {
    absl::MutexLock lock(&mutex_);
    return max_in_flight_;
  }
  int held() const {
    absl::MutexLock lock(&mutex_);
    return static_cast<int>(held_.size());
  }
  // Answers every held request with its own body.
  void ReleaseHeld() {
    std::vector<Held> held;
    {
      absl::MutexLock lock(&mutex_);
      held.swap(held_);
    }
    for (Held& request : held) {
      Finished();
      Response response;
      response.body() = std::move(request.body);
      std::move(request.responder).Send(std::move(response));
    }
  }

 private:
  void Finished() {
    absl::MutexLock lock(&mutex_);
    --in_flight_;
  }

  struct Held {
    Responder responder;
    std::string body;
  };

  mutable absl::Mutex mutex_;
  std::vector<Received> received_ ABSL_GUARDED_BY(mutex_);
  std::vector<Held> held_ ABSL_GUARDED_BY(mutex_);
  int in_flight_ ABSL_GUARDED_BY(mutex_) = 0;
  int max_in_flight_ ABSL_GUARDED_BY(mutex_) = 0;
};

// What a callback received: empty until it runs; counts its runs.
struct Outcome {
  std::optional<absl::StatusOr<Response>> result;
  int calls = 0;
};

Request MakeRequest(std::string_view target, std::string body = "") {
  Request request;
  request.method(body.empty() ? beast_http::verb::get : beast_http::verb::post);
  request.target(boost::beast::string_view(target.data(), target.size()));
  request.body() = std::move(body);
  return request;
}

// A port nothing listens on: bound, then released.
uint16_t UnusedPort() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address(kHost), 0));
  return acceptor.local_endpoint().port();
}

// The pool runs on io_, which the test thread runs: it is the pool's "cluster thread".
class HttpClientPoolTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions options = {}) {
    options.threads = 2;
    server_ = std::make_unique<HttpServer>(options, handler_, stats_, "upstream");
    ASSERT_THAT(server_->Start(), IsOk());
  }
  uint16_t port() const { return server_->port(); }

  int64_t ServerConnections() const {
    return stats_.ValueOf("listener.connections_total", {{"listener", "upstream"}});
  }

  // Runs io_ on this thread until `condition` holds; false after `limit`.
  bool RunUntil(const std::function<bool()>& condition, absl::Duration limit = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + limit;
    while (!condition()) {
      if (absl::Now() > deadline) return false;
      io_.run_one_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  void RunFor(absl::Duration duration) {
    RunUntil([] { return false; }, duration);
  }

  std::shared_ptr<Outcome> SendAsync(HttpClientPool& pool, const std::string& host, uint16_t port,
                                     Request request, absl::Duration timeout = absl::Seconds(10)) {
    auto outcome = std::make_shared<Outcome>();
    pool.Send(host, port, std::move(request), timeout, [outcome](absl::StatusOr<Response> result) {
      ++outcome->calls;
      outcome->result.emplace(std::move(result));
    });
    return outcome;
  }

  absl::StatusOr<Response> SendAndWait(HttpClientPool& pool, const std::string& host, uint16_t port,
                                       Request request,
                                       absl::Duration timeout = absl::Seconds(10)) {
    std::shared_ptr<Outcome> outcome = SendAsync(pool, host, port, std::move(request), timeout);
    if (!RunUntil([&] { return outcome->result.has_value(); })) {
      return absl::InternalError("the callback never ran");
    }
    EXPECT_EQ(outcome->calls, 1);
    return *std::move(outcome->result);
  }

  // Declared before server_, which uses them: they outlive it.
  RecordingHandler handler_;
  stats::StatsStore stats_;
  std::unique_ptr<HttpServer> server_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
};

TEST_F(HttpClientPoolTest, ReusesOneKeptAliveConnectionForSequentialRequests) {
  StartServer();
  HttpClientPool pool(io_, {});
  for (int i = 0; i < 10; ++i) {
    const std::string body = "request " + std::to_string(i);
    absl::StatusOr<Response> response = SendAndWait(pool, kHost, port(), MakeRequest("/", body));
    ASSERT_THAT(response, IsOk());
    EXPECT_EQ(response->result_int(), 200u);
    EXPECT_EQ(response->body(), body);
    EXPECT_TRUE(response->keep_alive());
  }
  EXPECT_EQ(pool.open_connections(), 1u);
  EXPECT_EQ(handler_.peers().size(), 1u);
  EXPECT_EQ(ServerConnections(), 1);
  const std::vector<RecordingHandler::Received> received = handler_.received();
  ASSERT_EQ(received.size(), 10u);
  EXPECT_EQ(received[0].host_header, "127.0.0.1:" + std::to_string(port()));
}

TEST_F(HttpClientPoolTest, CapsConnectionsPerEndpointAndQueuesTheRestInOrder) {
  StartServer();
  HttpClientOptions options;
  options.max_connections_per_endpoint = 3;
  HttpClientPool pool(io_, options);
  std::vector<std::shared_ptr<Outcome>> outcomes;
  for (int i = 0; i < 10; ++i) {
    outcomes.push_back(SendAsync(pool, kHost, port(), MakeRequest("/hold", std::to_string(i))));
  }
  EXPECT_EQ(pool.open_connections(), 3u);
  ASSERT_TRUE(RunUntil([&] { return handler_.held() == 3; }));
  RunFor(absl::Milliseconds(200));  // a fourth request would arrive meanwhile
  std::vector<RecordingHandler::Received> received = handler_.received();
  ASSERT_EQ(received.size(), 3u);
  std::set<std::string> first_bodies;
  for (const RecordingHandler::Received& request : received) first_bodies.insert(request.body);
  EXPECT_EQ(first_bodies, (std::set<std::string>{"0", "1", "2"}));

  ASSERT_TRUE(RunUntil([&] {
    handler_.ReleaseHeld();
    return std::all_of(outcomes.begin(), outcomes.end(),
                       [](const auto& outcome) { return outcome->result.has_value(); });
  }));
  for (int i = 0; i < 10; ++i) {
    ASSERT_THAT(*outcomes[i]->result, IsOk());
    EXPECT_EQ((*outcomes[i]->result)->body(), std::to_string(i));
    EXPECT_EQ(outcomes[i]->calls, 1);
  }
  EXPECT_EQ(handler_.max_in_flight(), 3);
  EXPECT_EQ(ServerConnections(), 3);
  EXPECT_EQ(pool.open_connections(), 3u);
}

TEST_F(HttpClientPoolTest, KeepsSeparatePoolsPerEndpoint) {
  StartServer();
  HttpClientPool pool(io_, {});
  ASSERT_THAT(SendAndWait(pool, kHost, port(), MakeRequest("/")), IsOk());
  ASSERT_THAT(SendAndWait(pool, "localhost", port(), MakeRequest("/")), IsOk());
  EXPECT_EQ(pool.open_connections(), 2u);
}

TEST_F(HttpClientPoolTest, FailsWithDeadlineExceededWhenTheServerDoesNotAnswerInTime) {
  StartServer();
  HttpClientPool pool(io_, {});
  const absl::Time start = absl::Now();
  absl::StatusOr<Response> response =
      SendAndWait(pool, kHost, port(), MakeRequest("/hold"), absl::Milliseconds(300));
  EXPECT_THAT(response, StatusIs(absl::StatusCode::kDeadlineExceeded,
                                 HasSubstr("timed out after 300ms (awaiting the response)")));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
  // Its answer could still come on that connection: it is closed, not reused.
  EXPECT_EQ(pool.open_connections(), 0u);

  handler_.ReleaseHeld();  // too late: the server drops it
  absl::StatusOr<Response> next = SendAndWait(pool, kHost, port(), MakeRequest("/", "next"));
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->body(), "next");
}

TEST_F(HttpClientPoolTest, FailsAQueuedRequestWhoseDeadlinePassesWhileItWaitsForAConnection) {
  StartServer();
  HttpClientOptions options;
  options.max_connections_per_endpoint = 1;
  HttpClientPool pool(io_, options);
  std::shared_ptr<Outcome> first = SendAsync(pool, kHost, port(), MakeRequest("/hold"));
  std::shared_ptr<Outcome> queued =
      SendAsync(pool, kHost, port(), MakeRequest("/", "queued"), absl::Milliseconds(100));
  ASSERT_TRUE(RunUntil([&] { return queued->result.has_value(); }));
  EXPECT_THAT(*queued->result, StatusIs(absl::StatusCode::kDeadlineExceeded,
                                        HasSubstr("(waiting for a connection)")));
  EXPECT_FALSE(first->result.has_value());

  ASSERT_TRUE(RunUntil([&] { return handler_.held() == 1; }));
  handler_.ReleaseHeld();
  ASSERT_TRUE(RunUntil([&] { return first->result.has_value(); }));
  ASSERT_THAT(*first->result, IsOk());
  EXPECT_EQ((*first->result)->body(), "");
  EXPECT_EQ(handler_.received().size(), 1u);  // the expired one was never sent
}

TEST_F(HttpClientPoolTest, FailsWithUnavailableWhenNothingListens) {
  HttpClientPool pool(io_, {});
  const uint16_t unused = UnusedPort();
  absl::StatusOr<Response> response = SendAndWait(pool, kHost, unused, MakeRequest("/"));
  EXPECT_THAT(response, StatusIs(absl::StatusCode::kUnavailable,
                                 HasSubstr("connect to 127.0.0.1:" + std::to_string(unused))));
  EXPECT_EQ(pool.open_connections(), 0u);
}

TEST_F(HttpClientPoolTest, FailsWithUnavailableWhenTheNameDoesNotResolve) {
  HttpClientOptions options;
  options.connect_timeout = absl::Seconds(3);  // should the resolver itself hang
  HttpClientPool pool(io_, options);
  absl::StatusOr<Response> response =
      SendAndWait(pool, "no-such-host.invalid", 80, MakeRequest("/"));
  EXPECT_THAT(response,
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("no-such-host.invalid")));
}

TEST_F(HttpClientPoolTest, ResolvesLocalhost) {
  StartServer();
  HttpClientPool pool(io_, {});
  absl::StatusOr<Response> response =
      SendAndWait(pool, "localhost", port(), MakeRequest("/", "by name"));
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->body(), "by name");
  EXPECT_EQ(handler_.received()[0].host_header, "localhost:" + std::to_string(port()));
}

TEST_F(HttpClientPoolTest, DropsAnIdleConnectionTheServerClosesAndOpensANewOne) {
  HttpServerOptions server_options;
  server_options.idle_timeout = absl::Milliseconds(100);
  StartServer(server_options);
  HttpClientPool pool(io_, {});
  ASSERT_THAT(SendAndWait(pool, kHost, port(), MakeRequest("/", "first")), IsOk());
  EXPECT_EQ(pool.open_connections(), 1u);
  ASSERT_TRUE(RunUntil([&] { return pool.open_connections() == 0; }));

  absl::StatusOr<Response> response = SendAndWait(pool, kHost, port(), MakeRequest("/", "second"));
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->body(), "second");
  EXPECT_EQ(ServerConnections(), 2);
}

TEST_F(HttpClientPoolTest, ReplacesAnIdleConnectionClosedBeforeThePoolNoticed) {
  HttpServerOptions server_options;
  server_options.idle_timeout = absl::Milliseconds(100);
  StartServer(server_options);
  HttpClientPool pool(io_, {});
  ASSERT_THAT(SendAndWait(pool, kHost, port(), MakeRequest("/", "first")), IsOk());
  // io_ does not run meanwhile, so the pool has not seen the close when the next request
  // takes the connection.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (stats_.ValueOf("listener.connections_active", {{"listener", "upstream"}}) != 0 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  absl::SleepFor(absl::Milliseconds(50));  // for the FIN to arrive
  EXPECT_EQ(pool.open_connections(), 1u);

  absl::StatusOr<Response> response = SendAndWait(pool, kHost, port(), MakeRequest("/", "second"));
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->body(), "second");
  EXPECT_EQ(ServerConnections(), 2);
}

TEST_F(HttpClientPoolTest, OpensANewConnectionAfterAnAnswerThatClosesIt) {
  StartServer();
  HttpClientPool pool(io_, {});
  absl::StatusOr<Response> closing = SendAndWait(pool, kHost, port(), MakeRequest("/close", "x"));
  ASSERT_THAT(closing, IsOk());
  EXPECT_FALSE(closing->keep_alive());
  EXPECT_EQ(pool.open_connections(), 0u);
  ASSERT_THAT(SendAndWait(pool, kHost, port(), MakeRequest("/", "y")), IsOk());
  EXPECT_EQ(ServerConnections(), 2);
}

TEST_F(HttpClientPoolTest, ReturnsAnAnswerTheServerSendsBeforeReadingTheWholeRequest) {
  HttpServerOptions server_options;
  server_options.max_body_bytes = 1024;
  StartServer(server_options);
  HttpClientPool pool(io_, {});
  // Far more than socket buffers hold: the 413 arrives while the body is still being written.
  absl::StatusOr<Response> response = SendAndWait(
      pool, kHost, port(), MakeRequest("/", std::string(std::size_t{16} * 1024 * 1024, 'x')));
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->result_int(), 413u);
  EXPECT_EQ(pool.open_connections(), 0u);
}

TEST_F(HttpClientPoolTest, ShutdownCancelsQueuedAndInFlightRequests) {
  StartServer();
  HttpClientOptions options;
  options.max_connections_per_endpoint = 1;
  HttpClientPool pool(io_, options);
  std::vector<std::shared_ptr<Outcome>> outcomes;
  outcomes.push_back(SendAsync(pool, kHost, port(), MakeRequest("/hold")));
  outcomes.push_back(SendAsync(pool, kHost, port(), MakeRequest("/", "queued 1")));
  outcomes.push_back(SendAsync(pool, kHost, port(), MakeRequest("/", "queued 2")));
  ASSERT_TRUE(RunUntil([&] { return handler_.held() == 1; }));

  pool.Shutdown();
  for (const std::shared_ptr<Outcome>& outcome : outcomes) {
    ASSERT_TRUE(outcome->result.has_value());  // before Shutdown returned
    EXPECT_THAT(*outcome->result, StatusIs(absl::StatusCode::kCancelled, HasSubstr("shut down")));
  }
  EXPECT_EQ(pool.open_connections(), 0u);

  std::shared_ptr<Outcome> late = SendAsync(pool, kHost, port(), MakeRequest("/"));
  EXPECT_FALSE(late->result.has_value());  // never from within Send
  ASSERT_TRUE(RunUntil([&] { return late->result.has_value(); }));
  EXPECT_THAT(*late->result, StatusIs(absl::StatusCode::kCancelled, HasSubstr("shut down")));
  // Handlers still pending on io_ for the abandoned connection find nothing to do.
  io_.poll();
  for (const std::shared_ptr<Outcome>& outcome : outcomes) EXPECT_EQ(outcome->calls, 1);
}

TEST_F(HttpClientPoolTest, DestroyingThePoolCancelsWhatIsPending) {
  StartServer();
  std::shared_ptr<Outcome> outcome;
  {
    HttpClientPool pool(io_, {});
    outcome = SendAsync(pool, kHost, port(), MakeRequest("/hold"));
    ASSERT_TRUE(RunUntil([&] { return handler_.held() == 1; }));
  }
  ASSERT_TRUE(outcome->result.has_value());
  EXPECT_THAT(*outcome->result, StatusIs(absl::StatusCode::kCancelled, HasSubstr("shut down")));
  io_.poll();  // the abandoned connection's handlers run after the pool is gone
  EXPECT_EQ(outcome->calls, 1);
}

TEST_F(HttpClientPoolTest, RejectsAnEmptyHostOrPortZero) {
  HttpClientPool pool(io_, {});
  EXPECT_THAT(SendAndWait(pool, "", 80, MakeRequest("/")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs a host and a port")));
  EXPECT_THAT(SendAndWait(pool, kHost, 0, MakeRequest("/")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs a host and a port")));
}

}  // namespace
}  // namespace chaukas::http
