#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace chaukas {

// "127.0.0.1:8080", or "[::1]:8080" for an IPv6 host: the form listeners, logs and the
// bound-addresses file show.
std::string HostPort(std::string_view host, uint16_t port);

}  // namespace chaukas
