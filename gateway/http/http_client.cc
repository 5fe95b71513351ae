#include "gateway/http/http_client.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gateway/common/host_port.h"

namespace chaukas::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr uint32_t kMaxResponseHeaderBytes = 64 * 1024;

// Arms `timer` to expire after `timeout`; false (and unarmed) for InfiniteDuration.
bool ExpireAfter(asio::steady_timer& timer, absl::Duration timeout) {
  if (timeout == absl::InfiniteDuration()) return false;
  timer.expires_after(absl::ToChronoNanoseconds(std::max(timeout, absl::ZeroDuration())));
  return true;
}

bool IsHttpError(const beast::error_code& ec) {
  return ec.category() == beast_http::make_error_code(beast_http::error::bad_method).category();
}

absl::Status ReadError(const std::string& endpoint, const beast::error_code& ec) {
  if (ec == beast_http::error::body_limit) {
    return absl::ResourceExhaustedError(absl::StrCat("response body from ", endpoint, " exceeds ",
                                                     HttpClientPool::kMaxResponseBodyBytes,
                                                     " bytes"));
  }
  if (ec == beast_http::error::end_of_stream) {
    return absl::UnavailableError(
        absl::StrCat(endpoint, " closed the connection before answering"));
  }
  if (ec == beast_http::error::partial_message) {
    return absl::UnavailableError(
        absl::StrCat(endpoint, " closed the connection in the middle of its answer"));
  }
  if (IsHttpError(ec)) {
    return absl::UnavailableError(
        absl::StrCat("malformed HTTP response from ", endpoint, ": ", ec.message()));
  }
  return absl::UnavailableError(absl::StrCat("read from ", endpoint, ": ", ec.message()));
}

}  // namespace

// One Send, from the call to its callback.
struct HttpClientPool::Call {
  Call(asio::io_context& io, Request request_to_send, absl::Duration request_timeout,
       Callback callback)
      : request(std::move(request_to_send)),
        timeout(request_timeout),
        done(std::move(callback)),
        deadline(io) {}

  // Marks the call finished and returns its callback, for the caller to run last (a callback
  // may destroy the pool).
  Callback Finish() {
    finished = true;
    deadline.cancel();
    endpoint = nullptr;
    connection = nullptr;
    return std::move(done);
  }

  void Complete(absl::StatusOr<Response> result) {
    const Callback callback = Finish();
    callback(std::move(result));
  }

  Request request;
  const absl::Duration timeout;
  Callback done;
  asio::steady_timer deadline;
  Endpoint* endpoint = nullptr;      // set while not finished
  Connection* connection = nullptr;  // the connection working on it, if any
  bool finished = false;
};

// One host:port: its connections (open, connecting or idle) and the calls waiting for one.
struct HttpClientPool::Endpoint {
  std::string host;
  uint16_t port = 0;
  std::string name;  // "host:port", for messages
  std::vector<std::shared_ptr<Connection>> connections;
  std::deque<std::shared_ptr<Call>> queue;
  bool dispatching = false;  // Dispatch is on the stack
};

