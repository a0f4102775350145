#include "plot_runner.hpp"

#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <cstdlib>
#include <filesystem>
#include <iomanip>

#ifndef HETSGD_SOURCE_DIR
#define HETSGD_SOURCE_DIR "."
#endif
#ifndef HETSGD_SHARE_DIR
#define HETSGD_SHARE_DIR "/usr/local/share/hetsgd"
#endif

namespace hetsgd {

void print_summary_digest(const std::string& summary_json, std::ostream& os) {
  auto j = nlohmann::json::parse(summary_json, nullptr, false);
  if (j.is_discarded()) {
    os << "hetsgd: summary is not valid JSON\n";
    return;
  }
  os << std::fixed << std::setprecision(3);
  os << "  final accuracy  ";
  if (j["final_accuracy"].is_null())
    os << "n/a";
  else
    os << j["final_accuracy"].get<double>();
  os << "\n  time to " << j["target_accuracy"].get<double>() << "  ";
  if (j["time_to_target_s"].is_null())
    os << "not reached";
  else
    os << std::setprecision(1) << j["time_to_target_s"].get<double>() << " s"
       << std::setprecision(3);
  os << "\n";
  os << "  elapsed         " << j["elapsed_s"].get<double>() << " s, " << j["rounds"]
     << " rounds\n";
  os << "  samples         computed " << j["samples_computed"] << ", applied "
     << j["samples_applied"] << ", dropped " << j["samples_dropped"] << ", in flight at end "
     << j["samples_in_flight_at_end"] << "\n";
  os << "  utilization     " << j["utilization"].get<double>() << "\n";
}

std::string plot_script_path() {
  if (const char* env = std::getenv("HETSGD_PLOT_SCRIPT"))
    return env;
  for (std::string candidate : {std::string(HETSGD_SOURCE_DIR) + "/tools/plot.py",
                                std::string(HETSGD_SHARE_DIR) + "/plot.py"})
    if (std::filesystem::exists(candidate))
      return candidate;
  return {};
}

std::string run_plot_script(const std::string& run_dir) {
  return run_plot_script_with({run_dir});
}

std::string run_compare_plot_script(const std::string& compare_dir) {
  return run_plot_script_with({"--compare", compare_dir});
}

std::string run_plot_script_with(const std::vector<std::string>& args) {
  auto script = plot_script_path();
  if (script.empty())
    return "tools/plot.py not found (set HETSGD_PLOT_SCRIPT)";
  if (!std::filesystem::exists("/usr/bin/python3"))
    return "/usr/bin/python3 not found";
  // Quote for the shell: paths are ours or the user's --out; single quotes with escaping.
  auto quote = [](const std::string& s) {
    std::string q = "'";
    for (char c : s)
      q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  };
  auto cmd = "/usr/bin/python3 " + quote(script);
  for (const auto& a : args)
    cmd += " " + quote(a);
  int rc = std::system(cmd.c_str());
  if (rc != 0)
    return "tools/plot.py exited with status " + std::to_string(WEXITSTATUS(rc));
  return {};
}

}  // namespace hetsgd
