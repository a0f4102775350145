#pragma once
/// Where a run writes when no --out is given: runs/<run.name><suffix>-<local timestamp>.

#include <ctime>
#include <iomanip>
#include <sstream>
#include <string>

#include "config/run_config.hpp"

namespace hetsgd {

inline std::string default_run_directory(const run_config& cfg, const std::string& suffix = "") {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  std::ostringstream os;
  os << "runs/" << cfg.run.name << suffix << "-" << std::put_time(&tm, "%Y%m%d-%H%M%S");
  return os.str();
}

}  // namespace hetsgd
