#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "gateway/http/http_server.h"

namespace chaukas::http {

struct HttpClientOptions {
  int max_connections_per_endpoint = 8;  // per host:port, connecting ones included; at least 1
  // Bounds resolving and connecting a new connection; past it the request that waited for
  // the connection fails with Unavailable (it was never sent).
  absl::Duration connect_timeout = absl::Seconds(5);
};

// HTTP/1.1 client for upstream calls: a pool of keep-alive connections per host:port, on one
// io_context chosen by the owner (the cluster's thread), which exactly one thread runs. Not
// thread-safe: construct, call and destroy it on that thread only (or while nothing runs the
// io_context), and destroy it before the io_context. Hosts may be names (resolved
// asynchronously each time a connection is opened) or IP addresses.
//
// Per host:port, requests beyond max_connections_per_endpoint wait, first in first out, for a
// connection to come free. An idle connection the server closes is noticed and dropped; one
// found dead when a request takes it (before a byte of the request is written) is replaced
// transparently. A request that fails once written is never resent: the caller decides.
// A connection opened for a request whose deadline passes while it connects goes on
// connecting and serves the next request. Responses are read whole, bodies up to
// kMaxResponseBodyBytes; the request is written while the answer is read, so an early answer
// (a 413 before the whole body is sent) is returned rather than a write error.
class HttpClientPool {
 public:
  // The largest response body read; a larger one fails the request with ResourceExhausted.
  // Large enough for any query answer we pass through, bounded so a broken upstream cannot
  // exhaust memory.
  static constexpr uint64_t kMaxResponseBodyBytes = uint64_t{64} * 1024 * 1024;

  using Callback = std::function<void(absl::StatusOr<Response>)>;

  HttpClientPool(boost::asio::io_context& io, HttpClientOptions options);
  ~HttpClientPool();  // Shutdown()s: pending callbacks run, with Cancelled, before it returns
  HttpClientPool(const HttpClientPool&) = delete;
  HttpClientPool& operator=(const HttpClientPool&) = delete;

  // Sends `request` to host:port and calls `done` exactly once, on the io_context's thread
  // and never from within Send, with the response (any status code) or an error:
  //   Unavailable        connect refused or timed out, DNS failure, connection reset or closed
  //                      before a complete response, malformed response
  //   DeadlineExceeded   `timeout` passed; it runs from this call, so it covers waiting for a
  //                      connection, connecting, writing and reading (InfiniteDuration: none)
  //   ResourceExhausted  the response body exceeds kMaxResponseBodyBytes
  //   Cancelled          Shutdown() (or the destructor) came first
  //   InvalidArgument    empty host or port 0
  // The pool sets HTTP/1.1, Host (host:port), keep-alive and Content-Length. An IPv6 host
  // comes without brackets ("::1"). `done` must not throw.
  void Send(const std::string& host, uint16_t port, Request request, absl::Duration timeout,
            Callback done);

  // Fails every queued and in-flight request with Cancelled (their callbacks run before it
  // returns) and closes all connections. Final: later Sends fail with Cancelled.
  void Shutdown();

  // Open connections, connecting and idle ones included: for stats and tests.
  size_t open_connections() const;

 private:
  struct Call;
  struct Endpoint;
  class Connection;

  Endpoint& EndpointFor(const std::string& host, uint16_t port);
  // Hands queued calls to idle connections, or to new ones while the limit allows.
  void Dispatch(Endpoint& endpoint);
  // The oldest queued call, for a connection that has come free; null when none waits.
  std::shared_ptr<Call> NextQueued(Endpoint& endpoint);
  // Puts a call that was never written back at the head of the queue.
  void Requeue(Endpoint& endpoint, std::shared_ptr<Call> call);
  void OnConnectionClosed(Endpoint& endpoint, const Connection& connection);
  void OnDeadline(const std::shared_ptr<Call>& call);
  void FailLater(Callback done, absl::Status status);

  boost::asio::io_context& io_;
  const HttpClientOptions options_;
  // By "host:port". Endpoints stay for the pool's life: a cluster talks to few of them.
  std::unordered_map<std::string, std::unique_ptr<Endpoint>> endpoints_;
  bool shut_down_ = false;
};

}  // namespace chaukas::http
