#include "gateway/http/http_session.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gateway/common/log.h"
#include "gateway/http/tls_server_context.h"

namespace chaukas::http {
namespace {

namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

constexpr std::size_t kReadChunkBytes = std::size_t{16} * 1024;
constexpr absl::Duration kLingerTimeout = absl::Seconds(2);

std::array<stats::Counter*, 5> ResponseCounters(stats::StatsStore& store,
                                                const std::string& listener) {
  std::array<stats::Counter*, 5> counters;
  for (size_t i = 0; i < counters.size(); ++i) {
    const std::string code_class = absl::StrCat(i + 1, "xx");
    counters[i] = &store.GetCounter("listener.responses",
                                    {{"listener", listener}, {"code_class", code_class}});
  }
  return counters;
}

std::string PeerOf(const tcp::socket& socket) {
  beast::error_code ec;
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  const std::string address = peer.address().to_string();
  return peer.address().is_v6() ? absl::StrCat("[", address, "]:", peer.port())
                                : absl::StrCat(address, ":", peer.port());
}

// Beast reports bytes that are not HTTP as errors of its HTTP category; of that category,
// end_of_stream and partial_message only mean that the peer hung up.
bool IsMalformedRequest(const beast::error_code& ec) {
  return ec.category() == beast_http::make_error_code(beast_http::error::bad_method).category() &&
         ec != beast_http::error::end_of_stream && ec != beast_http::error::partial_message;
}

// The target without its query, which may carry secrets not to be logged.
std::string PathOf(const Request& request) {
  const std::string_view target(request.target().data(), request.target().size());
  return std::string(target.substr(0, target.find('?')));
}

}  // namespace

ListenerStats::ListenerStats(stats::StatsStore& store, const std::string& listener, bool tls)
    : connections_total(store.GetCounter("listener.connections_total", {{"listener", listener}})),
      connections_active(store.GetGauge("listener.connections_active", {{"listener", listener}})),
      requests(store.GetCounter("listener.requests", {{"listener", listener}})),
      responses(ResponseCounters(store, listener)),
      request_duration_us(
          store.GetHistogram("listener.request_duration_us", {{"listener", listener}})),
      accept_errors(store.GetCounter("listener.accept_errors", {{"listener", listener}})),
      tls_handshake_errors(
          tls ? &store.GetCounter("listener.tls_handshake_errors", {{"listener", listener}})
              : nullptr) {}

stats::Counter& ListenerStats::ResponsesOfClass(unsigned status_code) const {
  const unsigned code_class = std::clamp(status_code / 100, 1u, 5u);
  return *responses[code_class - 1];
}

void SessionRegistry::CloseAll() {
  closed_ = true;
  // Close only cancels I/O; no session is destroyed (or removed) before this returns.
  for (HttpSession* session : sessions_) session->Close();
}

HttpSession::HttpSession(tcp::socket socket, const ListenerContext& listener,
                         SessionRegistry& registry, std::shared_ptr<WorkerMailbox> mailbox)
    : listener_(listener),
      registry_(registry),
      mailbox_(std::move(mailbox)),
      stream_(std::move(socket), listener.tls.get()),
      connection_{PeerOf(stream_.tcp().socket())},
      answer_wait_(stream_.get_executor()) {
  registry_.Add(*this);
  listener_.stats.connections_total.Inc();
  listener_.stats.connections_active.Add(1);
}

HttpSession::~HttpSession() {
  listener_.stats.connections_active.Add(-1);
  registry_.Remove(*this);
}

void HttpSession::Start() {
  beast::error_code ignored;
  stream_.tcp().socket().set_option(tcp::no_delay(true), ignored);
  if (HttpStream::TlsStream* tls = stream_.tls()) {
    SetTimeout(listener_.options.tls->handshake_timeout);
    tls->async_handshake(boost::asio::ssl::stream_base::server,
                         beast::bind_front_handler(&HttpSession::OnHandshake, shared_from_this()));
    return;
  }
  // No idle wait on a new connection: read_timeout runs from the accept.
  ReadRequest();
}

void HttpSession::OnHandshake(beast::error_code ec) {
  if (ec) {
    // Not an error of ours: scanners, plain HTTP on this port, clients with no (or an
    // untrusted) certificate. Counted, and logged only at debug level.
    if (ec != boost::asio::error::operation_aborted) listener_.stats.tls_handshake_errors->Inc();
    Log(LogLevel::kDebug, absl::StrCat("listener ", listener_.name, ": TLS handshake with ",
                                       connection_.peer, " failed: ", ec.message()));
    return;
  }
  // Once per connection: the certificate cannot change on it (renegotiation is off).
  connection_.certificate = VerifiedPeerCertificate(stream_.tls()->native_handle());
  ReadRequest();
}

void HttpSession::Close() {
  closed_ = true;
  answer_wait_.cancel();
  stream_.tcp().close();
}

void HttpSession::WaitForNextRequest() {
  if (buffer_.size() > 0) {  // a pipelined request is already here
    ReadRequest();
    return;
  }
  buffer_.shrink_to_fit();  // an idle connection should not keep a large request's memory
  SetTimeout(listener_.options.idle_timeout);
  stream_.async_read_some(
      buffer_.prepare(kReadChunkBytes),
      beast::bind_front_handler(&HttpSession::OnFirstBytes, shared_from_this()));
}

void HttpSession::OnFirstBytes(beast::error_code ec, std::size_t bytes) {
  if (ec) return;  // idle timeout, the peer hung up, or Stop: the connection just ends
  buffer_.commit(bytes);
  ReadRequest();
}

void HttpSession::ReadRequest() {
  parser_.emplace();
  parser_->body_limit(listener_.options.max_body_bytes);
  parser_->header_limit(listener_.options.max_header_bytes);
  SetTimeout(listener_.options.read_timeout);
  beast_http::async_read(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&HttpSession::OnRead, shared_from_this()));
}

