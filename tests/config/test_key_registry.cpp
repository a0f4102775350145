#include <catch2/catch.hpp>

#include <set>

#include "config/key_registry.hpp"

using hetsgd::config_value;
using hetsgd::fault_spec;
using hetsgd::key_registry;
using hetsgd::key_scope;
using hetsgd::run_config;
using hetsgd::value_type;

namespace {

/// A valid value of `key` that differs from its default.
config_value non_default_value(const hetsgd::key_spec& key) {
  switch (key.type) {
    case value_type::integer: {
      // 3, unless that is the default (policy.ssp.staleness): then 4.
      const auto def =
        key.scope == key_scope::run ? key.get(run_config{}) : key.get_fault(fault_spec{});
      const bool three_is_default = def && std::get<std::int64_t>(*def) == 3;
      return config_value{std::int64_t{three_is_default ? 4 : 3}};
    }
    case value_type::floating: return config_value{key.max && key.max->value <= 1.0 ? 0.5 : 3.5};
    case value_type::string: {
      if (key.choices.empty())
        return config_value{std::string("other")};
      // A choice other than the default, when there is one.
      const auto def =
        key.scope == key_scope::run ? key.get(run_config{}) : key.get_fault(fault_spec{});
      for (const auto& c : key.choices)
        if (!def || std::get<std::string>(*def) != c)
          return config_value{c};
      return config_value{key.choices.front()};
    }
    case value_type::boolean: {
      // The negation of the default.
      const auto def =
        key.scope == key_scope::run ? key.get(run_config{}) : key.get_fault(fault_spec{});
      return config_value{!(def && std::get<bool>(*def))};
    }
    case value_type::float_array: return config_value{std::vector<double>{0.5, 2.0, 1.0}};
  }
  return config_value{};
}

}  // namespace

CATCH_TEST_CASE("registry names are unique and grouped by table", "[config][registry]") {
  std::set<std::string> names;
  std::set<std::string> closed_tables;
  std::string current;
  for (const auto& key : key_registry()) {
    CATCH_CAPTURE(key.name);
    CATCH_CHECK(names.insert(key.name).second);
    CATCH_CHECK_FALSE(key.doc.empty());
    const std::string table = hetsgd::table_of(key);
    if (table != current) {
      CATCH_CHECK(closed_tables.count(table) == 0);  // a table's keys are contiguous
      closed_tables.insert(current);
      current = table;
    }
    if (key.scope == key_scope::run) {
      CATCH_CHECK(key.bind);
      CATCH_CHECK(key.get);
    } else {
      CATCH_CHECK(key.name.rfind("faults[].", 0) == 0);
      CATCH_CHECK(key.bind_fault);
      CATCH_CHECK(key.get_fault);
    }
  }
  CATCH_CHECK(hetsgd::find_key("train.lr") != nullptr);
  CATCH_CHECK(hetsgd::find_key("faults[].kind") != nullptr);
  CATCH_CHECK(hetsgd::find_key("train.nope") == nullptr);
  CATCH_CHECK(hetsgd::is_table_name("policy.ssgd"));
  CATCH_CHECK(hetsgd::is_table_name("policy"));
  CATCH_CHECK_FALSE(hetsgd::is_table_name("faults"));
  CATCH_CHECK_FALSE(hetsgd::is_table_name("train.lr"));
}

CATCH_TEST_CASE("every binder writes the field its getter reads", "[config][registry]") {
  for (const auto& key : key_registry()) {
    CATCH_CAPTURE(key.name);
    const config_value value = non_default_value(key);
    if (key.scope == key_scope::run) {
      run_config cfg;
      const auto before = key.get(cfg);
      key.bind(cfg, value);
      CATCH_CHECK(key.get(cfg) == std::optional<config_value>(value));
      if (key.choices.size() != 1)
        CATCH_CHECK(key.get(cfg) != before);
      // No other key moved: each binder touches exactly its own field.
      for (const auto& other : key_registry()) {
        if (other.scope != key_scope::run || other.name == key.name)
          continue;
        CATCH_CAPTURE(other.name);
        CATCH_CHECK(other.get(cfg) == other.get(run_config{}));
      }
    } else {
      fault_spec fault;
      key.bind_fault(fault, value);
      CATCH_CHECK(key.get_fault(fault) == std::optional<config_value>(value));
      for (const auto& other : key_registry()) {
        if (other.scope != key_scope::fault || other.name == key.name)
          continue;
        CATCH_CAPTURE(other.name);
        CATCH_CHECK(other.get_fault(fault) == other.get_fault(fault_spec{}));
      }
    }
  }
}

CATCH_TEST_CASE("defaults, units and constraints are printable", "[config][registry]") {
  const auto* lr = hetsgd::find_key("train.lr");
  CATCH_REQUIRE(lr != nullptr);
  CATCH_CHECK(hetsgd::default_text(*lr) == "0.05");
  CATCH_CHECK(hetsgd::constraint_text(*lr) == "> 0");
  const auto* workers = hetsgd::find_key("cluster.workers");
  CATCH_REQUIRE(workers != nullptr);
  CATCH_CHECK(hetsgd::default_text(*workers) == "4");
  CATCH_CHECK(hetsgd::constraint_text(*workers) == ">= 1, <= 4096");
  CATCH_CHECK(workers->unit == "workers");
  const auto* speeds = hetsgd::find_key("cluster.speeds");
  CATCH_REQUIRE(speeds != nullptr);
  CATCH_CHECK(hetsgd::default_text(*speeds) == "1.0 per worker");
  CATCH_CHECK(hetsgd::constraint_text(*speeds) == "each > 0");
  const auto* model = hetsgd::find_key("model.name");
  CATCH_REQUIRE(model != nullptr);
  CATCH_CHECK(hetsgd::default_text(*model) == "\"cnn\"");
  CATCH_CHECK(hetsgd::constraint_text(*model) == "mlp, cnn");
  const auto* momentum = hetsgd::find_key("train.momentum");
  CATCH_REQUIRE(momentum != nullptr);
  CATCH_CHECK(hetsgd::constraint_text(*momentum) == ">= 0, < 1");
  const auto* timeout = hetsgd::find_key("cluster.request_timeout_s");
  CATCH_REQUIRE(timeout != nullptr);
  CATCH_CHECK(timeout->unit == "s");
  const auto* worker = hetsgd::find_key("faults[].worker");
  CATCH_REQUIRE(worker != nullptr);
  CATCH_CHECK(hetsgd::default_text(*worker) == "none");
}
