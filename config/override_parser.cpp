#include "config/override_parser.hpp"

#include <exception>

namespace hetsgd {
namespace {

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<parsed_override> parse_override(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos)
    return std::nullopt;
  parsed_override out;
  out.text = std::string(text);
  out.key = std::string(trim(text.substr(0, eq)));
  out.raw_value = std::string(trim(text.substr(eq + 1)));
  if (out.key.empty())
    return std::nullopt;

  // A one-line document "value = <raw>" parses exactly when raw is a single TOML value. A newline
  // in raw could smuggle in more keys, hence the size check.
  bool parsed = false;
  try {
    toml::table doc = toml::parse(std::string_view("value = " + out.raw_value + "\n"));
    if (doc.size() == 1 && doc.contains("value")) {
      out.holder = std::move(doc);
      parsed = true;
    }
  } catch (const std::exception&) {
    parsed = false;  // not a TOML value: a bare word
  }
  if (!parsed) {
    out.holder = toml::table{};
    out.holder.insert("value", out.raw_value);
    out.bare_word = true;
  }
  return out;
}

}  // namespace hetsgd
