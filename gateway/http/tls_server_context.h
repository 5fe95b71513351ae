#pragma once

#include <openssl/ssl.h>

#include <memory>

#include "absl/status/statusor.h"
#include "boost/asio/ssl/context.hpp"
#include "gateway/http/http_server.h"

namespace chaukas::http {

// The OpenSSL context every connection of one TLS listener shares: TLS 1.2 or later, ALPN
// "http/1.1", the listener's certificate and key, and client certificates verified against
// the client CAs as `options.client_certificate` says. Fails naming what does not load.
[[nodiscard]] absl::StatusOr<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const TlsServerOptions& options);

// What the client certificate of a finished handshake says: its subject in RFC 2253 form
// (as gRPC reports it: X509_NAME_print_ex with XN_FLAG_RFC2253) and its DNS and URI subject
// alternative names. Empty unless the client presented a certificate and it verified.
PeerCertificate VerifiedPeerCertificate(const SSL* ssl);

}  // namespace chaukas::http
