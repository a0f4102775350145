#pragma once
/// \file
/// "HOST:PORT" endpoints (cluster.listen, `hetsgd worker --connect`), and whether a host is a
/// loopback address (listening beyond loopback requires a token).

#include <cstdint>
#include <optional>
#include <string>

namespace hetsgd {

struct endpoint {
  std::string host;
  std::uint16_t port = 0;
};

/// Parses "HOST:PORT" ("[::1]:PORT" for IPv6). On failure returns nullopt and sets `why`.
std::optional<endpoint> parse_endpoint(const std::string& text, std::string& why);

/// 127.0.0.0/8, ::1 and "localhost".
bool is_loopback(const std::string& host);

}  // namespace hetsgd
