#pragma once

#include "absl/status/status.h"
#include "config/config_node.h"
#include "config/gateway_config.h"

namespace chaukas::config {

// Parses a listener's `tls` block: {cert_file, key_file, client_ca_file, client_certificate,
// handshake_timeout_ms}. Reads the files and checks them the way the listener will use them:
// the certificate chain and the client CAs parse as PEM certificates, the key parses as an
// unencrypted PEM private key and matches the first certificate. Every error names the key
// path and the file.
[[nodiscard]] absl::Status ParseListenerTls(const ConfigNode& node, ListenerTlsConfig& tls);

}  // namespace chaukas::config
