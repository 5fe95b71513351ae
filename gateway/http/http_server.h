#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boost/beast/http.hpp"
#include "gateway/stats/stats_store.h"

namespace chaukas::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

struct ListenerContext;
class HttpSession;
class WorkerMailbox;

// The client certificate of a TLS connection, once the listener has verified it against its
// client CA; empty on plain connections and when the client sent none.
struct PeerCertificate {
  bool verified = false;
  std::string subject;                 // RFC 2253, e.g. "CN=agent-7,O=acme"
  std::vector<std::string> dns_names;  // subjectAltName DNS entries
  std::vector<std::string> uris;       // subjectAltName URI entries (SPIFFE IDs)
};

// What a handler knows about the connection a request came on. Filled once per connection.
struct ConnectionInfo {
  std::string peer;                  // "127.0.0.1:53211"
  PeerCertificate certificate = {};  // TLS listeners only
};

// Delivers the answer to one request: call Send exactly once, from any thread, at any time.
// Cheap to move (two pointers and a number). Destroyed (or assigned over) without Send, it
// answers 500 "internal error: the request was dropped without an answer": a handler bug,
// never a hung client. The connection reads nothing more until the answer is sent.
//
// The server sets the answer's HTTP version to the request's, and keeps the connection alive
// only when both the request and the answer allow it (so `Response{}` is a fine start).
// If the connection has closed or the server has stopped by the time of Send, the answer is
// dropped: Send is safe even after the HttpServer is destroyed.
class Responder {
 public:
  Responder(Responder&& other) noexcept = default;
  Responder& operator=(Responder&& other) noexcept;
  ~Responder();

  // Writes `response` on the request's connection. On that connection's I/O thread (a handler
  // answering inline) it starts the write at once; from any other thread it posts it there.
  // Does nothing on a Responder already sent or moved from.
  void Send(Response response) &&;

 private:
  friend class HttpSession;
  Responder(std::shared_ptr<WorkerMailbox> mailbox, std::weak_ptr<HttpSession> session,
            uint64_t request_number);

  // Answers 500 for a Responder that goes away unsent.
  void AnswerDropped();

  std::shared_ptr<WorkerMailbox> mailbox_;  // null once sent or moved from
  std::weak_ptr<HttpSession> session_;      // locked only on the session's own thread
  uint64_t request_number_ = 0;             // tells a stale answer from the current one
};

// Answers HTTP requests. Called on an I/O thread, so it must not block on I/O. The server
// calls HandleAsync; a handler that answers synchronously implements only Handle.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;

  // The synchronous form. The server fills in version and keep-alive; the handler sets
  // status, headers and body. An exception becomes a 500 "internal error" (and a log line).
  virtual void Handle(const Request& request, const ConnectionInfo& connection,
                      Response& response) = 0;

  // The asynchronous form: answer through `responder`, now or later, from any thread.
  // `connection` is valid only during the call (copy what you keep). The default calls
  // Handle and sends at once. An exception thrown before Send answers 500 "internal error".
  virtual void HandleAsync(Request request, const ConnectionInfo& connection, Responder responder);
};

// Whether a TLS listener asks clients for a certificate, and whether it insists.
enum class ClientCertificateMode {
  kNone,      // not asked for
  kOptional,  // asked for; a client without one is served, one that does not verify is not
  kRequire,   // a client without a certificate that verifies fails the handshake
};

// TLS 1.2 or 1.3 with ALPN "http/1.1". PEM texts, not files: the config loader has read and
// checked them.
struct TlsServerOptions {
  std::string certificate_chain_pem;  // the server's certificate, then any intermediates
  std::string private_key_pem;
  std::string client_ca_pem;  // the CAs client certificates must chain to (not for kNone)
  ClientCertificateMode client_certificate = ClientCertificateMode::kNone;
  // A client that has not finished its handshake by then is disconnected: one that connects
  // and sends nothing cannot hold a connection open.
  absl::Duration handshake_timeout = absl::Seconds(10);
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0 picks an ephemeral port; see HttpServer::port()
  int threads = 1;    // one io_context (and thread) each
  uint64_t max_body_bytes = 4 * 1024 * 1024;
  uint32_t max_header_bytes = 16 * 1024;
  absl::Duration idle_timeout = absl::Seconds(60);  // keep-alive connection with no request
  absl::Duration read_timeout = absl::Seconds(30);  // one request, headers and body
  std::optional<TlsServerOptions> tls;              // unset: plain HTTP
};

// A keep-alive HTTP/1.1 server on Boost.Beast: one io_context per thread; the acceptor
// hands each new connection to the next io_context in turn, and a connection then lives on
// that one thread (no locks inside a connection). A connection handles one request at a
// time: it reads the next only once the answer to the previous one is written, however late
// the handler sends it. Answers by itself what never reaches the handler: 400 for malformed
// HTTP, 413 over max_body_bytes, 431 over max_header_bytes. Accept errors (EMFILE...) are
// logged and retried after a pause, never fatal. With `options.tls`, every connection is TLS
// (plain HTTP on the port fails the handshake) and handlers see the verified client
// certificate in ConnectionInfo.
//
// Stats under "listener" with label {listener: <stats_name>}: connections_total,
// connections_active, requests, responses{code_class: 2xx...}, request_duration_us (from
// the request read to its answer written), accept_errors, and on TLS listeners
// tls_handshake_errors (timeouts and refused or untrusted client certificates included).
class HttpServer {
 public:
  HttpServer(HttpServerOptions options, RequestHandler& handler, stats::StatsStore& stats,
             std::string stats_name);
  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the threads. Fails with the address in the message when it cannot bind,
  // and naming what does not load when the TLS certificate, key or client CAs do not.
  [[nodiscard]] absl::Status Start();
  // The bound port, valid after Start().
  uint16_t port() const { return port_; }
  // Stops accepting, closes every connection (those still awaiting an answer too) and joins
  // the threads; answers sent later are dropped. Idempotent; call it from any thread but an
  // I/O thread of this server (the handler must not call it).
  void Stop();

 private:
  struct Worker;
  class Acceptor;
  enum class State { kNew, kRunning, kStopped };

  void StopRunning() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const HttpServerOptions options_;
  const std::unique_ptr<ListenerContext> listener_;  // what every connection shares
  // Declared before acceptor_, which holds work on them: destroyed after it.
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<Acceptor> acceptor_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  absl::Mutex mutex_;  // serializes Start and Stop
  State state_ ABSL_GUARDED_BY(mutex_) = State::kNew;
};

// The JSON error body every HTTP answer of the gateway uses:
//   {"error":{"code":413,"message":"request body exceeds max_body_bytes (4194304 bytes)"}}
void SetJsonError(Response& response, boost::beast::http::status status, std::string_view message);

}  // namespace chaukas::http
