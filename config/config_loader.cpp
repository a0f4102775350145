#include "config/config_loader.hpp"

#include "config/endpoint.hpp"
#include "config/registered_choices.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>

#include <toml++/toml.h>

#include "config/edit_distance.hpp"
#include "config/effective_toml.hpp"
#include "config/key_registry.hpp"
#include "config/override_parser.hpp"

namespace hetsgd {
namespace {

/// "head.tail": a key's dotted name, built in one string (these are made once per key).
std::string dotted(const std::string& head, const std::string& tail) {
  std::string name;
  name.reserve(head.size() + 1 + tail.size());
  name.append(head).append(1, '.').append(tail);
  return name;
}

/// Where a value came from: a position in the file, or one --set override.
struct origin {
  enum class kind { none, file, override_ };
  kind k = kind::none;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::size_t override_index = 0;
  std::string override_text;
};

origin from_source(const toml::source_region& region) {
  origin o;
  if (region.begin.line == 0)
    return o;  // no position known
  o.k = origin::kind::file;
  o.line = region.begin.line;
  o.column = region.begin.column;
  return o;
}

int rank(const origin& o) {
  switch (o.k) {
    case origin::kind::none: return 0;
    case origin::kind::file: return 1;
    case origin::kind::override_: return 2;
  }
  return 0;
}

/// File order, then override order: "the later key" of a cross-key rule, and the order in which
/// errors are reported.
bool before(const origin& a, const origin& b) {
  if (rank(a) != rank(b))
    return rank(a) < rank(b);
  if (a.k == origin::kind::file) {
    if (a.line != b.line)
      return a.line < b.line;
    return a.column < b.column;
  }
  if (a.k == origin::kind::override_)
    return a.override_index < b.override_index;
  return false;
}

/// "got ..." part of a type error: the TOML type and, for scalars, the value as written.
std::string describe(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "string " + quote_string(*node.value<std::string>());
    case toml::node_type::integer: return "integer " + std::to_string(*node.value<std::int64_t>());
    case toml::node_type::floating_point: return "float " + format_float(*node.value<double>());
    case toml::node_type::boolean: return *node.value<bool>() ? "boolean true" : "boolean false";
    case toml::node_type::array: return "array";
    case toml::node_type::table: return "table";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0)
      out += sep;
    out += items[i];
  }
  return out;
}

std::string leaf_name(const std::string& dotted) {
  const auto dot = dotted.rfind('.');
  return dot == std::string::npos ? dotted : dotted.substr(dot + 1);
}

std::vector<std::string> split_dotted(const std::string& key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto dot = key.find('.', start);
    parts.push_back(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos)
      break;
    start = dot + 1;
  }
  return parts;
}

/// Fault kinds that act on one worker and therefore need `worker`.
bool kind_needs_worker(const std::string& kind) {
  return kind == "slowdown" || kind == "pause" || kind == "crash" || kind == "rejoin" ||
         kind == "nan";
}

struct error_entry {
  origin where;
  std::string text;  ///< "KEY: WHAT"
};

/// One load: parse, overrides, validation, binding. Collects every error instead of stopping at
/// the first, so that a user fixes a config in one pass.
class loader {
 public:
  explicit loader(std::string source) : source_(std::move(source)) {}

  config_result load(const std::string& text, const std::vector<std::string>& overrides) {
    toml::table root;
    try {
      root = toml::parse(std::string_view(text), std::string_view(source_));
    } catch (const toml::parse_error& e) {
      return config_error{render(from_source(e.source())) +
                          ": syntax error: " + std::string(e.description())};
    }
    apply_overrides(root, overrides);
    walk_table(root, "", std::nullopt);
    cross_checks();
    if (!errors_.empty()) {
      std::stable_sort(
        errors_.begin(), errors_.end(),
        [](const error_entry& a, const error_entry& b) { return before(a.where, b.where); });
      std::string message;
      for (const auto& e : errors_) {
        if (!message.empty())
          message += '\n';
        message += render(e.where) + ": " + e.text;
      }
      return config_error{std::move(message)};
    }
    loaded_config out;
    out.cfg = cfg_;
    out.effective_toml = to_effective_toml(cfg_);
    return out;
  }

