#pragma once
/// Writes a run_config back as TOML: every key of the registry with its value (defaults included),
/// so that a run directory's config.toml, loaded again, reproduces the run exactly.

#include <string>

#include "config/run_config.hpp"

namespace hetsgd {

/// TOML text of `cfg`, tables in registry order, floats in their shortest round-trip spelling.
/// (toml++'s own writer prints 17 significant digits, 0.05 as 0.050000000000000003, which is
/// exact but unreadable; this writer is exact and readable.) An empty cluster.speeds is left out,
/// which reads back as "1.0 per worker"; fault_spec::source is not a key and is not written.
/// The output is a fixed point: loading it and writing it again gives the same text.
std::string to_effective_toml(const run_config& cfg);

/// `toml` (an effective config) with the value of cluster.token replaced by "(redacted)": what
/// is written to config.toml and sent to worker processes, so the secret stays out of files.
std::string redact_secrets(const std::string& toml);

}  // namespace hetsgd
