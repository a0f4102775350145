#include "config/endpoint.hpp"

#include <algorithm>
#include <cctype>

namespace hetsgd {

std::optional<endpoint> parse_endpoint(const std::string& text, std::string& why) {
  endpoint e;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      why = "\"" + text + "\" is not [IPV6]:PORT";
      return std::nullopt;
    }
    e.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) {
      why = "\"" + text + "\" is not HOST:PORT";
      return std::nullopt;
    }
    e.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (e.host.empty()) {
    why = "\"" + text + "\" has no host";
    return std::nullopt;
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }) ||
      std::stoul(port) > 65535) {
    why = "\"" + text + "\" has no port in 0..65535";
    return std::nullopt;
  }
  e.port = static_cast<std::uint16_t>(std::stoul(port));
  return e;
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace hetsgd