 private:
  std::string render(const origin& o) const {
    switch (o.k) {
      case origin::kind::file:
        return source_ + ":" + std::to_string(o.line) + ":" + std::to_string(o.column);
      case origin::kind::override_: return "--set " + o.override_text;
      case origin::kind::none: break;
    }
    return source_;
  }

  void error(const origin& where, std::string text) {
    errors_.push_back(error_entry{where, std::move(text)});
  }

  // --- overrides -------------------------------------------------------------------------------

  void apply_overrides(toml::table& root, const std::vector<std::string>& overrides) {
    for (std::size_t i = 0; i < overrides.size(); ++i) {
      origin o;
      o.k = origin::kind::override_;
      o.override_index = i;
      o.override_text = overrides[i];
      auto parsed = parse_override(overrides[i]);
      if (!parsed) {
        error(o, "expected key=value");
        continue;
      }
      const std::string& key = parsed->key;
      const key_spec* spec = find_key(key);
      const bool is_run_key = spec != nullptr && spec->scope == key_scope::run;
      if (!is_run_key && key != "faults" && !is_table_name(key)) {
        unknown(o, key, parsed->value().is_table());
        continue;
      }
      // Navigate to the parent table, creating (or replacing non-table) tables on the way: the
      // override wins over whatever the file had there.
      const std::vector<std::string> parts = split_dotted(key);
      toml::table* table = &root;
      for (std::size_t p = 0; p + 1 < parts.size(); ++p) {
        toml::node* next = table->get(parts[p]);
        if (next == nullptr || !next->is_table()) {
          table->insert_or_assign(parts[p], toml::table{});
          next = table->get(parts[p]);
        }
        table = next->as_table();
      }
      // A string key takes the text as written even when it happens to be another TOML value:
      // `--set run.name=2024-01-01` names the run, it is not a date.
      if (is_run_key && spec->type == value_type::string && !parsed->value().is_string()) {
        table->insert_or_assign(parts.back(), parsed->raw_value);
      } else {
        table->insert_or_assign(parts.back(), parsed->value());
      }
      // This override now owns `key` and everything under it.
      for (auto it = override_origin_.begin(); it != override_origin_.end();) {
        const std::string& name = it->first;
        const bool under = name.size() > key.size() && name.compare(0, key.size(), key) == 0 &&
                           (name[key.size()] == '.' || name[key.size()] == '[');
        it = under ? override_origin_.erase(it) : std::next(it);
      }
      override_origin_[key] = o;
    }
  }

  std::optional<origin> override_for(const std::string& name) const {
    const auto it = override_origin_.find(name);
    if (it == override_origin_.end())
      return std::nullopt;
    return it->second;
  }

  // --- unknown keys ------------------------------------------------------------------------------

  void unknown(const origin& where, const std::string& name, bool is_table) {
    std::vector<std::string> candidates;
    for (const auto& key : key_registry())
      if (key.scope == key_scope::run)
        candidates.push_back(key.name);
    for (const auto& t : table_names())
      candidates.push_back(t);
    std::optional<std::string> hint = closest_match(name, candidates);
    if (!hint) {
      // A key in the wrong table: `[train] workers = 4` means cluster.workers.
      const std::string leaf = leaf_name(name);
      for (const auto& c : candidates) {
        if (leaf_name(c) == leaf) {
          hint = c;
          break;
        }
      }
    }
    std::string text = name + ": unknown " + (is_table ? "table" : "key");
    if (hint) {
      text += " (did you mean " + *hint + "?)";
    } else if (name.compare(0, 6, "faults") == 0) {
      text +=
        " (faults are replaced as a whole: --set 'faults=[{kind=\"crash\", worker=1, "
        "at_s=5.0}]')";
    }
    error(where, std::move(text));
  }

