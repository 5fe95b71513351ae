#include "gateway/http/tls_server_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "boost/asio/buffer.hpp"
#include "gateway/common/status_macros.h"
#include "gateway/common/strings.h"

namespace chaukas::http {
namespace {

namespace ssl = boost::asio::ssl;

// Resumed sessions must come from this same kind of listener. OpenSSL refuses to resume a
// session on a server that verifies clients unless the context names one, failing the
// handshake of every client that tries.
constexpr unsigned char kSessionIdContext[] = "chaukas-gateway-http";

// ALPN protocol list in wire form: a length byte, then the name.
constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

// The server speaks HTTP/1.1 only: it picks it when the client offers it among others (curl
// offers h2 first) and refuses a client that offers only other protocols, as RFC 7301 asks
// (no_application_protocol). A client that sends no ALPN at all is served.
int SelectHttp11(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_length,
                 const unsigned char* in, unsigned int in_length, void* /*arg*/) {
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length, kHttp11, sizeof(kHttp11), in, in_length) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// Asio has taken OpenSSL's reason off the error queue into `ec`; what is left there is stale.
absl::Status LoadError(std::string_view what, const boost::system::error_code& ec) {
  ERR_clear_error();
  return absl::InvalidArgumentError(absl::StrCat("TLS: ", ToAbsl(what), ": ", ec.message()));
}

// Sends the client CAs' names in the certificate request, so that a client holding several
// certificates can pick one these CAs issued.
absl::Status AdvertiseClientCas(SSL_CTX* context, const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return absl::ResourceExhaustedError("TLS: out of memory");
  int added = 0;
  while (X509* certificate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    added += SSL_CTX_add_client_CA(context, certificate);
    X509_free(certificate);
  }
  BIO_free(bio);
  ERR_clear_error();  // the end of the text reads as an error
  if (added == 0) return absl::InvalidArgumentError("TLS: the client CA bundle has no certificate");
  return absl::OkStatus();
}

std::string Rfc2253(const X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "";
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  std::string text = length > 0 ? std::string(data, static_cast<size_t>(length)) : "";
  BIO_free(bio);
  return text;
}

std::string TextOf(const ASN1_IA5STRING* text) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                     static_cast<size_t>(ASN1_STRING_length(text)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ssl::context>> MakeServerTlsContext(
    const TlsServerOptions& options) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  // TLS 1.0 and 1.1 are deprecated (RFC 8996); renegotiation only serves attacks here.
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(
      native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_alpn_select_cb(native, SelectHttp11, nullptr);
  SSL_CTX_set_session_id_context(native, kSessionIdContext, sizeof(kSessionIdContext) - 1);

  boost::system::error_code ec;
  context->use_certificate_chain(boost::asio::buffer(options.certificate_chain_pem), ec);
  if (ec) return LoadError("the certificate chain does not load", ec);
  context->use_private_key(boost::asio::buffer(options.private_key_pem), ssl::context::pem, ec);
  // OpenSSL checks here that the key is the certificate's ("key values mismatch").
  if (ec) return LoadError("the private key does not load or is not the certificate's", ec);
  if (options.client_certificate == ClientCertificateMode::kNone) return context;

  context->add_certificate_authority(boost::asio::buffer(options.client_ca_pem), ec);
  if (ec) return LoadError("the client CAs do not load", ec);
  CHAUKAS_RETURN_IF_ERROR(AdvertiseClientCas(native, options.client_ca_pem));
  // A certificate that fails verification fails the handshake in both modes; kRequire also
  // fails it when the client sends none.
  ssl::verify_mode mode = ssl::verify_peer;
  if (options.client_certificate == ClientCertificateMode::kRequire) {
    mode |= ssl::verify_fail_if_no_peer_cert;
  }
  context->set_verify_mode(mode, ec);
  if (ec) return LoadError("cannot set the verify mode", ec);
  return context;
}

PeerCertificate VerifiedPeerCertificate(const SSL* ssl) {
  PeerCertificate certificate;
  const X509* peer = SSL_get0_peer_certificate(ssl);
  if (peer == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return certificate;
  certificate.verified = true;
  certificate.subject = Rfc2253(X509_get_subject_name(peer));
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(peer, NID_subject_alt_name, /*crit=*/nullptr, /*idx=*/nullptr));
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) {
      certificate.dns_names.push_back(TextOf(name->d.dNSName));
    } else if (name->type == GEN_URI) {
      certificate.uris.push_back(TextOf(name->d.uniformResourceIdentifier));
    }
  }
  GENERAL_NAMES_free(names);
  return certificate;
}

}  // namespace chaukas::http
