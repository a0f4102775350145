#include "bench/bench_json.hpp"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "actors/checkpoint_store.hpp"
#include "gpu/torch_threads.hpp"

namespace hetsgd::bench {
namespace {

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace

loaded_config load(const std::string& path, const std::vector<std::string>& sets) {
  auto r = load_config(path, sets);
  if (auto* e = std::get_if<config_error>(&r))
    throw std::runtime_error(e->message);
  return std::get<loaded_config>(r);
}

nlohmann::json header(const std::string& name, const std::string& commit, const loaded_config& lc) {
  return {{"benchmark", name},
          {"schema_version", schema_version},
          {"git_commit", commit},
          {"config_hash", hex64(fnv1a64(lc.effective_toml.data(), lc.effective_toml.size()))},
          {"seed", lc.cfg.run.seed},
          {"model", lc.cfg.model.name},
          {"date_utc", utc_now()},
          {"openblas_threads", openblas_threads()}};
}

nlohmann::json header(const std::string& name, const std::string& commit,
                      const std::string& parameters) {
  return {{"benchmark", name},
          {"schema_version", schema_version},
          {"git_commit", commit},
          {"config_hash", hex64(fnv1a64(parameters.data(), parameters.size()))},
          {"parameters", parameters},
          {"seed", nullptr},
          {"model", nullptr},
          {"date_utc", utc_now()},
          {"openblas_threads", openblas_threads()}};
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  auto n = xs.size();
  return n == 0 ? 0.0 : (n % 2 ? xs[n / 2] : 0.5 * (xs[n / 2 - 1] + xs[n / 2]));
}

std::vector<std::string> cluster_sets(const std::vector<double>& speeds) {
  std::ostringstream s;
  s << "cluster.speeds=[";
  for (std::size_t i = 0; i < speeds.size(); ++i)
    s << (i ? "," : "") << speeds[i];
  s << "]";
  return {"cluster.workers=" + std::to_string(speeds.size()), s.str()};
}

void write(const nlohmann::json& j, const std::string& out) {
  std::filesystem::create_directories(std::filesystem::path(out).parent_path());
  std::ofstream f(out);
  f << j.dump(2) << "\n";
  std::cout << j.dump(2) << "\n"
            << "written to " << out << "\n";
}

}  // namespace hetsgd::bench
