#include "gateway/http/http_server.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/write.hpp"
#include "gateway/stats/stats_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/http_test_client.h"
#include "tests/support/status_matchers.h"

namespace chaukas::http {
namespace {

using ::chaukas::testing::HttpTestClient;
using ::chaukas::testing::HttpTestResponse;
using ::chaukas::testing::IsOk;
using ::chaukas::testing::SendRawHttp;
using ::chaukas::testing::StatusIs;
using ::testing::_;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

namespace beast_http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

constexpr char kHost[] = "127.0.0.1";

// "/echo" answers the request body, "/status/<code>" answers that code, "/throw" throws;
// anything else answers "ok".
class TestHandler : public RequestHandler {
 public:
  void Handle(const Request& request, const ConnectionInfo& connection,
              Response& response) override {
    const std::string target(request.target());
    {
      absl::MutexLock lock(&mutex_);
      ++calls_;
      last_body_ = request.body();
      last_peer_ = connection.peer;
    }
    if (target == "/throw") throw std::runtime_error("handler failure for the test");
    response.set(beast_http::field::content_type, "text/plain");
    if (target.starts_with("/status/")) {
      response.result(std::stoi(target.substr(std::string("/status/").size())));
    } else if (target == "/echo") {
      response.body() = request.body();
    } else {
      response.body() = "ok";
    }
  }

  int calls() const {
    absl::MutexLock lock(&mutex_);
    return calls_;
  }
  std::string last_body() const {
    absl::MutexLock lock(&mutex_);
    return last_body_;
  }
  std::string last_peer() const {
    absl::MutexLock lock(&mutex_);
    return last_peer_;
  }

 private:
  mutable absl::Mutex mutex_;
  int calls_ ABSL_GUARDED_BY(mutex_) = 0;
  std::string last_body_ ABSL_GUARDED_BY(mutex_);
  std::string last_peer_ ABSL_GUARDED_BY(mutex_);
};

// Answers through HandleAsync: "/later/<ms>" echoes the body after <ms> milliseconds from one of
// its own threads; "/hold" keeps the Responder until the test answers or drops it; "/drop"
// destroys it unsent; "/throw" throws while holding it; anything else goes to Handle, which
// answers "sync" at once.
class DeferringHandler : public RequestHandler {
 public:
  explicit DeferringHandler(int answer_threads = 2) {
    for (int i = 0; i < answer_threads; ++i) threads_.emplace_back([this] { AnswerLoop(); });
  }
  ~DeferringHandler() override {
    {
      absl::MutexLock lock(&mutex_);
      stopping_ = true;
    }
    for (std::thread& thread : threads_) thread.join();
  }

  void Handle(const Request& /*request*/, const ConnectionInfo& /*connection*/,
              Response& response) override {
    response.body() = "sync";
  }

  void HandleAsync(Request request, const ConnectionInfo& connection,
                   Responder responder) override {
    const std::string target(request.target());
    if (target.starts_with("/later/")) {
      const int delay_ms = std::stoi(target.substr(std::string("/later/").size()));
      absl::MutexLock lock(&mutex_);
      later_.push_back({absl::Now() + absl::Milliseconds(delay_ms), std::move(request.body()),
                        std::move(responder)});
    } else if (target == "/hold") {
      absl::MutexLock lock(&mutex_);
      held_.push_back(std::move(responder));
    } else if (target == "/throw") {
      throw std::runtime_error("asynchronous handler failure for the test");
    } else if (target != "/drop") {
      RequestHandler::HandleAsync(std::move(request), connection, std::move(responder));
    }
  }

  int held() const {
    absl::MutexLock lock(&mutex_);
    return static_cast<int>(held_.size());
  }
  // Answers the oldest held request with `body`, from the calling thread.
  void AnswerHeld(const std::string& body) {
    Responder responder = TakeHeld();
    Response response;
    response.body() = body;
    std::move(responder).Send(std::move(response));
  }
  Responder TakeHeld() {
    absl::MutexLock lock(&mutex_);
    Responder responder = std::move(held_.front());
    held_.pop_front();
    return responder;
  }

