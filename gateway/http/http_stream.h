#pragma once

#include <cstddef>
#include <utility>
#include <variant>

#include "boost/asio/async_result.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl/context.hpp"
#include "boost/beast/core/tcp_stream.hpp"
#include "boost/beast/ssl/ssl_stream.hpp"

namespace chaukas::http {

// The byte stream under one HTTP connection: plain TCP, or TLS over TCP. Beast's HTTP read
// and write take it as their stream, so HttpSession is written once for both and asks which
// one it has only where TLS adds a step: the handshake at the start and close_notify at the
// end. Timeouts and closing act on the TCP stream underneath either. Owned by its session
// and used on the session's thread only.
class HttpStream {
 public:
  using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
  using executor_type = boost::beast::tcp_stream::executor_type;

  // TLS with `tls`'s certificate and settings; plain TCP when `tls` is null.
  HttpStream(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context* tls)
      : stream_(MakeStream(std::move(socket), tls)) {}

  // The TCP stream: for timeouts, socket options and closing.
  boost::beast::tcp_stream& tcp() {
    if (TlsStream* tls_stream = tls()) return tls_stream->next_layer();
    return std::get<boost::beast::tcp_stream>(stream_);
  }
  // The TLS stream; null on a plain connection.
  TlsStream* tls() { return std::get_if<TlsStream>(&stream_); }

  // Beast's AsyncReadStream and AsyncWriteStream.
  executor_type get_executor() { return tcp().get_executor(); }

  template <typename MutableBufferSequence, typename ReadHandler>
  auto async_read_some(const MutableBufferSequence& buffers, ReadHandler&& handler) {
    return boost::asio::async_initiate<ReadHandler, void(boost::system::error_code, std::size_t)>(
        [this](auto completion, const MutableBufferSequence& to) {
          std::visit([&](auto& stream) { stream.async_read_some(to, std::move(completion)); },
                     stream_);
        },
        handler, buffers);
  }

  template <typename ConstBufferSequence, typename WriteHandler>
  auto async_write_some(const ConstBufferSequence& buffers, WriteHandler&& handler) {
    return boost::asio::async_initiate<WriteHandler, void(boost::system::error_code, std::size_t)>(
        [this](auto completion, const ConstBufferSequence& from) {
          std::visit([&](auto& stream) { stream.async_write_some(from, std::move(completion)); },
                     stream_);
        },
        handler, buffers);
  }

 private:
  using Stream = std::variant<boost::beast::tcp_stream, TlsStream>;

  static Stream MakeStream(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context* tls) {
    if (tls != nullptr) return Stream(std::in_place_type<TlsStream>, std::move(socket), *tls);
    return Stream(std::in_place_type<boost::beast::tcp_stream>, std::move(socket));
  }

  Stream stream_;
};

}  // namespace chaukas::http
