// libFuzzer target: the TOML config loader and validator (config/config_loader.hpp) on arbitrary
// text. The loader promises that no exception escapes and that every failure is a non-empty
// message; a config it accepts must come back from its own effective TOML unchanged (that file
// is what a run writes as run/config.toml and what a resume reads).
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config_loader.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto result = hetsgd::load_config_string(text, "fuzz.toml");
  hetsgd::fuzz::check_round_trip(result, "fuzz.toml");
  return 0;
}