  // --- the walk ----------------------------------------------------------------------------------

  /// `forced`: set when an override replaced an enclosing table; all positions are then the
  /// override's.
  void walk_table(const toml::table& table, const std::string& prefix,
                  const std::optional<origin>& forced) {
    for (auto&& [k, node] : table) {
      const std::string leaf(k.str());
      const std::string name = prefix.empty() ? leaf : dotted(prefix, leaf);
      std::optional<origin> f = override_for(name);
      if (!f)
        f = forced;
      const origin value_at = f ? *f : from_source(node.source());
      const origin key_at = f ? *f : from_source(k.source());
      // A quoted key with a dot ("train.lr" = 1) is one TOML key, not a path: never a match.
      const bool plain = leaf.find_first_of(".[]") == std::string::npos && !leaf.empty();
      if (plain && prefix.empty() && leaf == "faults") {
        walk_faults(node, f, value_at);
        continue;
      }
      const key_spec* spec = plain ? find_key(name) : nullptr;
      if (spec != nullptr && spec->scope == key_scope::run) {
        seen_[name] = value_at;
        if (auto value = convert(*spec, name, node, value_at, f)) {
          spec->bind(cfg_, *value);
        } else {
          invalid_.insert(name);
        }
        continue;
      }
      if (plain && is_table_name(name)) {
        if (const auto* sub = node.as_table()) {
          walk_table(*sub, name, f);
        } else {
          error(value_at, name + ": expected a table, got " + describe(node));
        }
        continue;
      }
      unknown(key_at, name, node.is_table());
    }
  }

  /// Type check and constraints of one value. Emits its errors; nullopt if there were any.
  std::optional<config_value> convert(const key_spec& spec, const std::string& name,
                                      const toml::node& node, const origin& at,
                                      const std::optional<origin>& forced) {
    switch (spec.type) {
      case value_type::integer: {
        const auto* v = node.as_integer();
        if (v == nullptr)
          return type_error(spec.type, name, node, at);
        const std::int64_t i = v->get();
        if (!within_bounds(spec, name, static_cast<double>(i), std::to_string(i), at))
          return std::nullopt;
        return config_value{i};
      }
      case value_type::floating: {
        auto d = as_float(spec, name, node, at);
        if (!d)
          return std::nullopt;
        return config_value{*d};
      }
      case value_type::string: {
        const auto* v = node.as_string();
        if (v == nullptr)
          return type_error(spec.type, name, node, at);
        const std::string& s = v->get();
        if (!spec.choices.empty()) {
          auto choices = spec.choices;
          if (spec.extensible)
            for (auto& c : registered_choices(spec.name))
              if (std::find(choices.begin(), choices.end(), c) == choices.end())
                choices.push_back(std::move(c));
          if (std::find(choices.begin(), choices.end(), s) == choices.end()) {
            error(at,
                  name + ": must be one of " + join(choices, ", ") + "; got " + quote_string(s));
            return std::nullopt;
          }
        }
        return config_value{s};
      }
      case value_type::boolean: {
        const auto* v = node.as_boolean();
        if (v == nullptr)
          return type_error(spec.type, name, node, at);
        return config_value{v->get()};
      }
      case value_type::float_array: {
        const auto* arr = node.as_array();
        if (arr == nullptr)
          return type_error(spec.type, name, node, at);
        std::vector<double> out;
        bool ok = true;
        for (std::size_t i = 0; i < arr->size(); ++i) {
          const toml::node& elem = *arr->get(i);
          const origin elem_at = forced ? *forced : from_source(elem.source());
          auto d = as_float(spec, name + "[" + std::to_string(i) + "]", elem, elem_at);
          if (d) {
            out.push_back(*d);
          } else {
            ok = false;
          }
        }
        if (!ok)
          return std::nullopt;
        return config_value{std::move(out)};
      }
    }
    return std::nullopt;
  }

