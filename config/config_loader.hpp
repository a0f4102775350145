#pragma once
/// Loading a hetsgd TOML config: parse, apply `--set` overrides in order, validate against the key
/// registry, fill run_config. Expected failures come back as a config_error value; no exception
/// escapes.
///
/// Every error is one line `WHERE: KEY: WHAT`, WHERE being `FILE:LINE:COLUMN` for a value from
/// the file or `--set TEXT` for a value from an override:
///   bad.toml:3:6: train.lr: expected a float, got string "fast"
///   bad.toml:5:1: train.lrr: unknown key (did you mean train.lr?)
///   --set cluster.workers=0: cluster.workers: must be >= 1, got 0
/// Value errors point at the value, unknown keys at the key. All errors of a config are reported,
/// one per line, in file order, then override order. A TOML syntax error stops at the first one.

#include <string>
#include <variant>
#include <vector>

#include "config/run_config.hpp"

namespace hetsgd {

struct config_error {
  std::string message;  ///< full user-facing text, one error per line, no trailing newline
};

struct loaded_config {
  run_config cfg;              ///< validated; cluster.speeds has exactly cluster.workers entries
  std::string effective_toml;  ///< cfg as TOML, defaults filled in: write it as run/config.toml
};

using config_result = std::variant<loaded_config, config_error>;

/// Reads and loads the file at `path`; error locations name the file as `path` was given.
config_result load_config(const std::string& path, const std::vector<std::string>& overrides = {});

/// Loads TOML text; `source_name` is the file name used in error locations and fault sources.
config_result load_config_string(const std::string& toml_text, const std::string& source_name,
                                 const std::vector<std::string>& overrides = {});

}  // namespace hetsgd
