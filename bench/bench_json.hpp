#pragma once
/// What every benchmark's JSON carries (schema version, git commit, config hash, seed, date), and
/// the small helpers the benchmark programs share.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "config/config_loader.hpp"

namespace hetsgd::bench {

/// Bumped when a field changes meaning or goes away.
constexpr int schema_version = 1;

/// The config file with overrides applied; throws std::runtime_error with the loader's message.
loaded_config load(const std::string& path, const std::vector<std::string>& sets);

/// The fields that identify where a figure came from: benchmark, schema_version, git_commit,
/// config_hash (FNV-1a 64 of the effective config), seed, model, date_utc, openblas_threads.
nlohmann::json header(const std::string& name, const std::string& commit, const loaded_config& lc);

/// The same fields for a benchmark without a training config (e.g. collectives): config_hash
/// is the FNV-1a 64 of `parameters` (the benchmark's own settings as text); seed and model null.
nlohmann::json header(const std::string& name, const std::string& commit,
                      const std::string& parameters);

double median(std::vector<double> xs);

/// The overrides for a cluster of these speeds: cluster.workers and cluster.speeds.
std::vector<std::string> cluster_sets(const std::vector<double>& speeds);

/// Writes `j` (indented) to `out`, creating its directory, and echoes it to stdout.
void write(const nlohmann::json& j, const std::string& out);

}  // namespace hetsgd::bench
