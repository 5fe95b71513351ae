#include "tests/support/http_test_client.h"

#include <cstddef>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/read.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gateway/common/strings.h"

namespace chaukas::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using tcp = asio::ip::tcp;
using Request = beast_http::request<beast_http::string_body>;
using Response = beast_http::response<beast_http::string_body>;

beast::string_view View(std::string_view text) { return {text.data(), text.size()}; }

// Runs `io` until the operations started on it have completed; the stream's timeout
// (expires_after) bounds how long that takes.
void RunUntilDone(asio::io_context& io) {
  io.restart();
  io.run();
}

beast::error_code Connect(asio::io_context& io, beast::tcp_stream& stream, const std::string& host,
                          uint16_t port) {
  beast::error_code ec;
  tcp::resolver resolver(io);
  const tcp::resolver::results_type endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) return ec;
  stream.async_connect(endpoints,
                       [&ec](beast::error_code result, const tcp::endpoint&) { ec = result; });
  RunUntilDone(io);
  return ec;
}

absl::Status TransportError(std::string_view step, const std::string& host, uint16_t port,
                            const beast::error_code& ec) {
  const std::string message = absl::StrCat(ToAbsl(step), " ", host, ":", port, ": ", ec.message());
  return ec == beast::error::timeout ? absl::DeadlineExceededError(message)
                                     : absl::UnavailableError(message);
}

Request MakeRequest(std::string_view host_port, std::string_view method, std::string_view target,
                    std::string_view body, const HttpTestClient::Headers& headers) {
  Request request;
  request.method_string(View(method));
  request.target(View(target));
  request.version(11);
  request.set(beast_http::field::host, View(host_port));
  for (const auto& [name, value] : headers) request.insert(View(name), View(value));
  request.body() = std::string(body);
  request.prepare_payload();
  return request;
}

HttpTestResponse ToTestResponse(const Response& message) {
  HttpTestResponse response;
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    std::string name(field.name_string().data(), field.name_string().size());
    absl::AsciiStrToLower(&name);
    const std::string value(field.value().data(), field.value().size());
    const auto [it, inserted] = response.headers.emplace(std::move(name), value);
    if (!inserted) absl::StrAppend(&it->second, ", ", value);
  }
  response.body = message.body();
  response.keep_alive = message.keep_alive();
  return response;
}

}  // namespace

class HttpTestClient::Connection {
 public:
  bool is_open() const { return stream_.socket().is_open(); }

  // One request and its answer within `timeout`, connecting first when needed.
  // `lost_before_answer` tells whether the connection proved dead before a byte of the answer
  // arrived, which on a reused connection means the server had closed it.
  absl::StatusOr<HttpTestResponse> Exchange(HttpTestClient& client, const Request& request,
                                            bool& lost_before_answer) {
    lost_before_answer = false;
    stream_.expires_after(absl::ToChronoNanoseconds(client.timeout_));
    beast::error_code ec;
    if (!is_open()) {
      ec = Connect(io_, stream_, client.host_, client.port_);
      if (ec) return Fail("connect to", client, ec);
      ++client.connections_opened_;
    }
    beast_http::async_write(stream_, request,
                            [&ec](beast::error_code result, std::size_t) { ec = result; });
    RunUntilDone(io_);
    if (ec) {
      lost_before_answer = ec != beast::error::timeout;
      return Fail("write to", client, ec);
    }
    beast_http::response_parser<beast_http::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    parser.skip(request.method() == beast_http::verb::head);
    beast_http::async_read(stream_, buffer_, parser,
                           [&ec](beast::error_code result, std::size_t) { ec = result; });
    RunUntilDone(io_);
    if (ec) {
      lost_before_answer = !parser.got_some() && ec != beast::error::timeout;
      return Fail("read from", client, ec);
    }
    HttpTestResponse response = ToTestResponse(parser.get());
    if (!response.keep_alive) Close();
    return response;
  }

 private:
  absl::Status Fail(std::string_view step, const HttpTestClient& client,
                    const beast::error_code& ec) {
    Close();
    return TransportError(step, client.host_, client.port_, ec);
  }

  void Close() {
    stream_.close();
    buffer_.clear();
  }

  asio::io_context io_;
  beast::tcp_stream stream_{io_};
  beast::flat_buffer buffer_;
};

HttpTestClient::HttpTestClient(std::string host, uint16_t port)
    : host_(std::move(host)), port_(port), connection_(std::make_unique<Connection>()) {}

HttpTestClient::~HttpTestClient() = default;

absl::StatusOr<HttpTestResponse> HttpTestClient::Send(std::string_view method,
                                                      std::string_view target,
                                                      std::string_view body,
                                                      const Headers& headers) {
  const Request request =
      MakeRequest(absl::StrCat(host_, ":", port_), method, target, body, headers);
  const bool reused = connection_->is_open();
  bool lost_before_answer = false;
  absl::StatusOr<HttpTestResponse> response =
      connection_->Exchange(*this, request, lost_before_answer);
  if (!response.ok() && reused && lost_before_answer) {
    response = connection_->Exchange(*this, request, lost_before_answer);
  }
  return response;
}

absl::StatusOr<HttpTestResponse> HttpTestClient::Get(std::string_view target) {
  return Send("GET", target);
}

absl::StatusOr<HttpTestResponse> HttpTestClient::Post(std::string_view target,
                                                      std::string_view body,
                                                      std::string_view content_type) {
  return Send("POST", target, body, {{"Content-Type", std::string(content_type)}});
}

absl::StatusOr<std::string> SendRawHttp(const std::string& host, uint16_t port,
                                        std::string_view bytes, absl::Duration timeout) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(absl::ToChronoNanoseconds(timeout));
  beast::error_code ec = Connect(io, stream, host, port);
  if (ec) return TransportError("connect to", host, port, ec);
  asio::async_write(stream, asio::buffer(bytes.data(), bytes.size()),
                    [&ec](beast::error_code result, std::size_t) { ec = result; });
  RunUntilDone(io);
  // Any other write error is no verdict: the server may answer and close before taking it all.
  if (ec == beast::error::timeout) return TransportError("write to", host, port, ec);
  std::string received;
  asio::async_read(stream, asio::dynamic_buffer(received),
                   [&ec](beast::error_code result, std::size_t) { ec = result; });
  RunUntilDone(io);
  if (ec == asio::error::eof || ec == asio::error::connection_reset) return received;
  const absl::Status error = TransportError("read from", host, port, ec);
  return absl::Status(error.code(),
                      absl::StrCat(error.message(), " (", received.size(), " bytes received)"));
}

}  // namespace chaukas::testing