 private:
  struct LaterAnswer {
    absl::Time due;
    std::string body;
    Responder responder;
  };

  void AnswerLoop() {
    for (;;) {
      std::optional<LaterAnswer> answer;
      {
        absl::MutexLock lock(&mutex_);
        mutex_.Await(absl::Condition(
            +[](DeferringHandler* self) { return self->stopping_ || !self->later_.empty(); },
            this));
        if (later_.empty()) return;  // stopping
        answer.emplace(std::move(later_.front()));
        later_.pop_front();
      }
      absl::SleepFor(answer->due - absl::Now());
      Response response;
      response.set(beast_http::field::content_type, "text/plain");
      response.body() = std::move(answer->body);
      std::move(answer->responder).Send(std::move(response));
    }
  }

  mutable absl::Mutex mutex_;
  std::deque<LaterAnswer> later_ ABSL_GUARDED_BY(mutex_);
  std::deque<Responder> held_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<std::thread> threads_;
};

// For effects that land on a server thread after the client already has its answer (a
// session ending, a histogram recorded after the write): polls for up to 10 s.
bool Eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Takes every file descriptor the process may still open, under a lowered soft limit;
// closes them and restores the limit on destruction.
class FileDescriptorExhaustion {
 public:
  FileDescriptorExhaustion() {
    getrlimit(RLIMIT_NOFILE, &original_limit_);
    const int first = ::open("/dev/null", O_RDONLY);
    fds_.push_back(first);
    rlimit lowered = original_limit_;
    lowered.rlim_cur = static_cast<rlim_t>(first) + 16;
    setrlimit(RLIMIT_NOFILE, &lowered);
    for (int fd = ::dup(first); fd >= 0; fd = ::dup(first)) fds_.push_back(fd);
  }
  ~FileDescriptorExhaustion() {
    for (int fd : fds_) ::close(fd);
    setrlimit(RLIMIT_NOFILE, &original_limit_);
  }
  FileDescriptorExhaustion(const FileDescriptorExhaustion&) = delete;
  FileDescriptorExhaustion& operator=(const FileDescriptorExhaustion&) = delete;

  void ReleaseOne() {
    ::close(fds_.back());
    fds_.pop_back();
  }

 private:
  rlimit original_limit_{};
  std::vector<int> fds_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  std::unique_ptr<HttpServer> StartServer(const HttpServerOptions& options = {}) {
    auto server = std::make_unique<HttpServer>(options, handler_, stats_, "test");
    EXPECT_THAT(server->Start(), IsOk());
    return server;
  }

  int64_t Stat(std::string_view name, stats::Labels extra_labels = {}) const {
    stats::Labels labels = {{"listener", "test"}};
    labels.insert(labels.end(), extra_labels.begin(), extra_labels.end());
    return stats_.ValueOf(name, labels);
  }