void HttpSession::OnRead(beast::error_code ec, std::size_t /*bytes*/) {
  const HttpServerOptions& options = listener_.options;
  if (ec == beast_http::error::body_limit) {
    WriteRefusal(
        beast_http::status::payload_too_large,
        absl::StrCat("request body exceeds max_body_bytes (", options.max_body_bytes, " bytes)"));
  } else if (ec == beast_http::error::header_limit) {
    WriteRefusal(beast_http::status::request_header_fields_too_large,
                 absl::StrCat("request header exceeds max_header_bytes (", options.max_header_bytes,
                              " bytes)"));
  } else if (IsMalformedRequest(ec)) {
    WriteRefusal(beast_http::status::bad_request,
                 absl::StrCat("malformed HTTP request: ", ec.message()));
  } else if (!ec) {
    HandleRequest(parser_->release());
  }
  // Any other error (read timeout, the peer hung up, Stop) just ends the connection.
}

void HttpSession::HandleRequest(Request request) {
  // Close may come after the read completed but before this handler ran: nothing would then
  // end a wait for the answer.
  if (closed_) return;
  listener_.stats.requests.Inc();
  request_start_ = std::chrono::steady_clock::now();
  pending_.number += 1;
  pending_.version = request.version();
  pending_.keep_alive = request.keep_alive();
  pending_.path = PathOf(request);
  pending_.awaiting_answer = true;
  const uint64_t number = pending_.number;
  if (!CallHandler(std::move(request))) {
    Response error;
    SetJsonError(error, beast_http::status::internal_server_error, "internal error");
    Deliver(number, std::move(error));  // unless the handler answered before it threw
    return;
  }
  // Unless the handler has answered inline, something must keep this session (and its
  // io_context) alive until the answer comes: a wait that only Deliver or Close cancels.
  if (pending_.awaiting_answer) AwaitAnswer();
}

bool HttpSession::CallHandler(Request request) {
  std::string failure;
  try {
    listener_.handler.HandleAsync(std::move(request), connection_,
                                  Responder(mailbox_, weak_from_this(), pending_.number));
    return true;
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "an exception not derived from std::exception";
  }
  Log(LogLevel::kError, absl::StrCat("HTTP handler failed on ", pending_.path, " from ",
                                     connection_.peer, ": ", failure));
  return false;
}

void HttpSession::AwaitAnswer() {
  // No stream operation is pending meanwhile, so no stream timeout runs: the handler may take
  // as long as it needs, and the client waits for it.
  answer_wait_.expires_at(boost::asio::steady_timer::time_point::max());
  answer_wait_.async_wait([self = shared_from_this()](beast::error_code) {});
}

void HttpSession::Deliver(uint64_t request_number, Response response) {
  if (closed_ || !pending_.awaiting_answer || request_number != pending_.number) return;
  pending_.awaiting_answer = false;
  answer_wait_.cancel();
  const bool keep_alive = pending_.keep_alive && response.keep_alive();
  response.version(pending_.version);
  response.keep_alive(keep_alive);
  Write(std::move(response), &HttpSession::OnAnswerWritten);
}

void HttpSession::AnswerDropped(uint64_t request_number) {
  if (closed_ || !pending_.awaiting_answer || request_number != pending_.number) return;
  Log(LogLevel::kError, absl::StrCat("HTTP handler dropped the request on ", pending_.path,
                                     " from ", connection_.peer, " without an answer"));
  Response error;
  SetJsonError(error, beast_http::status::internal_server_error,
               "internal error: the request was dropped without an answer");
  Deliver(request_number, std::move(error));
}

