#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace chaukas {

// "127.0.0.1:8080", or "[::1]:8080" for an IPv6 host: the form listeners, logs and the
// bound-addresses file show.
std::string HostPort(std::string_view host, uint16_t port);

// The host of a "host:port" as HostPort writes it ("[::1]:80" gives "::1"); a bare host or IPv6
// literal comes back as it is.
std::string_view HostOf(std::string_view host_port);

}  // namespace chaukas
