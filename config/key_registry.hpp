#pragma once
/// The one registry of config keys. Each entry says everything about a key: dotted name, type,
/// default, unit, doc line, constraints, and how to write it into (and read it out of)
/// run_config. The loader validates against it, the effective config is written from it, and the
/// reference (docs/config.md) is rendered from it, so the three can never disagree.
///
/// To add a key: add a field to run_config.hpp (its initializer is the default), add one entry in
/// key_registry.cpp, and regenerate docs/config.md.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_value.hpp"
#include "config/run_config.hpp"

namespace hetsgd {

/// Whether a key lives in run_config itself or in one [[faults]] entry (a fault_spec).
enum class key_scope { run, fault };

/// One numeric bound; for arrays it applies to each element.
struct value_bound {
  double value = 0.0;
  bool exclusive = false;  ///< true: strictly greater/less than `value`
};

struct key_spec {
  std::string name;  ///< dotted name, "train.lr"; fault keys are "faults[].kind"
  value_type type = value_type::string;
  key_scope scope = key_scope::run;
  std::string unit;                ///< "s", "samples", ...; "" when dimensionless or not a quantity
  std::string doc;                 ///< one line for the reference
  std::optional<value_bound> min;  ///< lower bound of numbers (or of each array element)
  std::optional<value_bound> max;  ///< upper bound of numbers (or of each array element)
  std::vector<std::string> choices;  ///< allowed strings; empty = any string
  /// The choices may be extended at run time (config/registered_choices.hpp): model.name takes
  /// the names of models a program embedding hetsgd registered.
  bool extensible = false;
  bool required = false;  ///< must be given (only fault keys: kind)
  /// Printed instead of the default when the default is derived or absent ("1.0 per worker").
  std::string default_note;

  /// scope run: write a validated value into the config / read it back (nullopt = not set).
  std::function<void(run_config&, const config_value&)> bind;
  std::function<std::optional<config_value>(const run_config&)> get;
  /// scope fault: the same for one fault_spec.
  std::function<void(fault_spec&, const config_value&)> bind_fault;
  std::function<std::optional<config_value>(const fault_spec&)> get_fault;
};

/// Every key, in reference order: tables stay contiguous ([run], [data], ..., [[faults]]).
const std::vector<key_spec>& key_registry();

/// The entry named `name` ("train.lr", "faults[].kind"), or nullptr.
const key_spec* find_key(std::string_view name);

/// The table that holds a key: "train" for "train.lr", "policy.ssgd" for
/// "policy.ssgd.round_timeout_s", "faults" for "faults[].kind".
std::string table_of(const key_spec& key);

/// The key's name inside its table: "lr", "round_timeout_s", "kind".
std::string leaf_of(const key_spec& key);

/// Names of all tables in registry order, parents before children: "run", ..., "policy",
/// "policy.ssgd", ..., "faults".
const std::vector<std::string>& table_names();

/// True for a table that is a plain table (not the [[faults]] array) and holds keys or tables.
bool is_table_name(std::string_view name);

/// The default as TOML text ("0.05", "\"cnn\"") or the key's default_note; "" if neither.
std::string default_text(const key_spec& key);

/// The constraints in words: "> 0", ">= 1, <= 4096", "mlp, cnn"; "" if none.
std::string constraint_text(const key_spec& key);

}  // namespace hetsgd
