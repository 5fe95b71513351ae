#include "config/tls_loader.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gateway/common/openssl_ptr.h"
#include "gateway/common/status_macros.h"

namespace chaukas::config {
namespace {

constexpr int64_t kMaxHandshakeTimeoutMs = int64_t{10} * 60 * 1000;

// OpenSSL reports why a parse failed on this thread's error queue. Takes the most recent
// reason and leaves the queue empty, so that a stale error cannot confuse the next caller of
// the library on this thread (gRPC or Asio).
std::string TakeOpenSslError() {
  const unsigned long code = ERR_peek_last_error();
  const char* reason = code == 0 ? nullptr : ERR_reason_error_string(code);
  ERR_clear_error();
  return reason == nullptr ? "unknown error" : reason;
}

BioPtr ReadOnlyBio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Never prompts on the terminal for a passphrase (OpenSSL's default without a callback).
int RefusePassphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*user*/) { return -1; }

// Every certificate of a PEM text, in order. Blocks of other types (a key in the same file)
// are skipped, as the listeners' TLS libraries skip them.
absl::StatusOr<std::vector<X509Ptr>> ParseCertificates(const ConfigNode& node,
                                                       const std::string& path,
                                                       const std::string& pem) {
  ERR_clear_error();
  BioPtr bio = ReadOnlyBio(pem);
  std::vector<X509Ptr> certificates;
  while (X509* certificate = PEM_read_bio_X509(bio.get(), nullptr, RefusePassphrase, nullptr)) {
    certificates.emplace_back(certificate);
  }
  // Reading stops at the end of the text ("no start line") or at a block that does not parse.
  const unsigned long stop = ERR_peek_last_error();
  const bool at_end =
      ERR_GET_LIB(stop) == ERR_LIB_PEM && ERR_GET_REASON(stop) == PEM_R_NO_START_LINE;
  if (!at_end) {
    return node.Error(
        absl::StrCat(path, " holds a certificate that does not parse (", TakeOpenSslError(), ")"));
  }
  ERR_clear_error();
  if (certificates.empty()) {
    return node.Error(
        absl::StrCat(path, " holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
  }
  return certificates;
}

absl::StatusOr<EvpPkeyPtr> ParsePrivateKey(const ConfigNode& node, const std::string& path,
                                           const std::string& pem) {
  if (pem.find("ENCRYPTED") != std::string::npos) {
    return node.Error(absl::StrCat(path,
                                   " holds an encrypted private key; the gateway needs it "
                                   "unencrypted (openssl pkey -in <file> -out <new file>)"));
  }
  ERR_clear_error();
  BioPtr bio = ReadOnlyBio(pem);
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, RefusePassphrase, nullptr));
  if (key == nullptr) {
    return node.Error(
        absl::StrCat(path, " holds no PEM private key that parses (", TakeOpenSslError(), ")"));
  }
  return key;
}

absl::StatusOr<ClientCertificateMode> ParseClientCertificateMode(const ConfigNode& node,
                                                                 bool has_client_ca) {
  // Read through the StatusOr, not moved out of it: GCC 12 at -O3 warns about the move.
  const absl::StatusOr<std::string> mode = node.GetEnum(
      "client_certificate", has_client_ca ? "require" : "none", {"none", "optional", "require"});
  if (!mode.ok()) return mode.status();
  if (*mode == "none") return ClientCertificateMode::kNone;
  if (!has_client_ca) {
    return node.Child("client_certificate")
        .Error(absl::StrCat("\"", *mode,
                            "\" needs client_ca_file (the CAs that client certificates must "
                            "chain to)"));
  }
  return *mode == "optional" ? ClientCertificateMode::kOptional : ClientCertificateMode::kRequire;
}

}  // namespace

absl::Status ParseListenerTls(const ConfigNode& node, ListenerTlsConfig& tls) {
  CHAUKAS_RETURN_IF_ERROR(node.ExpectMap());
  CHAUKAS_RETURN_IF_ERROR(node.CheckKeys(
      {"cert_file", "key_file", "client_ca_file", "client_certificate", "handshake_timeout_ms"}));
  tls.enabled = true;

  CHAUKAS_ASSIGN_OR_RETURN(ConfigNode cert_node, node.Require("cert_file"));
  CHAUKAS_ASSIGN_OR_RETURN(tls.cert_file, cert_node.AsString());
  CHAUKAS_ASSIGN_OR_RETURN(tls.cert_chain_pem, ReadSecretFile(cert_node));
  CHAUKAS_ASSIGN_OR_RETURN(std::vector<X509Ptr> chain,
                           ParseCertificates(cert_node, tls.cert_file, tls.cert_chain_pem));

  CHAUKAS_ASSIGN_OR_RETURN(ConfigNode key_node, node.Require("key_file"));
  CHAUKAS_ASSIGN_OR_RETURN(tls.key_file, key_node.AsString());
  CHAUKAS_ASSIGN_OR_RETURN(tls.private_key_pem, ReadSecretFile(key_node));
  CHAUKAS_ASSIGN_OR_RETURN(EvpPkeyPtr key,
                           ParsePrivateKey(key_node, tls.key_file, tls.private_key_pem));
  // The first certificate of the chain is the server's own; the key must be its key.
  if (X509_check_private_key(chain.front().get(), key.get()) != 1) {
    ERR_clear_error();
    return key_node.Error(
        absl::StrCat(tls.key_file, " is not the key of the certificate in ", tls.cert_file));
  }

  if (ConfigNode ca_node = node.Child("client_ca_file"); ca_node.IsDefined()) {
    CHAUKAS_ASSIGN_OR_RETURN(tls.client_ca_file, ca_node.AsString());
    CHAUKAS_ASSIGN_OR_RETURN(tls.client_ca_pem, ReadSecretFile(ca_node));
    CHAUKAS_RETURN_IF_ERROR(
        ParseCertificates(ca_node, tls.client_ca_file, tls.client_ca_pem).status());
  }
  CHAUKAS_ASSIGN_OR_RETURN(tls.client_certificate,
                           ParseClientCertificateMode(node, !tls.client_ca_pem.empty()));
  CHAUKAS_ASSIGN_OR_RETURN(
      tls.handshake_timeout_ms,
      node.GetInt("handshake_timeout_ms", tls.handshake_timeout_ms, 1, kMaxHandshakeTimeoutMs));
  return absl::OkStatus();
}

}  // namespace chaukas::config