void HttpSession::Write(Response response, OnWritten on_written) {
  response_ = std::move(response);
  response_.prepare_payload();
  listener_.stats.ResponsesOfClass(response_.result_int()).Inc();
  // A peer gets read_timeout to take its answer too; one that does not read is dropped.
  SetTimeout(listener_.options.read_timeout);
  beast_http::async_write(stream_, response_,
                          beast::bind_front_handler(on_written, shared_from_this()));
}

void HttpSession::OnAnswerWritten(beast::error_code ec, std::size_t /*bytes*/) {
  const auto elapsed = std::chrono::steady_clock::now() - request_start_;
  listener_.stats.request_duration_us.Record(
      std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
  const bool keep_alive = response_.keep_alive();
  response_ = {};
  if (ec) return;
  if (!keep_alive) {
    Shutdown();
    return;
  }
  WaitForNextRequest();
}

void HttpSession::Shutdown() {
  HttpStream::TlsStream* tls = stream_.tls();
  if (tls == nullptr) {
    HalfClose();
    return;
  }
  // close_notify tells the client that the answer is complete, not cut short. async_shutdown
  // then waits for the client's close_notify, which a client may never send: bounded by the
  // linger timeout. The session ends (and closes the socket) once it completes.
  SetTimeout(kLingerTimeout);
  tls->async_shutdown([self = shared_from_this()](beast::error_code) {});
}

void HttpSession::HalfClose() {
  beast::error_code ignored;
  stream_.tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
}

void HttpSession::WriteRefusal(beast_http::status status, std::string_view message) {
  Response response;
  SetJsonError(response, status, message);
  response.keep_alive(false);
  Write(std::move(response), &HttpSession::OnRefusalWritten);
}

void HttpSession::OnRefusalWritten(beast::error_code ec, std::size_t /*bytes*/) {
  if (ec) return;
  // The peer may still be sending the body we refused. Closing a socket with unread bytes
  // makes the kernel send RST, which can destroy our answer before the peer reads it; so
  // half-close and discard what still arrives, for a bounded time (nginx's lingering close).
  // On TLS too, without close_notify: the bytes still coming are discarded undecrypted.
  HalfClose();
  SetTimeout(kLingerTimeout);
  Drain();
}

void HttpSession::Drain() {
  buffer_.clear();
  stream_.tcp().async_read_some(buffer_.prepare(kReadChunkBytes),
                                [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                  if (!ec) self->Drain();
                                });
}

void HttpSession::SetTimeout(absl::Duration timeout) {
  if (timeout == absl::InfiniteDuration()) {
    stream_.tcp().expires_never();
  } else {
    stream_.tcp().expires_after(absl::ToChronoNanoseconds(timeout));
  }
}

Responder::Responder(std::shared_ptr<WorkerMailbox> mailbox, std::weak_ptr<HttpSession> session,
                     uint64_t request_number)
    : mailbox_(std::move(mailbox)), session_(std::move(session)), request_number_(request_number) {}

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    AnswerDropped();
    mailbox_ = std::move(other.mailbox_);
    session_ = std::move(other.session_);
    request_number_ = other.request_number_;
  }
  return *this;
}

Responder::~Responder() { AnswerDropped(); }

void Responder::Send(Response response) && {
  if (mailbox_ == nullptr) return;
  const std::shared_ptr<WorkerMailbox> mailbox = std::move(mailbox_);
  std::weak_ptr<HttpSession> session = std::move(session_);
  if (mailbox->IsWorkerThread()) {
    if (const std::shared_ptr<HttpSession> live = session.lock()) {
      live->Deliver(request_number_, std::move(response));
    }
    return;
  }
  mailbox->Post([session = std::move(session), number = request_number_,
                 response = std::move(response)]() mutable {
    if (const std::shared_ptr<HttpSession> live = session.lock()) {
      live->Deliver(number, std::move(response));
    }
  });
}

void Responder::AnswerDropped() {
  if (mailbox_ == nullptr) return;
  const std::shared_ptr<WorkerMailbox> mailbox = std::move(mailbox_);
  // Posted even on the session's own thread: when a handler throws, this runs during the
  // unwinding, and the session's own answer ("internal error") must come first.
  try {
    mailbox->Post([session = std::move(session_), number = request_number_] {
      if (const std::shared_ptr<HttpSession> live = session.lock()) live->AnswerDropped(number);
    });
  } catch (...) {  // out of memory in a destructor: the client's own timeout ends the wait
  }
}

}  // namespace chaukas::http
