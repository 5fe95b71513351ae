#pragma once

#include <string>

#include "config/gateway_config.h"

namespace chaukas::config {

// The effective configuration as YAML, every default filled in, for the admin
// /config_dump page. Filter blocks are shown as written (${ENV} references unexpanded), with
// the value of every secret-looking key (password, secret, token, api_key, sha256, *_key...)
// replaced by "<redacted>"; *_file keys show their path, never the file's content.
std::string DumpConfig(const GatewayConfig& config);

// True for keys whose values must never be shown.
bool IsSecretKey(std::string_view key);

}  // namespace chaukas::config