  TestHandler handler_;
  stats::StatsStore stats_;
};

TEST_F(HttpServerTest, ReportsTheBoundPortAfterStart) {
  auto server = StartServer();
  EXPECT_NE(server->port(), 0);
}

TEST_F(HttpServerTest, AnswersSeveralRequestsOnOneKeptAliveConnection) {
  auto server = StartServer();
  HttpTestClient client(kHost, server->port());
  for (int i = 0; i < 5; ++i) {
    const std::string body = "request " + std::to_string(i);
    absl::StatusOr<HttpTestResponse> response = client.Post("/echo", body);
    ASSERT_THAT(response, IsOk());
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, body);
    EXPECT_TRUE(response->keep_alive);
    EXPECT_EQ(response->headers["content-length"], std::to_string(body.size()));
  }
  EXPECT_EQ(client.connections_opened(), 1);
  EXPECT_EQ(Stat("listener.connections_total"), 1);
}

TEST_F(HttpServerTest, ClosesTheConnectionAfterAnsweringAnHttp10Request) {
  auto server = StartServer();
  // SendRawHttp returns only once the server has closed the connection.
  absl::StatusOr<std::string> answer = SendRawHttp(kHost, server->port(), "GET / HTTP/1.0\r\n\r\n");
  ASSERT_THAT(answer, IsOk());
  EXPECT_THAT(*answer, StartsWith("HTTP/1.0 200 OK\r\n"));
  EXPECT_THAT(*answer, HasSubstr("\r\n\r\nok"));
}

TEST_F(HttpServerTest, AnswersPipelinedRequestsInOrder) {
  auto server = StartServer();
  absl::StatusOr<std::string> answer = SendRawHttp(
      kHost, server->port(),
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst"
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecond");
  ASSERT_THAT(answer, IsOk());
  const size_t first = answer->find("\r\n\r\nfirst");
  const size_t second = answer->find("\r\n\r\nsecond");
  ASSERT_NE(first, std::string::npos) << *answer;
  ASSERT_NE(second, std::string::npos) << *answer;
  EXPECT_LT(first, second);
}

TEST_F(HttpServerTest, GivesTheHandlerTheBodyAndThePeer) {
  auto server = StartServer();
  HttpTestClient client(kHost, server->port());
  ASSERT_THAT(client.Post("/echo", "{\"hello\":1}"), IsOk());
  EXPECT_EQ(handler_.last_body(), "{\"hello\":1}");
  EXPECT_THAT(handler_.last_peer(), MatchesRegex(R"(127\.0\.0\.1:[0-9]+)"));
}

TEST_F(HttpServerTest, GivesTheHandlerAChunkedBodyWithinTheLimit) {
  auto server = StartServer();
  absl::StatusOr<std::string> answer = SendRawHttp(
      kHost, server->port(),
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  ASSERT_THAT(answer, IsOk());
  EXPECT_THAT(*answer, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(handler_.last_body(), "hello world");
}

TEST_F(HttpServerTest, RefusesABodyOverMaxBodyBytesWith413AndKeepsServing) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  auto server = StartServer(options);

  // Far more than the socket buffers hold: the client reads the answer only because the
  // server drains the refused body instead of resetting the connection.
  HttpTestClient client(kHost, server->port());
  absl::StatusOr<HttpTestResponse> response =
      client.Post("/echo", std::string(std::size_t{16} * 1024 * 1024, 'x'));
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->body,
            "{\"error\":{\"code\":413,"
            "\"message\":\"request body exceeds max_body_bytes (1024 bytes)\"}}");
  EXPECT_EQ(response->headers["content-type"], "application/json");
  EXPECT_FALSE(response->keep_alive);
  EXPECT_EQ(handler_.calls(), 0);

  HttpTestClient next_client(kHost, server->port());
  absl::StatusOr<HttpTestResponse> next = next_client.Post("/echo", "small");
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, RefusesAChunkedBodyOverMaxBodyBytesWith413AndKeepsServing) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  auto server = StartServer(options);

  const std::string chunk(600, 'x');
  const std::string request =
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "258\r\n" +
      chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n";  // 0x258 = 600
  absl::StatusOr<std::string> answer = SendRawHttp(kHost, server->port(), request);
  ASSERT_THAT(answer, IsOk());
  EXPECT_THAT(*answer, StartsWith("HTTP/1.1 413 Payload Too Large\r\n"));
  EXPECT_THAT(*answer, HasSubstr(R"("code":413)"));
  EXPECT_EQ(handler_.calls(), 0);

  HttpTestClient client(kHost, server->port());
  absl::StatusOr<HttpTestResponse> next = client.Get("/");
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, RefusesAHeaderOverMaxHeaderBytesWith431) {
  HttpServerOptions options;
  options.max_header_bytes = 1024;
  auto server = StartServer(options);
  HttpTestClient client(kHost, server->port());
  absl::StatusOr<HttpTestResponse> response =
      client.Send("GET", "/", "", {{"X-Large", std::string(4096, 'a')}});
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 431);
  EXPECT_THAT(response->body, HasSubstr("max_header_bytes (1024 bytes)"));
  EXPECT_EQ(handler_.calls(), 0);
}

