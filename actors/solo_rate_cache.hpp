#pragma once
/// The solo throughput of a model on this machine (samples/s of one worker at full speed),
/// measured once and kept in a small JSON cache. A simulated run whose cluster.base_rate is 0
/// takes this rate, so that simulated seconds read like real ones; measuring it afresh each time
/// would give a slightly different rate, and so different virtual times, on every run. With the
/// cache, the same config and seed give the same files run after run on this machine (set
/// cluster.base_rate for the same across machines).
///
/// The cache is $HETSGD_CACHE_DIR/solo_rates.json, else $XDG_CACHE_HOME/hetsgd/..., else
/// ~/.cache/hetsgd/...; delete it to measure again.

#include <functional>
#include <string>

namespace hetsgd {

struct solo_rate {
  double samples_per_s = 0.0;
  std::string source;  ///< where it came from, for the log: the cache file, or "measured ..."
};

/// The cache file's path ("" when no directory is known).
std::string solo_rate_cache_path();

/// The rate cached under `key` (model and micro-batch), or `measure()` cached under it. A cache
/// that cannot be read or written is reported in `source`, never an error.
solo_rate cached_solo_rate(const std::string& key, const std::function<double()>& measure);

}  // namespace hetsgd
