#include "gateway/http/http_server.h"

#include <exception>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "gateway/common/json_escape.h"
#include "gateway/common/log.h"
#include "gateway/common/status_macros.h"
#include "gateway/http/http_session.h"
#include "gateway/http/tls_server_context.h"

namespace chaukas::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

constexpr absl::Duration kAcceptRetryDelay = absl::Milliseconds(100);

std::string HostPort(const std::string& host, uint16_t port) {
  return host.find(':') == std::string::npos ? absl::StrCat(host, ":", port)
                                             : absl::StrCat("[", host, "]:", port);
}

}  // namespace

// One io_context, run by one thread, and the connections that live on it.
struct HttpServer::Worker {
  // Responders may outlive the server: their mailbox must let go of `context` first.
  ~Worker() { mailbox->Close(); }

  // Declared before `context`, whose destruction may end sessions that remove themselves here.
  SessionRegistry sessions;
  asio::io_context context{1};  // the concurrency hint: a single thread runs it
  const std::shared_ptr<WorkerMailbox> mailbox = std::make_shared<WorkerMailbox>(context);

  void StartSession(tcp::socket socket, const ListenerContext& listener) {
    if (sessions.closed()) return;  // Stop got here first; `socket` closes
    std::make_shared<HttpSession>(std::move(socket), listener, sessions, mailbox)->Start();
  }

  // The thread's body: returns once the context has no work left (see Acceptor).
  void Run() {
    for (;;) {
      try {
        context.run();
        return;
      } catch (const std::exception& e) {  // e.g. bad_alloc inside Beast; keep serving
        Log(LogLevel::kError, absl::StrCat("HTTP I/O thread caught: ", e.what()));
      }
    }
  }
};

// Accepts on the first worker's io_context and hands each connection to the next worker in
// turn. While open it holds work on every worker, so that a worker keeps running as long as
// a connection may still come its way; Close releases them.
class HttpServer::Acceptor {
 public:
  Acceptor(const std::vector<std::unique_ptr<Worker>>& workers, const ListenerContext& listener)
      : workers_(workers),
        listener_(listener),
        acceptor_(workers.front()->context),
        retry_timer_(workers.front()->context) {
    for (const auto& worker : workers) work_.push_back(asio::make_work_guard(worker->context));
  }

  // Binds and listens; returns the bound port.
  [[nodiscard]] absl::StatusOr<uint16_t> Listen(const std::string& host, uint16_t port) {
    const std::string address = HostPort(host, port);
    beast::error_code ec;
    const asio::ip::address ip = asio::ip::make_address(host, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot listen on ", address, ": the host is not an IP address"));
    }
    const tcp::endpoint endpoint(ip, port);
    tcp::endpoint bound;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) bound = acceptor_.local_endpoint(ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ", ec.message()));
    }
    return bound.port();
  }

  void Start() { DoAccept(); }

  // Runs on the first worker's thread, like every other use of the acceptor.
  void Close() {
    beast::error_code ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel();
    work_.clear();
  }

 private:
  void DoAccept() {
    Worker& worker = *workers_[next_worker_];
    next_worker_ = (next_worker_ + 1) % workers_.size();
    acceptor_.async_accept(worker.context,
                           [this, &worker](beast::error_code ec, tcp::socket socket) {
                             OnAccept(worker, ec, std::move(socket));
                           });
  }

  void OnAccept(Worker& worker, beast::error_code ec, tcp::socket socket) {
    if (!acceptor_.is_open()) return;  // closed by Stop
    if (ec) {
      // Beast's example stops accepting here; a gateway must outlive EMFILE and the like.
      listener_.stats.accept_errors.Inc();
      Log(LogLevel::kWarning, absl::StrCat("listener ", listener_.name, ": accept failed: ",
                                           ec.message(), "; retrying in 100 ms"));
      retry_timer_.expires_after(absl::ToChronoMilliseconds(kAcceptRetryDelay));
      retry_timer_.async_wait([this](beast::error_code timer_ec) {
        if (!timer_ec && acceptor_.is_open()) DoAccept();
      });
      return;
    }
    asio::post(worker.context,
               [&worker, &listener = listener_, socket = std::move(socket)]() mutable {
                 worker.StartSession(std::move(socket), listener);
               });
    DoAccept();
  }

  const std::vector<std::unique_ptr<Worker>>& workers_;
  const ListenerContext& listener_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  size_t next_worker_ = 0;
};

HttpServer::HttpServer(HttpServerOptions options, RequestHandler& handler, stats::StatsStore& stats,
                       std::string stats_name)
    : options_(std::move(options)),
      listener_(std::make_unique<ListenerContext>(ListenerContext{
          options_, handler, ListenerStats(stats, stats_name, options_.tls.has_value()),
          std::move(stats_name)})) {}

HttpServer::~HttpServer() { Stop(); }

absl::Status HttpServer::Start() {
  absl::MutexLock lock(&mutex_);
  if (state_ != State::kNew) {
    return absl::FailedPreconditionError("HttpServer::Start: a server starts only once");
  }
  state_ = State::kStopped;  // until it has started
  if (options_.threads < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("HttpServer threads must be at least 1, got ", options_.threads));
  }
  if (options_.tls.has_value()) {
    CHAUKAS_ASSIGN_OR_RETURN(listener_->tls, MakeServerTlsContext(*options_.tls));
  }
  for (int i = 0; i < options_.threads; ++i) workers_.push_back(std::make_unique<Worker>());
  acceptor_ = std::make_unique<Acceptor>(workers_, *listener_);
  CHAUKAS_ASSIGN_OR_RETURN(port_, acceptor_->Listen(options_.host, options_.port));
  acceptor_->Start();
  for (const auto& worker : workers_) threads_.emplace_back([&w = *worker] { w.Run(); });
  state_ = State::kRunning;
  return absl::OkStatus();
}

void HttpServer::Stop() {
  absl::MutexLock lock(&mutex_);
  if (state_ == State::kRunning) StopRunning();
  state_ = State::kStopped;
}

void HttpServer::StopRunning() {
  // Each step runs on the thread that owns what it touches. A worker's thread returns once
  // the acceptor has released its context and the last connection on it has ended.
  asio::post(workers_.front()->context, [this] { acceptor_->Close(); });
  for (const auto& worker : workers_) {
    asio::post(worker->context, [&w = *worker] { w.sessions.CloseAll(); });
  }
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  // Answers sent from now on are dropped rather than queued on contexts nobody runs.
  for (const auto& worker : workers_) worker->mailbox->Close();
}

void RequestHandler::HandleAsync(Request request, const ConnectionInfo& connection,
                                 Responder responder) {
  Response response;
  response.version(request.version());
  response.keep_alive(request.keep_alive());
  Handle(request, connection, response);
  std::move(responder).Send(std::move(response));
}

void SetJsonError(Response& response, boost::beast::http::status status, std::string_view message) {
  response.result(status);
  response.set(boost::beast::http::field::content_type, "application/json");
  std::string body =
      absl::StrCat(R"({"error":{"code":)", static_cast<unsigned>(status), R"(,"message":)");
  AppendJsonString(message, body);
  body += "}}";
  response.body() = std::move(body);
}

}  // namespace chaukas::http
