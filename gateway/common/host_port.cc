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

}  // namespace chaukas