  /// A float (integers promoted), finite and within the key's bounds.
  std::optional<double> as_float(const key_spec& spec, const std::string& name,
                                 const toml::node& node, const origin& at) {
    double d = 0.0;
    std::string text;
    if (const auto* f = node.as_floating_point()) {
      d = f->get();
      text = format_float(d);
    } else if (const auto* i = node.as_integer()) {
      d = static_cast<double>(i->get());
      text = std::to_string(i->get());
    } else {
      error(at, name + ": expected a float, got " + describe(node));
      return std::nullopt;
    }
    if (!std::isfinite(d)) {
      error(at, name + ": must be a finite number, got " + text);
      return std::nullopt;
    }
    if (!within_bounds(spec, name, d, text, at))
      return std::nullopt;
    return d;
  }

  std::nullopt_t type_error(value_type type, const std::string& name, const toml::node& node,
                            const origin& at) {
    error(at, name + ": expected " + type_name_with_article(type) + ", got " + describe(node));
    return std::nullopt;
  }

  bool within_bounds(const key_spec& spec, const std::string& name, double value,
                     const std::string& text, const origin& at) {
    if (spec.min) {
      const bool ok = spec.min->exclusive ? value > spec.min->value : value >= spec.min->value;
      if (!ok) {
        error(at, name + ": must be " + (spec.min->exclusive ? "> " : ">= ") +
                    format_number(spec.min->value) + ", got " + text);
        return false;
      }
    }
    if (spec.max) {
      const bool ok = spec.max->exclusive ? value < spec.max->value : value <= spec.max->value;
      if (!ok) {
        error(at, name + ": must be " + (spec.max->exclusive ? "< " : "<= ") +
                    format_number(spec.max->value) + ", got " + text);
        return false;
      }
    }
    return true;
  }

  // --- [[faults]] --------------------------------------------------------------------------------

  struct fault_origin {
    std::string name;  ///< "faults[2]"
    bool has_worker = false;
    origin worker_at;
  };

  void walk_faults(const toml::node& node, const std::optional<origin>& forced, const origin& at) {
    const auto* arr = node.as_array();
    if (arr == nullptr) {
      error(at, "faults: expected an array of tables ([[faults]]), got " + describe(node));
      return;
    }
    std::vector<std::string> leaves;
    for (const auto& key : key_registry())
      if (key.scope == key_scope::fault)
        leaves.push_back(leaf_of(key));

    for (std::size_t i = 0; i < arr->size(); ++i) {
      const toml::node& elem = *arr->get(i);
      const std::string fname = "faults[" + std::to_string(i) + "]";
      const origin elem_at = forced ? *forced : from_source(elem.source());
      const auto* table = elem.as_table();
      if (table == nullptr) {
        error(elem_at, fname + ": expected a table, got " + describe(elem));
        continue;
      }
      fault_spec fault;
      fault.source = render(elem_at);
      fault_origin where{fname, false, origin{}};
      std::set<std::string> present;
      bool ok = true;
      for (auto&& [k, v] : *table) {
        const std::string leaf(k.str());
        const std::string kname = dotted(fname, leaf);
        const origin key_at = forced ? *forced : from_source(k.source());
        const origin value_at = forced ? *forced : from_source(v.source());
        const key_spec* spec =
          leaf.find_first_of(".[]") == std::string::npos ? find_key("faults[]." + leaf) : nullptr;
        if (spec == nullptr) {
          auto hint = closest_match(leaf, leaves);
          error(key_at, kname + ": unknown " + (v.is_table() ? "table" : "key") +
                          (hint ? " (did you mean " + fname + "." + *hint + "?)" : ""));
          ok = false;
          continue;
        }
        present.insert(leaf);
        auto value = convert(*spec, kname, v, value_at, forced);
        if (!value) {
          ok = false;
          continue;
        }
        spec->bind_fault(fault, *value);
        if (leaf == "worker") {
          where.has_worker = true;
          where.worker_at = value_at;
        }
      }
      for (const auto& key : key_registry()) {
        if (key.scope == key_scope::fault && key.required && present.count(leaf_of(key)) == 0) {
          error(elem_at, fname + "." + leaf_of(key) + ": missing; every [[faults]] entry needs it");
          ok = false;
        }
      }
      if (ok && kind_needs_worker(fault.kind) && !where.has_worker) {
        error(elem_at, fname + ".worker: missing; a " + quote_string(fault.kind) +
                         " fault needs a target worker");
        ok = false;
      }
      if (ok) {
        // The value that makes the kind do anything; without it the fault would be a no-op.
        std::string need;
        if (fault.kind == "delay" && !(fault.delay_s > 0.0))
          need = "delay_s: a \"delay\" fault needs delay_s > 0";
        else if (fault.kind == "slow_link" && !(fault.bandwidth_mb_s > 0.0))
          need = "bandwidth_mb_s: a \"slow_link\" fault needs bandwidth_mb_s > 0";
        else if (fault.kind == "drop" && !(fault.probability > 0.0 && fault.probability < 1.0))
          need =
            "probability: a \"drop\" fault needs 0 < probability < 1 (a link that loses "
            "every message never delivers)";
        else if (fault.kind == "disturbance" && !(fault.probability > 0.0))
          need = "probability: a \"disturbance\" fault needs probability > 0";
        else if (fault.kind == "disturbance" && !(fault.factor > 1.0))
          need = "factor: a \"disturbance\" fault needs factor > 1";
        if (!need.empty()) {
          error(elem_at, dotted(fname, need));
          ok = false;
        }
      }
      if (ok) {
        cfg_.faults.push_back(std::move(fault));
        fault_origins_.push_back(std::move(where));
      }
    }
  }