// One keep-alive connection: resolves and connects, then runs one call at a time, and while
// idle watches for the server closing it. The endpoint owns it; every pending handler holds a
// shared_ptr too, so a connection the pool has let go of (closed: pool_ and endpoint_ are
// null, and the pool may be gone) lives until its handlers have run, and they do nothing.
class HttpClientPool::Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum class State { kConnecting, kIdle, kReviving, kExchanging, kClosed };

  Connection(HttpClientPool& pool, Endpoint& endpoint)
      : pool_(&pool),
        endpoint_(&endpoint),
        resolver_(pool.io_),
        socket_(pool.io_),
        connect_timer_(pool.io_) {}

  State state() const { return state_; }

  // Resolves (unless the host is an IP address) and connects, then runs `call` if it is still
  // there, or else the oldest queued call.
  void Open(std::shared_ptr<Call> call) {
    Assign(std::move(call));
    state_ = State::kConnecting;
    if (ExpireAfter(connect_timer_, pool_->options_.connect_timeout)) {
      connect_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->OnConnectTimeout();
      });
    }
    beast::error_code ec;
    const asio::ip::address address = asio::ip::make_address(endpoint_->host, ec);
    if (!ec) {
      socket_.async_connect(tcp::endpoint(address, endpoint_->port),
                            [self = shared_from_this()](beast::error_code connect_ec) {
                              self->OnConnected(connect_ec);
                            });
      return;
    }
    // Not AI_ADDRCONFIG (the default): it can hide "localhost" on a host without a network.
    resolver_.async_resolve(endpoint_->host, std::to_string(endpoint_->port),
                            tcp::resolver::numeric_service,
                            [self = shared_from_this()](beast::error_code resolve_ec,
                                                        tcp::resolver::results_type results) {
                              self->OnResolved(resolve_ec, std::move(results));
                            });
  }

  // Gives `call` to this idle connection. False, and the connection closed, when it proves
  // dead: then nothing of the call was written.
  [[nodiscard]] bool Revive(std::shared_ptr<Call> call) {
    // The idle wait may not have run yet for a close already in the kernel: peek for it.
    char byte = 0;
    beast::error_code ec;
    socket_.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
    if (ec != asio::error::would_block) {  // closed, failed, or unasked-for bytes
      Close();
      return false;
    }
    Assign(std::move(call));
    state_ = State::kReviving;
    socket_.cancel(ec);  // ends the idle wait, whose handler then starts the exchange
    return true;
  }

  // Lets go of the current call, if any.
  std::shared_ptr<Call> ReleaseCall() {
    std::shared_ptr<Call> call = std::move(call_);
    call_.reset();
    if (call) call->connection = nullptr;
    return call;
  }

  // Closes the connection and tells the pool. Release the call first.
  void Close() {
    if (state_ == State::kClosed) return;
    const std::shared_ptr<Connection> self = shared_from_this();  // the pool's may be the last
    HttpClientPool& pool = *pool_;
    Endpoint& endpoint = *endpoint_;
    Abandon();
    pool.OnConnectionClosed(endpoint, *this);
  }

  // Closes the connection without telling the pool, which is letting go of it.
  void Abandon() {
    state_ = State::kClosed;
    pool_ = nullptr;
    endpoint_ = nullptr;
    beast::error_code ignored;
    resolver_.cancel();
    connect_timer_.cancel();
    socket_.close(ignored);
  }

 private:
  void Assign(std::shared_ptr<Call> call) {
    call_ = std::move(call);
    if (call_) call_->connection = this;
  }

  // Closes the connection and fails its call, if any, with `status`.
  void Fail(absl::Status status) {
    const std::shared_ptr<Call> call = ReleaseCall();
    Close();
    if (call) call->Complete(std::move(status));
  }

  void OnConnectTimeout() {
    if (state_ != State::kConnecting) return;
    Fail(absl::UnavailableError(
        absl::StrCat("connect to ", endpoint_->name, " timed out after ",
                     absl::FormatDuration(pool_->options_.connect_timeout))));
  }

  void OnResolved(const beast::error_code& ec, tcp::resolver::results_type results) {
    if (state_ != State::kConnecting) return;
    if (ec) {
      Fail(absl::UnavailableError(absl::StrCat("resolve ", endpoint_->host, " (for ",
                                               endpoint_->name, "): ", ec.message())));
      return;
    }
    asio::async_connect(
        socket_, results,
        [self = shared_from_this()](beast::error_code connect_ec, const tcp::endpoint&) {
          self->OnConnected(connect_ec);
        });
  }

  void OnConnected(const beast::error_code& ec) {
    if (state_ != State::kConnecting) return;
    if (ec) {
      Fail(
          absl::UnavailableError(absl::StrCat("connect to ", endpoint_->name, ": ", ec.message())));
      return;
    }
    connect_timer_.cancel();
    beast::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    // For Revive's peek; asynchronous operations do not depend on it.
    socket_.non_blocking(true, ignored);
    if (!call_) Assign(pool_->NextQueued(*endpoint_));
    if (call_) {
      StartExchange();
    } else {
      WaitWhileIdle();
    }
  }

  // Writes the request and reads the answer at the same time: a server may answer (413, say)
  // and close before it has read the whole request.
  void StartExchange() {
    state_ = State::kExchanging;
    request_written_ = false;
    beast_http::async_write(socket_, call_->request,
                            [self = shared_from_this(), call = call_](
                                beast::error_code ec, std::size_t) { self->OnWritten(call, ec); });
    ReadResponse();
  }

  void ReadResponse() {
    parser_.emplace();
    parser_->body_limit(kMaxResponseBodyBytes);
    parser_->header_limit(kMaxResponseHeaderBytes);
    parser_->skip(call_->request.method() == beast_http::verb::head);
    beast_http::async_read(socket_, buffer_, *parser_,
                           [self = shared_from_this(), call = call_](
                               beast::error_code ec, std::size_t) { self->OnRead(call, ec); });
  }

  void OnWritten(const std::shared_ptr<Call>& call, const beast::error_code& ec) {
    if (state_ != State::kExchanging || call != call_) return;
    // On a write error the read, still pending, decides: the server may have answered.
    if (!ec) request_written_ = true;
  }

  void OnRead(const std::shared_ptr<Call>& call, const beast::error_code& ec) {
    if (state_ != State::kExchanging || call != call_) return;
    if (ec) {
      Fail(ReadError(endpoint_->name, ec));
      return;
    }
    const unsigned status = parser_->get().result_int();
    if (status >= 100 && status < 200 && status != 101) {  // interim: the answer follows
      ReadResponse();
      return;
    }
    Response response = parser_->release();
    parser_.reset();
    // Reused only when the exchange ended cleanly: the whole request went out, the server
    // keeps the connection, and sent nothing beyond this answer.
    const bool reusable =
        request_written_ && response.keep_alive() && !response.need_eof() && buffer_.size() == 0;
    const std::shared_ptr<Call> answered = ReleaseCall();
    if (reusable) {
      Assign(pool_->NextQueued(*endpoint_));
      if (call_) {
        StartExchange();
      } else {
        WaitWhileIdle();
      }
    } else {
      Close();
    }
    answered->Complete(std::move(response));
  }

  void WaitWhileIdle() {
    state_ = State::kIdle;
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      self->OnIdleWaitEnded(ec);
    });
  }

  void OnIdleWaitEnded(const beast::error_code& ec) {
    if (state_ == State::kIdle) {  // the server closed it, or sent what nobody asked for
      Close();
      return;
    }
    if (state_ != State::kReviving) return;      // closed
    if (ec == asio::error::operation_aborted) {  // Revive ended the wait: the connection is fine
      StartExchange();
      return;
    }
    // It died after Revive's check, before a byte of the request went out: another
    // connection takes the call, ahead of the queue.
    HttpClientPool& pool = *pool_;
    Endpoint& endpoint = *endpoint_;
    pool.Requeue(endpoint, ReleaseCall());
    Close();
  }

  HttpClientPool* pool_;  // null once closed
  Endpoint* endpoint_;    // null once closed
  tcp::resolver resolver_;
  tcp::socket socket_;
  asio::steady_timer connect_timer_;
  beast::flat_buffer buffer_;
  std::optional<beast_http::response_parser<beast_http::string_body>> parser_;
  std::shared_ptr<Call> call_;
  State state_ = State::kConnecting;
  bool request_written_ = false;
};

