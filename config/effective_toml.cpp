#include "config/effective_toml.hpp"

#include <sstream>

#include "config/key_registry.hpp"

namespace hetsgd {

std::string to_effective_toml(const run_config& cfg) {
  std::string out =
    "# Effective hetsgd config: every key after overrides, with defaults filled in.\n"
    "# Loading this file again reproduces the same configuration.\n";
  std::string current_table;
  for (const auto& key : key_registry()) {
    if (key.scope != key_scope::run)
      continue;
    const std::string table = table_of(key);
    if (table != current_table) {
      out += "\n[" + table + "]\n";
      current_table = table;
    }
    if (const auto value = key.get(cfg))
      out += leaf_of(key) + " = " + to_toml_text(*value) + "\n";
  }
  for (const auto& fault : cfg.faults) {
    out += "\n[[faults]]\n";
    for (const auto& key : key_registry()) {
      if (key.scope != key_scope::fault)
        continue;
      if (const auto value = key.get_fault(fault))
        out += leaf_of(key) + " = " + to_toml_text(*value) + "\n";
    }
  }
  return out;
}

std::string redact_secrets(const std::string& toml) {
  std::istringstream in(toml);
  std::string out, line;
  bool in_cluster = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.front() == '[')
      in_cluster = line.rfind("[cluster]", 0) == 0;
    if (in_cluster && line.rfind("token = ", 0) == 0 && line != "token = \"\"")
      line = "token = \"(redacted)\"";
    out += line + "\n";
  }
  return out;
}

}  // namespace hetsgd