  // --- rules across keys -----------------------------------------------------------------------

  bool valid(const std::string& name) const { return invalid_.count(name) == 0; }

  /// The later of two keys (by origin) that were given; a key never given loses.
  std::pair<std::string, origin> later(const std::string& a, const std::string& b) const {
    const auto ia = seen_.find(a);
    const auto ib = seen_.find(b);
    if (ia == seen_.end() && ib == seen_.end())
      return {b, origin{}};
    if (ia == seen_.end())
      return {b, ib->second};
    if (ib == seen_.end())
      return {a, ia->second};
    return before(ia->second, ib->second) ? std::make_pair(b, ib->second)
                                          : std::make_pair(a, ia->second);
  }

  void cross_checks() {
    const bool workers_ok = valid("cluster.workers");
    const std::int64_t workers = cfg_.cluster.workers;

    if (valid("cluster.listen")) {
      std::string why;
      const auto at = seen_.count("cluster.listen") ? seen_.at("cluster.listen") : origin{};
      if (auto e = parse_endpoint(cfg_.cluster.listen, why); !e)
        error(at, "cluster.listen: " + why);
      else if (!is_loopback(e->host) && cfg_.cluster.token.empty())
        error(at, "cluster.listen: " + e->host +
                    " is not a loopback address; listening beyond "
                    "this machine requires cluster.token (a shared secret every worker presents)");
    }

    if (valid("cluster.hosted_workers") && cfg_.cluster.hosted_workers > 0) {
      const auto at =
        seen_.count("cluster.hosted_workers") ? seen_.at("cluster.hosted_workers") : origin{};
      if (valid("cluster.mode") && cfg_.cluster.mode != "processes")
        error(at,
              "cluster.hosted_workers: needs cluster.mode = \"processes\" (with threads, "
              "every worker runs in the aggregator's process already)");
      else if (workers_ok && cfg_.cluster.hosted_workers > workers)
        error(at, "cluster.hosted_workers: must be <= cluster.workers (" + std::to_string(workers) +
                    "), got " + std::to_string(cfg_.cluster.hosted_workers));
    }

    if (workers_ok && valid("cluster.speeds")) {
      if (seen_.count("cluster.speeds") == 0) {
        cfg_.cluster.speeds.assign(static_cast<std::size_t>(workers), 1.0);
      } else if (static_cast<std::int64_t>(cfg_.cluster.speeds.size()) != workers) {
        const std::string entries = std::to_string(cfg_.cluster.speeds.size());
        const auto [name, at] = later("cluster.workers", "cluster.speeds");
        if (name == "cluster.speeds") {
          error(at, "cluster.speeds: must have cluster.workers (" + std::to_string(workers) +
                      ") entries, got " + entries);
        } else {
          error(at, "cluster.workers: must equal the length of cluster.speeds (" + entries +
                      "), got " + std::to_string(workers));
        }
      }
    }

    // Per-worker arrays other than speeds: optional, but one entry per worker when given.
    const std::pair<const char*, const std::vector<double>*> per_worker[] = {
      {"network.worker_latency_s", &cfg_.network.worker_latency_s},
      {"network.worker_bandwidth_mb_s", &cfg_.network.worker_bandwidth_mb_s}};
    for (const auto& [key, field] : per_worker) {
      const auto& values = *field;
      if (!workers_ok || !valid(key) || seen_.count(key) == 0 ||
          static_cast<std::int64_t>(values.size()) == workers)
        continue;
      const auto [name, at] = later("cluster.workers", key);
      if (name == key)
        error(at, name + ": must have cluster.workers (" + std::to_string(workers) +
                    ") entries, got " + std::to_string(values.size()));
      else
        error(at, "cluster.workers: must equal the length of " + std::string(key) + " (" +
                    std::to_string(values.size()) + "), got " + std::to_string(workers));
    }

    if (valid("train.max_samples") && valid("train.max_seconds") && cfg_.train.max_samples == 0 &&
        cfg_.train.max_seconds == 0.0) {
      const auto [name, at] = later("train.max_samples", "train.max_seconds");
      error(at, name +
                  ": a run needs a stop condition; train.max_samples and "
                  "train.max_seconds are both 0");
    }

    if (workers_ok) {
      const auto workers_seen = seen_.find("cluster.workers");
      for (std::size_t i = 0; i < cfg_.faults.size(); ++i) {
        const fault_origin& fo = fault_origins_[i];
        const std::int64_t w = cfg_.faults[i].worker;
        if (!fo.has_worker || w < workers)
          continue;
        if (workers_seen != seen_.end() && before(fo.worker_at, workers_seen->second)) {
          error(workers_seen->second, "cluster.workers: must be > " + fo.name + ".worker (" +
                                        std::to_string(w) + "), got " + std::to_string(workers));
        } else {
          error(fo.worker_at, fo.name + ".worker: must be < cluster.workers (" +
                                std::to_string(workers) + "), got " + std::to_string(w));
        }
      }
    }
  }