HttpClientPool::HttpClientPool(asio::io_context& io, HttpClientOptions options)
    : io_(io), options_(std::move(options)) {}

HttpClientPool::~HttpClientPool() { Shutdown(); }

void HttpClientPool::Send(const std::string& host, uint16_t port, Request request,
                          absl::Duration timeout, Callback done) {
  if (shut_down_) {
    FailLater(std::move(done), absl::CancelledError("the HTTP client pool is shut down"));
    return;
  }
  if (host.empty() || port == 0) {
    FailLater(std::move(done),
              absl::InvalidArgumentError(absl::StrCat("cannot send an HTTP request to \"", host,
                                                      ":", port, "\": needs a host and a port")));
    return;
  }
  Endpoint& endpoint = EndpointFor(host, port);
  request.version(11);
  request.set(beast_http::field::host, endpoint.name);
  request.keep_alive(true);
  request.prepare_payload();
  auto call = std::make_shared<Call>(io_, std::move(request), timeout, std::move(done));
  call->endpoint = &endpoint;
  if (ExpireAfter(call->deadline, timeout)) {
    // An unfinished call means a live pool: Shutdown finishes every call.
    call->deadline.async_wait([this, call](beast::error_code ec) {
      if (!ec && !call->finished) OnDeadline(call);
    });
  }
  endpoint.queue.push_back(std::move(call));
  Dispatch(endpoint);
}

