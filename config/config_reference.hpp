#pragma once
/// The config reference (docs/config.md), rendered from the key registry so it cannot go stale:
/// a test compares the checked-in file with this function's output.

#include <string>

namespace hetsgd {

/// Markdown: how configs are loaded and overridden, the rules across keys, and one table per
/// TOML table with key, type, default, unit, allowed values and description.
std::string render_config_reference();

}  // namespace hetsgd
