#include "actors/solo_rate_cache.hpp"

#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace hetsgd {

std::string solo_rate_cache_path() {
  if (const char* d = std::getenv("HETSGD_CACHE_DIR"); d && *d)
    return std::string(d) + "/solo_rates.json";
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d)
    return std::string(d) + "/hetsgd/solo_rates.json";
  if (const char* d = std::getenv("HOME"); d && *d)
    return std::string(d) + "/.cache/hetsgd/solo_rates.json";
  return {};
}

solo_rate cached_solo_rate(const std::string& key, const std::function<double()>& measure) {
  namespace fs = std::filesystem;
  const std::string path = solo_rate_cache_path();
  nlohmann::json cache = nlohmann::json::object();
  if (!path.empty()) {
    std::ifstream in(path);
    if (in) {
      try {
        cache = nlohmann::json::parse(in);
        if (auto it = cache.find(key); it != cache.end() && it->is_number() && *it > 0.0)
          return {it->get<double>(), "cached in " + path};
      } catch (const std::exception&) {
        cache = nlohmann::json::object();  // unreadable: measured again and rewritten below
      }
    }
  }
  solo_rate r{measure(), "measured"};
  if (path.empty()) {
    r.source += " (no cache directory: set HETSGD_CACHE_DIR to keep it)";
    return r;
  }
  if (!cache.is_object())
    cache = nlohmann::json::object();
  cache[key] = r.samples_per_s;
  // Written whole to a temporary file and renamed over: readers never see half a file.
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    out << cache.dump(2) << "\n";
    if (!out)
      ec = std::make_error_code(std::errc::io_error);
  }
  if (!ec)
    fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    r.source += " (cannot write the cache " + path + ")";
  } else {
    r.source += ", cached in " + path;
  }
  return r;
}

}  // namespace hetsgd
