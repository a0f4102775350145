#pragma once
/// Helpers shared by the config tests: load from text and get either the error text or the config.

#include <string>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>

#include "config/config_loader.hpp"

namespace hetsgd::test {

/// The error message of loading `text` as "bad.toml", or a marker when it loaded fine, so that a
/// comparison with the expected message fails readably either way.
inline std::string load_error(const std::string& text,
                              const std::vector<std::string>& overrides = {}) {
  auto result = load_config_string(text, "bad.toml", overrides);
  if (const auto* err = std::get_if<config_error>(&result))
    return err->message;
  return "<loaded without error>";
}

/// The loaded config; fails the test with the loader's message on error.
inline loaded_config load_ok(const std::string& text,
                             const std::vector<std::string>& overrides = {},
                             const std::string& source = "good.toml") {
  auto result = load_config_string(text, source, overrides);
  if (const auto* err = std::get_if<config_error>(&result)) {
    CATCH_FAIL("unexpected config error:\n" << err->message);
  }
  return std::get<loaded_config>(std::move(result));
}

inline std::string example_path(const std::string& name) {
  return std::string(HETSGD_SOURCE_DIR) + "/config/examples/" + name;
}

}  // namespace hetsgd::test
