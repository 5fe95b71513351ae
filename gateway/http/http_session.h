#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "absl/time/time.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gateway/http/http_server.h"
#include "gateway/stats/stats_store.h"

namespace chaukas::http {

// The series of one listener, looked up once because lookups take the store's lock.
// `requests` counts requests handed to the handler; `responses` counts every answer, the
// server's own 400/413/431 included.
struct ListenerStats {
  ListenerStats(stats::StatsStore& store, const std::string& listener);

  stats::Counter& ResponsesOfClass(unsigned status_code) const;

  stats::Counter& connections_total;
  stats::Gauge& connections_active;
  stats::Counter& requests;
  std::array<stats::Counter*, 5> responses;  // by code class, 1xx to 5xx
  stats::Histogram& request_duration_us;
  stats::Counter& accept_errors;
};

// What every connection of one listener shares. Owned by HttpServer; outlives its sessions.
struct ListenerContext {
  const HttpServerOptions& options;
  RequestHandler& handler;
  ListenerStats stats;
  std::string name;  // the stats name, also used in logs
};

class HttpSession;

// The open connections of one io_context, so that Stop can close them. Used only from that
// io_context's thread, hence no lock.
class SessionRegistry {
 public:
  void Add(HttpSession& session) { sessions_.insert(&session); }
  void Remove(HttpSession& session) { sessions_.erase(&session); }
  // Closes every open connection; from then on closed() is true and no session may start.
  void CloseAll();
  bool closed() const { return closed_; }

 private:
  std::unordered_set<HttpSession*> sessions_;
  bool closed_ = false;
};

// One HTTP/1.1 connection: reads a request, answers it, and loops while keep-alive holds.
// As in Beast's advanced server, every pending handler holds a shared_ptr to the session, so
// it lives exactly as long as I/O is pending on it. It runs on its io_context's only thread.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, const ListenerContext& listener,
              SessionRegistry& registry);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  void Start();
  // Cancels pending I/O; the handlers then see operation_aborted and the session ends.
  void Close();

 private:
  using OnWritten = void (HttpSession::*)(boost::beast::error_code, std::size_t);

  void WaitForNextRequest();
  void OnFirstBytes(boost::beast::error_code ec, std::size_t bytes);
  void ReadRequest();
  void OnRead(boost::beast::error_code ec, std::size_t bytes);
  void HandleRequest(const Request& request);
  Response CallHandler(const Request& request);
  void Write(Response response, OnWritten on_written);
  void OnAnswerWritten(boost::beast::error_code ec, std::size_t bytes);
  // Answers a request that never reaches the handler (400, 413, 431), then closes.
  void WriteRefusal(boost::beast::http::status status, std::string_view message);
  void OnRefusalWritten(boost::beast::error_code ec, std::size_t bytes);
  void Drain();
  void SetTimeout(absl::Duration timeout);

  const ListenerContext& listener_;
  SessionRegistry& registry_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  const ConnectionInfo connection_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  Response response_;  // the answer being written; must outlive the write
  std::chrono::steady_clock::time_point request_start_;
};

}  // namespace chaukas::http