TEST_F(HttpServerTest, AnswersBytesThatAreNotHttpWith400AndCloses) {
  auto server = StartServer();
  absl::StatusOr<std::string> answer =
      SendRawHttp(kHost, server->port(), "\x16\x03\x01 this is no HTTP\r\n\r\n");
  ASSERT_THAT(answer, IsOk());
  EXPECT_THAT(*answer, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(*answer, HasSubstr(R"({"error":{"code":400,"message":"malformed HTTP request: )"));
  EXPECT_EQ(handler_.calls(), 0);
}

TEST_F(HttpServerTest, AnswersAThrowingHandlerWith500AndKeepsTheConnection) {
  auto server = StartServer();
  HttpTestClient client(kHost, server->port());
  absl::StatusOr<HttpTestResponse> response = client.Get("/throw");
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body, R"({"error":{"code":500,"message":"internal error"}})");

  absl::StatusOr<HttpTestResponse> next = client.Get("/");
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST_F(HttpServerTest, ServesConcurrentClientsOnSeveralThreads) {
  HttpServerOptions options;
  options.threads = 4;
  auto server = StartServer(options);
  constexpr int kClients = 8;
  constexpr int kRequestsPerClient = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      HttpTestClient client(kHost, server->port());
      for (int i = 0; i < kRequestsPerClient; ++i) {
        const std::string body = std::to_string(c) + "/" + std::to_string(i);
        absl::StatusOr<HttpTestResponse> response = client.Post("/echo", body);
        if (!response.ok() || response->status != 200 || response->body != body) ++failures;
      }
      if (client.connections_opened() != 1) ++failures;
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Stat("listener.connections_total"), kClients);
  EXPECT_EQ(Stat("listener.requests"), kClients * kRequestsPerClient);
}

TEST_F(HttpServerTest, ClosesAKeptAliveConnectionIdleLongerThanIdleTimeout) {
  HttpServerOptions options;
  options.idle_timeout = absl::Milliseconds(200);
  auto server = StartServer(options);
  HttpTestClient client(kHost, server->port());
  ASSERT_THAT(client.Get("/"), IsOk());

  EXPECT_TRUE(Eventually([&] { return Stat("listener.connections_active") == 0; }));
  absl::StatusOr<HttpTestResponse> next = client.Get("/");
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(client.connections_opened(), 2);
}

TEST_F(HttpServerTest, ClosesAConnectionWhoseRequestTakesLongerThanReadTimeout) {
  HttpServerOptions options;
  options.read_timeout = absl::Milliseconds(200);
  auto server = StartServer(options);
  absl::StatusOr<std::string> answer = SendRawHttp(
      kHost, server->port(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  ASSERT_THAT(answer, IsOk());
  EXPECT_EQ(*answer, "");
  EXPECT_EQ(handler_.calls(), 0);
}

TEST_F(HttpServerTest, StopClosesIdleAndHalfReadConnections) {
  HttpServerOptions options;
  options.threads = 2;
  options.idle_timeout = absl::Hours(1);
  options.read_timeout = absl::Hours(1);
  auto server = StartServer(options);

  HttpTestClient idle_client(kHost, server->port());
  ASSERT_THAT(idle_client.Get("/"), IsOk());
  std::vector<std::thread> half_read;
  std::atomic<int> closed_by_server{0};
  for (int i = 0; i < 3; ++i) {
    half_read.emplace_back([&] {
      absl::StatusOr<std::string> answer = SendRawHttp(
          kHost, server->port(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab");
      if (answer.ok() && answer->empty()) ++closed_by_server;
    });
  }
  ASSERT_TRUE(Eventually([&] { return Stat("listener.connections_active") == 4; }));

  // With one-hour timeouts, a Stop that waited for its connections would hang the test.
  server->Stop();
  server->Stop();
  for (std::thread& thread : half_read) thread.join();
  EXPECT_EQ(closed_by_server.load(), 3);
  EXPECT_EQ(Stat("listener.connections_active"), 0);
  idle_client.set_timeout(absl::Seconds(2));
  EXPECT_THAT(idle_client.Get("/"), StatusIs(absl::StatusCode::kUnavailable, _));
}

TEST_F(HttpServerTest, StopsCleanlyWhileClientsAreSending) {
  HttpServerOptions options;
  options.threads = 2;
  auto server = StartServer(options);
  std::atomic<bool> stopped{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      // Fresh connections as well as kept-alive ones, so Stop meets accepts in flight.
      while (!stopped.load()) {
        HttpTestClient client(kHost, server->port());
        client.set_timeout(absl::Seconds(2));
        for (int i = 0; i < 5 && client.Post("/echo", "x").ok(); ++i) {
        }
      }
    });
  }
  ASSERT_TRUE(Eventually([&] { return Stat("listener.requests") > 100; }));
  server->Stop();
  stopped = true;
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(Stat("listener.connections_active"), 0);
}

TEST_F(HttpServerTest, CountsConnectionsRequestsAndResponsesByCodeClass) {
  HttpServerOptions options;
  options.max_body_bytes = 16;
  auto server = StartServer(options);
  {
    HttpTestClient client(kHost, server->port());
    ASSERT_THAT(client.Get("/"), IsOk());
    ASSERT_THAT(client.Get("/status/404"), IsOk());
    ASSERT_THAT(client.Get("/status/503"), IsOk());
    HttpTestClient refused_client(kHost, server->port());
    ASSERT_THAT(refused_client.Post("/echo", std::string(100, 'x')), IsOk());
  }
  EXPECT_EQ(Stat("listener.connections_total"), 2);
  EXPECT_EQ(Stat("listener.requests"), 3);  // the refused one never reached the handler
  EXPECT_EQ(Stat("listener.responses", {{"code_class", "2xx"}}), 1);
  EXPECT_EQ(Stat("listener.responses", {{"code_class", "4xx"}}), 2);
  EXPECT_EQ(Stat("listener.responses", {{"code_class", "5xx"}}), 1);
  EXPECT_EQ(Stat("listener.accept_errors"), 0);
  stats::Histogram& durations =
      stats_.GetHistogram("listener.request_duration_us", {{"listener", "test"}});
  EXPECT_TRUE(Eventually([&] { return durations.snapshot().count == 3; }));
  EXPECT_TRUE(Eventually([&] { return Stat("listener.connections_active") == 0; }));
}

TEST_F(HttpServerTest, KeepsAcceptingAfterAnAcceptFailsForWantOfFileDescriptors) {
#ifdef CHAUKAS_SANITIZE
  GTEST_SKIP() << "UBSan's vptr check probes memory with pipe(), so with no descriptor left "
                  "it reports a valid object as having an invalid vptr";
#endif
  auto server = StartServer();
  boost::asio::io_context io;
  tcp::socket pending(io);
  {
    FileDescriptorExhaustion exhaustion;
    exhaustion.ReleaseOne();
    // The client takes the last descriptor, so the server's accept fails with EMFILE.
    boost::system::error_code ec;
    pending.connect(tcp::endpoint(boost::asio::ip::make_address(kHost), server->port()), ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_TRUE(Eventually([&] { return Stat("listener.accept_errors") > 0; }));
  }
  // Descriptors are back: the server accepts the waiting connection and new ones.
  EXPECT_TRUE(Eventually([&] { return Stat("listener.connections_total") == 1; }));
  HttpTestClient client(kHost, server->port());
  absl::StatusOr<HttpTestResponse> response = client.Get("/");
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 200);
}

TEST_F(HttpServerTest, FailsToStartOnAnAddressInUseNamingTheAddress) {
  auto server = StartServer();
  HttpServerOptions options;
  options.port = server->port();
  HttpServer second(options, handler_, stats_, "second");
  EXPECT_THAT(second.Start(), StatusIs(absl::StatusCode::kUnavailable,
                                       HasSubstr("127.0.0.1:" + std::to_string(server->port()))));
}

TEST_F(HttpServerTest, FailsToStartOnAHostThatIsNotAnIpAddress) {
  HttpServerOptions options;
  options.host = "not-an-address";
  HttpServer server(options, handler_, stats_, "test");
  EXPECT_THAT(server.Start(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not-an-address:0")));
}

class HttpServerDeferredAnswerTest : public ::testing::Test {
 protected:
  std::unique_ptr<HttpServer> StartServer(const HttpServerOptions& options = {}) {
    auto server = std::make_unique<HttpServer>(options, handler_, stats_, "test");
    EXPECT_THAT(server->Start(), IsOk());
    return server;
  }

  int64_t Stat(std::string_view name) const { return stats_.ValueOf(name, {{"listener", "test"}}); }

  stats::StatsStore stats_;
  DeferringHandler handler_;  // declared after stats_: its threads end before the store goes
};

TEST_F(HttpServerDeferredAnswerTest, WritesAnAnswerSentLaterFromAnotherThread) {
  auto server = StartServer();
  HttpTestClient client(kHost, server->port());
  absl::StatusOr<HttpTestResponse> response = client.Post("/later/100", "deferred", "text/plain");
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "deferred");
  EXPECT_EQ(response->headers["content-length"], "8");
  EXPECT_TRUE(response->keep_alive);
  // request_duration_us runs until the answer is written, so it covers the handler's delay.
  stats::Histogram& durations =
      stats_.GetHistogram("listener.request_duration_us", {{"listener", "test"}});
  ASSERT_TRUE(Eventually([&] { return durations.snapshot().count == 1; }));
  EXPECT_GE(durations.snapshot().sum, 100'000u);
  EXPECT_EQ(stats_.ValueOf("listener.responses", {{"listener", "test"}, {"code_class", "2xx"}}), 1);
}

TEST_F(HttpServerDeferredAnswerTest, KeepsTheConnectionAliveAcrossDeferredAnswers) {
  auto server = StartServer();
  HttpTestClient client(kHost, server->port());
  for (int i = 0; i < 6; ++i) {
    const std::string body = "request " + std::to_string(i);
    // Deferred and synchronous answers alternate on the one connection.
    absl::StatusOr<HttpTestResponse> response =
        i % 2 == 0 ? client.Post("/later/10", body) : client.Get("/");
    ASSERT_THAT(response, IsOk());
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, i % 2 == 0 ? body : "sync");
    EXPECT_TRUE(response->keep_alive);
  }
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST_F(HttpServerDeferredAnswerTest, ReadsAPipelinedRequestOnlyAfterTheDeferredAnswer) {
  auto server = StartServer();
  absl::StatusOr<std::string> answer =
      SendRawHttp(kHost, server->port(),
                  "POST /later/100 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nslow"
                  "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_THAT(answer, IsOk());
  const size_t slow = answer->find("\r\n\r\nslow");
  const size_t sync = answer->find("\r\n\r\nsync");
  ASSERT_NE(slow, std::string::npos) << *answer;
  ASSERT_NE(sync, std::string::npos) << *answer;
  EXPECT_LT(slow, sync);
}

TEST_F(HttpServerDeferredAnswerTest, GivesADeferredAnswerTheVersionAndKeepAliveOfTheRequest) {
  auto server = StartServer();
  absl::StatusOr<std::string> answer =
      SendRawHttp(kHost, server->port(), "GET /later/10 HTTP/1.0\r\n\r\n");
  ASSERT_THAT(answer, IsOk());
  EXPECT_THAT(*answer, StartsWith("HTTP/1.0 200 OK\r\n"));  // and the server closed it
}

TEST_F(HttpServerDeferredAnswerTest, AnswersARequestDroppedWithoutAnAnswerWith500) {
  auto server = StartServer();
  HttpTestClient client(kHost, server->port());
  absl::StatusOr<HttpTestResponse> response = client.Get("/drop");
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body,
            R"({"error":{"code":500,"message":"internal error: the request was dropped without )"
            R"(an answer"}})");

  absl::StatusOr<HttpTestResponse> next = client.Get("/");
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->body, "sync");
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST_F(HttpServerDeferredAnswerTest, AnswersARequestDroppedLaterFromAnotherThreadWith500) {
  auto server = StartServer();
  std::thread dropper([&] {
    ASSERT_TRUE(Eventually([&] { return handler_.held() == 1; }));
    handler_.TakeHeld();  // destroyed unsent
  });
  HttpTestClient client(kHost, server->port());
  absl::StatusOr<HttpTestResponse> response = client.Get("/hold");
  dropper.join();
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 500);
  EXPECT_THAT(response->body, HasSubstr("dropped without an answer"));
}

TEST_F(HttpServerDeferredAnswerTest, AnswersAHandlerThatThrowsWhileHoldingTheResponderWith500) {
  auto server = StartServer();
  HttpTestClient client(kHost, server->port());
  absl::StatusOr<HttpTestResponse> response = client.Get("/throw");
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body, R"({"error":{"code":500,"message":"internal error"}})");
  absl::StatusOr<HttpTestResponse> next = client.Get("/");
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->body, "sync");
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST_F(HttpServerDeferredAnswerTest, DropsAnAnswerSentAfterTheClientDisconnected) {
  auto server = StartServer();
  {
    boost::asio::io_context io;
    tcp::socket socket(io);
    boost::system::error_code ec;
    socket.connect(tcp::endpoint(boost::asio::ip::make_address(kHost), server->port()), ec);
    ASSERT_FALSE(ec) << ec.message();
    const std::string request = "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n";
    boost::asio::write(socket, boost::asio::buffer(request), ec);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_TRUE(Eventually([&] { return handler_.held() == 1; }));
  }  // the client hangs up before the answer
  handler_.AnswerHeld("too late");
  EXPECT_TRUE(Eventually([&] { return Stat("listener.connections_active") == 0; }));

  HttpTestClient client(kHost, server->port());
  absl::StatusOr<HttpTestResponse> response = client.Get("/");
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->body, "sync");
}

