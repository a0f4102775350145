#pragma once
/// Parsing of one `--set key=value` override. Internal to the loader (includes toml++).

#include <optional>
#include <string>
#include <string_view>

#include <toml++/toml.h>

namespace hetsgd {

struct parsed_override {
  std::string text;       ///< the override as given, "train.lr=0.1": error messages quote it
  std::string key;        ///< dotted key, whitespace trimmed
  std::string raw_value;  ///< value text, whitespace trimmed
  /// True when raw_value is not a TOML value and is therefore taken as a string, so that
  /// `--set policy.name=abs_sgd` works without quotes.
  bool bare_word = false;
  toml::table holder;  ///< holds the parsed value under the key "value"

  const toml::node& value() const { return *holder.get("value"); }
};

/// Splits `text` at its first '=' and parses the right-hand side as a TOML value (number, string,
/// boolean, array, inline table); anything that is not exactly one TOML value is taken as a
/// string. Returns nullopt when there is no '=' or the key is empty.
std::optional<parsed_override> parse_override(std::string_view text);

}  // namespace hetsgd
