#include "config/registered_choices.hpp"

#include <algorithm>
#include <map>
#include <mutex>

namespace hetsgd {
namespace {

struct choice_table {
  std::mutex mutex;
  std::map<std::string, std::vector<std::string>> values;  ///< key -> registered values
};

choice_table& table() {
  static choice_table t;
  return t;
}

}  // namespace

void register_choice(const std::string& key, const std::string& value) {
  auto& t = table();
  std::lock_guard<std::mutex> lock(t.mutex);
  auto& v = t.values[key];
  if (std::find(v.begin(), v.end(), value) == v.end())
    v.push_back(value);
}

std::vector<std::string> registered_choices(const std::string& key) {
  auto& t = table();
  std::lock_guard<std::mutex> lock(t.mutex);
  auto it = t.values.find(key);
  return it == t.values.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace hetsgd