void HttpClientPool::Shutdown() {
  shut_down_ = true;
  std::vector<std::shared_ptr<Call>> calls;
  for (auto& [name, endpoint] : endpoints_) {
    for (const std::shared_ptr<Connection>& connection : endpoint->connections) {
      if (std::shared_ptr<Call> call = connection->ReleaseCall()) calls.push_back(std::move(call));
      connection->Abandon();
    }
    for (std::shared_ptr<Call>& call : endpoint->queue) calls.push_back(std::move(call));
  }
  endpoints_.clear();
  // Every call is finished before any callback runs, since a callback may destroy the pool.
  std::vector<Callback> callbacks;
  for (const std::shared_ptr<Call>& call : calls) callbacks.push_back(call->Finish());
  for (const Callback& callback : callbacks) {
    callback(absl::CancelledError("the HTTP client pool was shut down"));
  }
}

size_t HttpClientPool::open_connections() const {
  size_t count = 0;
  for (const auto& [name, endpoint] : endpoints_) count += endpoint->connections.size();
  return count;
}

HttpClientPool::Endpoint& HttpClientPool::EndpointFor(const std::string& host, uint16_t port) {
  std::string name = HostPort(host, port);
  std::unique_ptr<Endpoint>& endpoint = endpoints_[name];
  if (endpoint == nullptr) {
    endpoint = std::make_unique<Endpoint>();
    endpoint->host = host;
    endpoint->port = port;
    endpoint->name = std::move(name);
  }
  return *endpoint;
}

void HttpClientPool::Dispatch(Endpoint& endpoint) {
  if (endpoint.dispatching) return;  // the Dispatch further up the stack carries on
  endpoint.dispatching = true;
  const size_t max_connections =
      static_cast<size_t>(std::max(1, options_.max_connections_per_endpoint));
  while (!endpoint.queue.empty()) {
    std::shared_ptr<Connection> idle;
    for (auto it = endpoint.connections.rbegin(); it != endpoint.connections.rend(); ++it) {
      if ((*it)->state() == Connection::State::kIdle) {
        idle = *it;
        break;
      }
    }
    if (idle == nullptr && endpoint.connections.size() >= max_connections) break;
    std::shared_ptr<Call> call = std::move(endpoint.queue.front());
    endpoint.queue.pop_front();
    if (idle != nullptr) {
      // A dead one has closed itself (and left `connections`): try the next.
      if (!idle->Revive(call)) endpoint.queue.push_front(std::move(call));
      continue;
    }
    auto connection = std::make_shared<Connection>(*this, endpoint);
    endpoint.connections.push_back(connection);
    connection->Open(std::move(call));
  }
  endpoint.dispatching = false;
}

std::shared_ptr<HttpClientPool::Call> HttpClientPool::NextQueued(Endpoint& endpoint) {
  if (endpoint.queue.empty()) return nullptr;
  std::shared_ptr<Call> call = std::move(endpoint.queue.front());
  endpoint.queue.pop_front();
  return call;
}

void HttpClientPool::Requeue(Endpoint& endpoint, std::shared_ptr<Call> call) {
  endpoint.queue.push_front(std::move(call));
}

void HttpClientPool::OnConnectionClosed(Endpoint& endpoint, const Connection& connection) {
  std::erase_if(endpoint.connections, [&connection](const std::shared_ptr<Connection>& open) {
    return open.get() == &connection;
  });
  Dispatch(endpoint);  // a slot is free for whoever waits
}

void HttpClientPool::OnDeadline(const std::shared_ptr<Call>& call) {
  Endpoint& endpoint = *call->endpoint;
  const char* stage = "waiting for a connection";
  if (Connection* connection = call->connection) {
    connection->ReleaseCall();
    if (connection->state() == Connection::State::kConnecting) {
      stage = "connecting";  // the connection goes on connecting, for the next call
    } else {
      stage = "awaiting the response";  // its answer would come on a connection now unusable
      connection->Close();
    }
  } else {
    std::erase(endpoint.queue, call);
  }
  call->Complete(absl::DeadlineExceededError(
      absl::StrCat("HTTP request to ", endpoint.name, " timed out after ",
                   absl::FormatDuration(call->timeout), " (", stage, ")")));
}

void HttpClientPool::FailLater(Callback done, absl::Status status) {
  asio::post(io_, [done = std::move(done), status = std::move(status)] { done(status); });
}

}  // namespace chaukas::http
