#include "gateway/common/host_port.h"

namespace chaukas {

std::string HostPort(std::string_view host, uint16_t port) {
  const bool ipv6 = host.find(':') != std::string_view::npos;
  std::string text;
  text.reserve(host.size() + 8);
  if (ipv6) text += '[';
  text += host;
  if (ipv6) text += ']';
  text += ':';
  text += std::to_string(port);
  return text;
}

std::string_view HostOf(std::string_view host_port) {
  if (!host_port.empty() && host_port.front() == '[') {
    const size_t close = host_port.find(']');
    return close == std::string_view::npos ? std::string_view() : host_port.substr(1, close - 1);
  }
  // One colon: a host with a port. More: a bare IPv6 literal.
  const size_t colon = host_port.find(':');
  if (colon != std::string_view::npos && host_port.find(':', colon + 1) == std::string_view::npos) {
    return host_port.substr(0, colon);
  }
  return host_port;
}

}  // namespace chaukas