  std::string source_;
  std::vector<error_entry> errors_;
  run_config cfg_;
  std::map<std::string, origin> seen_;             ///< run keys given, where their value is
  std::set<std::string> invalid_;                  ///< run keys given with an error
  std::map<std::string, origin> override_origin_;  ///< keys (or tables) set by --set
  std::vector<fault_origin> fault_origins_;        ///< parallel to cfg_.faults
};

}  // namespace

config_result load_config_string(const std::string& toml_text, const std::string& source_name,
                                 const std::vector<std::string>& overrides) {
  try {
    return loader(source_name).load(toml_text, overrides);
  } catch (const std::exception& e) {
    return config_error{source_name + ": internal error while loading the config: " + e.what()};
  } catch (...) {
    return config_error{source_name + ": internal error while loading the config"};
  }
}

config_result load_config(const std::string& path, const std::vector<std::string>& overrides) {
  try {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      return config_error{path + ": cannot open config file (it is a directory)"};
    }
    std::ifstream in(path, std::ios::binary);
    if (!in)
      return config_error{path + ": cannot open config file"};
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
      return config_error{path + ": cannot read config file"};
    return load_config_string(text.str(), path, overrides);
  } catch (const std::exception& e) {
    return config_error{path + ": cannot read config file: " + e.what()};
  }
}

}  // namespace hetsgd
