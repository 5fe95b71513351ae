#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/ssl/context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gateway/http/http_server.h"
#include "gateway/http/http_stream.h"
#include "gateway/stats/stats_store.h"

namespace chaukas::http {

// The series of one listener, looked up once because lookups take the store's lock.
// `requests` counts requests handed to the handler; `responses` counts every answer, the
// server's own 400/413/431 included. `tls_handshake_errors` exists on TLS listeners only.
struct ListenerStats {
  ListenerStats(stats::StatsStore& store, const std::string& listener, bool tls);

  stats::Counter& ResponsesOfClass(unsigned status_code) const;

  stats::Counter& connections_total;
  stats::Gauge& connections_active;
  stats::Counter& requests;
  std::array<stats::Counter*, 5> responses;  // by code class, 1xx to 5xx
  stats::Histogram& request_duration_us;
  stats::Counter& accept_errors;
  stats::Counter* tls_handshake_errors;  // null on a plain listener
};

// What every connection of one listener shares. Owned by HttpServer; outlives its sessions.
struct ListenerContext {
  const HttpServerOptions& options;
  RequestHandler& handler;
  ListenerStats stats;
  std::string name;  // the stats name, also used in logs
  // Set by Start on a TLS listener, before any connection; shared by all its connections.
  std::unique_ptr<boost::asio::ssl::context> tls = nullptr;
};

class HttpSession;

// The way into one worker's io_context from other threads (a Responder's Send), safe at any
// time: once the worker has stopped, what is posted is dropped. The worker and every
// Responder of its connections share it, so it outlives the io_context it points to.
class WorkerMailbox {
 public:
  explicit WorkerMailbox(boost::asio::io_context& context) : context_(&context) {}
  WorkerMailbox(const WorkerMailbox&) = delete;
  WorkerMailbox& operator=(const WorkerMailbox&) = delete;

  // Runs `task` on the worker's thread, later; drops it once closed.
  template <typename Task>
  void Post(Task task) {
    absl::ReaderMutexLock lock(&mutex_);
    if (context_ != nullptr) boost::asio::post(*context_, std::move(task));
  }

  // Whether the caller runs on the worker's thread, so that it may touch its sessions.
  bool IsWorkerThread() const {
    absl::ReaderMutexLock lock(&mutex_);
    return context_ != nullptr && context_->get_executor().running_in_this_thread();
  }

  // From now on tasks are dropped. Call it before the io_context is destroyed.
  void Close() {
    absl::WriterMutexLock lock(&mutex_);
    context_ = nullptr;
  }

 private:
  mutable absl::Mutex mutex_;
  boost::asio::io_context* context_ ABSL_GUARDED_BY(mutex_);
};

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

// One HTTP/1.1 connection, over TCP or TLS (HttpStream). On TLS it first completes the
// handshake within handshake_timeout and takes the verified client certificate into its
// ConnectionInfo. Then it reads a request, hands it to the handler, waits for the answer
// (reading nothing meanwhile), writes it, and loops while keep-alive holds. As in Beast's
// advanced server, every pending handler holds a shared_ptr to the session, so it lives
// exactly as long as I/O is pending on it; while it awaits an answer, a timer wait that only
// the answer or Close cancels is that pending handler. It runs on its io_context's only
// thread; Responders reach it through the WorkerMailbox and a weak_ptr.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, const ListenerContext& listener,
              SessionRegistry& registry, std::shared_ptr<WorkerMailbox> mailbox);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  void Start();
  // Cancels pending I/O and any wait for an answer; the handlers then see operation_aborted
  // and the session ends.
  void Close();

  // The answer to request number `request_number`, from its Responder; on this session's
  // thread. Dropped when stale or when the session is closed.
  void Deliver(uint64_t request_number, Response response);
  // A Responder went away unsent: answers 500 if that request still awaits its answer.
  void AnswerDropped(uint64_t request_number);

 private:
  using OnWritten = void (HttpSession::*)(boost::beast::error_code, std::size_t);

  void OnHandshake(boost::beast::error_code ec);
  void WaitForNextRequest();
  void OnFirstBytes(boost::beast::error_code ec, std::size_t bytes);
  void ReadRequest();
  void OnRead(boost::beast::error_code ec, std::size_t bytes);
  void HandleRequest(Request request);
  // Calls the handler; false when it threw (already logged).
  bool CallHandler(Request request);
  void AwaitAnswer();
  void Write(Response response, OnWritten on_written);
  void OnAnswerWritten(boost::beast::error_code ec, std::size_t bytes);
  // Answers a request that never reaches the handler (400, 413, 431), then closes.
  void WriteRefusal(boost::beast::http::status status, std::string_view message);
  void OnRefusalWritten(boost::beast::error_code ec, std::size_t bytes);
  // Ends the connection after its last answer: close_notify on TLS, a half-close on TCP.
  void Shutdown();
  void HalfClose();
  void Drain();
  void SetTimeout(absl::Duration timeout);

  // What the answer to the request being handled needs from it.
  struct PendingRequest {
    uint64_t number = 0;  // counts this connection's requests; 0 before the first
    unsigned version = 11;
    bool keep_alive = true;
    std::string path;  // for logs
    bool awaiting_answer = false;
  };

  const ListenerContext& listener_;
  SessionRegistry& registry_;
  const std::shared_ptr<WorkerMailbox> mailbox_;
  HttpStream stream_;
  boost::beast::flat_buffer buffer_;
  ConnectionInfo connection_;  // the certificate is filled in after the TLS handshake
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  PendingRequest pending_;
  boost::asio::steady_timer answer_wait_;  // never expires: only cancelled
  bool closed_ = false;
  Response response_;  // the answer being written; must outlive the write
  std::chrono::steady_clock::time_point request_start_;
};

}  // namespace chaukas::http
