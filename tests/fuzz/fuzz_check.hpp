#pragma once
/// Properties the config fuzz targets check on every input the loader returns from. A broken
/// property aborts with a message, which libFuzzer reports as a crash and saves the input.

#include <string>
#include <variant>

#include "config/config_loader.hpp"
#include "tests/fuzz/property_failure.hpp"

namespace hetsgd::fuzz {

/// An error must say something; an accepted config must load again from its effective TOML and
/// give the same effective TOML (so run/config.toml reproduces the run).
inline void check_round_trip(const config_result& result, const std::string& source) {
  if (const auto* e = std::get_if<config_error>(&result)) {
    if (e->message.empty())
      fail(source + ": a config error with an empty message");
    return;
  }
  const auto& first = std::get<loaded_config>(result);
  const auto again = load_config_string(first.effective_toml, "effective.toml");
  if (const auto* e = std::get_if<config_error>(&again))
    fail("the effective TOML of an accepted config does not load:\n" + e->message + "\n---\n" +
         first.effective_toml);
  const auto& second = std::get<loaded_config>(again);
  if (second.effective_toml != first.effective_toml)
    fail("the effective TOML changes when loaded again:\n" + first.effective_toml + "\n---\n" +
         second.effective_toml);
}

}  // namespace hetsgd::fuzz