TEST_F(HttpServerDeferredAnswerTest, StopClosesRequestsAwaitingAnswersAndDropsLaterAnswers) {
  HttpServerOptions options;
  options.threads = 2;
  auto server = StartServer(options);
  std::vector<std::thread> clients;
  std::atomic<int> closed_by_server{0};
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back([&] {
      HttpTestClient client(kHost, server->port());
      if (client.Get("/hold").status().code() == absl::StatusCode::kUnavailable) {
        ++closed_by_server;
      }
    });
  }
  ASSERT_TRUE(Eventually([&] { return handler_.held() == 3; }));

  server->Stop();  // would hang if it waited for the answers
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(closed_by_server.load(), 3);
  EXPECT_EQ(Stat("listener.connections_active"), 0);

  handler_.AnswerHeld("after stop");
  server.reset();
  handler_.AnswerHeld("after the server is gone");
  handler_.TakeHeld();  // and one dropped unsent
}

TEST_F(HttpServerDeferredAnswerTest, AnswersManyConcurrentDeferredRequestsOnSeveralThreads) {
  HttpServerOptions options;
  options.threads = 4;
  auto server = StartServer(options);
  constexpr int kClients = 16;
  constexpr int kRequestsPerClient = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      HttpTestClient client(kHost, server->port());
      for (int i = 0; i < kRequestsPerClient; ++i) {
        const std::string body = std::to_string(c) + "/" + std::to_string(i);
        const std::string target = i % 5 == 4 ? "/echo-sync" : "/later/" + std::to_string(i % 3);
        absl::StatusOr<HttpTestResponse> response = client.Post(target, body);
        const std::string expected = i % 5 == 4 ? "sync" : body;
        if (!response.ok() || response->status != 200 || response->body != expected) ++failures;
      }
      if (client.connections_opened() != 1) ++failures;
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Stat("listener.requests"), kClients * kRequestsPerClient);
}

TEST(SetJsonErrorTest, WritesTheErrorObjectWithAnEscapedMessage) {
  Response response;
  SetJsonError(response, beast_http::status::service_unavailable, "high \"memory\" usage");
  EXPECT_EQ(response.result_int(), 503u);
  EXPECT_EQ(response[beast_http::field::content_type], "application/json");
  EXPECT_EQ(response.body(), R"({"error":{"code":503,"message":"high \"memory\" usage"}})");
}

}  // namespace
}  // namespace chaukas::http
