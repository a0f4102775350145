// libFuzzer target: the fault schedule, in the two ways a user writes it. The first input byte
// picks the way, the rest is the schedule:
//   even: `[[faults]]` tables appended to a valid config file;
//   odd:  the value of a `--set faults=...` override (an array of inline tables) on that config.
// The properties are the config loader's (tests/fuzz/fuzz_check.hpp): no exception, a message
// for every error, and an accepted schedule that reloads unchanged from the effective TOML.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "config/config_loader.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

// Four workers, so that worker ids 0-3 are valid and a schedule can name a missing one.
constexpr const char* base_config = R"(
[cluster]
clock = "simulated"
workers = 4
speeds = [1.0, 1.0, 0.5, 0.25]

[train]
max_seconds = 60
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  const bool as_override = (data[0] & 1) != 0;
  const std::string schedule(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto result =
    as_override ? hetsgd::load_config_string(base_config, "fuzz.toml", {"faults=" + schedule})
                : hetsgd::load_config_string(std::string(base_config) + schedule, "fuzz.toml");
  hetsgd::fuzz::check_round_trip(result, "fuzz.toml");
  return 0;
}
