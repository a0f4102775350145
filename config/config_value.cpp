#include "config/config_value.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <system_error>

namespace hetsgd {

std::string type_name(value_type type) {
  switch (type) {
    case value_type::integer: return "integer";
    case value_type::floating: return "float";
    case value_type::string: return "string";
    case value_type::boolean: return "boolean";
    case value_type::float_array: return "array of floats";
  }
  return "?";
}

std::string type_name_with_article(value_type type) {
  switch (type) {
    case value_type::integer: return "an integer";
    case value_type::floating: return "a float";
    case value_type::string: return "a string";
    case value_type::boolean: return "a boolean";
    case value_type::float_array: return "an array of floats";
  }
  return "?";
}

std::string format_number(double value) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value < 0 ? "-inf" : "inf";
  char buf[64];
  // Shortest representation that round-trips (C++17 <charconv>, libstdc++ >= 11).
  const auto res = std::to_chars(buf, buf + sizeof(buf), value);
  if (res.ec != std::errc{})
    return std::to_string(value);
  return std::string(buf, res.ptr);
}

std::string format_float(double value) {
  std::string text = format_number(value);
  if (!std::isfinite(value))
    return text;
  if (text.find_first_of(".eE") == std::string::npos)
    text += ".0";
  return text;
}

std::string quote_string(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04X", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += ch;  // UTF-8 passes through unchanged
        }
    }
  }
  out += '"';
  return out;
}

std::string to_toml_text(const config_value& value) {
  struct visitor {
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return format_float(v); }
    std::string operator()(const std::string& v) const { return quote_string(v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::vector<double>& v) const {
      std::string out = "[";
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (i > 0)
          out += ", ";
        out += format_float(v[i]);
      }
      return out + "]";
    }
  };
  return std::visit(visitor{}, value);
}

}  // namespace hetsgd
