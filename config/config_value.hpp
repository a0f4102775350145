#pragma once
/// The typed value of one config key, and its TOML spelling. Kept free of toml++ so that code
/// which only reads the key registry (docs, the command line) does not pay for the TOML parser.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace hetsgd {

/// The value types a config key accepts. Integer keys accept TOML integers only; float keys accept
/// integers too (promoted), so `lr = 1` is fine but `batch = 64.0` is not.
enum class value_type { integer, floating, string, boolean, float_array };

/// A validated value, already in its C++ type: integer -> int64, floating -> double,
/// string -> std::string, boolean -> bool, float_array -> std::vector<double>.
using config_value = std::variant<std::int64_t, double, std::string, bool, std::vector<double>>;

/// "integer", "float", "string", "boolean", "array of floats": the type column of the reference.
std::string type_name(value_type type);

/// "an integer", "a float", ...: for "expected ..." in error messages.
std::string type_name_with_article(value_type type);

/// Shortest text that reads back as exactly `value`, spelled as a TOML float: always with a '.'
/// or an exponent ("1.0", "0.05", "1e-07"), and "inf", "-inf", "nan" for non-finite values.
std::string format_float(double value);

/// Shortest text of a number as a person writes a bound: "0", "1", "0.5", "4096".
std::string format_number(double value);

/// A TOML basic string, quoted and escaped: "a\"b".
std::string quote_string(std::string_view text);

/// The TOML spelling of a value: 42, 0.05, "cnn", true, [1.0, 0.5].
std::string to_toml_text(const config_value& value);

}  // namespace hetsgd
