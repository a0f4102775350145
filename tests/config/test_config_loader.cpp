/// Loading valid configs: defaults, overrides, effective TOML round trip, examples, faults.
#include <catch2/catch.hpp>

#include "config/key_registry.hpp"
#include "config_test_util.hpp"

using hetsgd::config_value;
using hetsgd::key_registry;
using hetsgd::key_scope;
using hetsgd::load_config;
using hetsgd::load_config_string;
using hetsgd::run_config;
using hetsgd::test::example_path;
using hetsgd::test::load_ok;

namespace {

/// Compares two configs key by key through the registry (so a new key is compared too) and fault
/// by fault; returns the first difference, "" if none. fault_spec::source is where a fault was
/// written, not part of its value, and is not compared.
std::string first_difference(const run_config& a, const run_config& b) {
  for (const auto& key : key_registry()) {
    if (key.scope != key_scope::run)
      continue;
    if (key.get(a) != key.get(b)) {
      return key.name + ": " + (key.get(a) ? hetsgd::to_toml_text(*key.get(a)) : "unset") + " vs " +
             (key.get(b) ? hetsgd::to_toml_text(*key.get(b)) : "unset");
    }
  }
  if (a.faults.size() != b.faults.size())
    return "number of faults differs";
  for (std::size_t i = 0; i < a.faults.size(); ++i) {
    for (const auto& key : key_registry()) {
      if (key.scope != key_scope::fault)
        continue;
      if (key.get_fault(a.faults[i]) != key.get_fault(b.faults[i])) {
        return "faults[" + std::to_string(i) + "]: " + key.name;
      }
    }
  }
  return "";
}

}  // namespace

CATCH_TEST_CASE("an empty config takes every default", "[config][loader]") {
  const auto loaded = load_ok("");
  run_config expected;
  expected.cluster.speeds = {1.0, 1.0, 1.0, 1.0};  // derived: one 1.0 per worker
  CATCH_CHECK(first_difference(loaded.cfg, expected) == "");
  CATCH_CHECK(loaded.cfg.train.lr == 0.05);
  CATCH_CHECK(loaded.cfg.cluster.workers == 4);
  CATCH_CHECK(loaded.cfg.policy.name == "ssgd");
  CATCH_CHECK(loaded.cfg.output.plots);
  CATCH_CHECK(loaded.cfg.faults.empty());
}

CATCH_TEST_CASE("cluster.speeds defaults to 1.0 per worker", "[config][loader]") {
  const auto loaded = load_ok("[cluster]\nworkers = 3\n");
  CATCH_CHECK(loaded.cfg.cluster.speeds == std::vector<double>{1.0, 1.0, 1.0});
  CATCH_CHECK(loaded.effective_toml.find("\nspeeds = [1.0, 1.0, 1.0]\n") != std::string::npos);
  // An override of workers alone resizes the derived speeds.
  CATCH_CHECK(load_ok("", {"cluster.workers=2"}).cfg.cluster.speeds ==
              std::vector<double>{1.0, 1.0});
}

CATCH_TEST_CASE("a stop condition of either kind is enough", "[config][loader]") {
  const auto by_time = load_ok("[train]\nmax_samples = 0\nmax_seconds = 60\n").cfg;
  CATCH_CHECK(by_time.train.max_samples == 0);
  CATCH_CHECK(by_time.train.max_seconds == 60.0);
  const auto by_samples = load_ok("[train]\nmax_samples = 1000\nmax_seconds = 0\n").cfg;
  CATCH_CHECK(by_samples.train.max_samples == 1000);
}

CATCH_TEST_CASE("overrides set numbers, arrays, booleans and bare-word strings",
                "[config][loader][override]") {
  const std::string file = "[train]\nlr = 0.05\n[cluster]\nworkers = 4\n";
  const auto loaded = load_ok(
    file, {"policy.name=abs_sgd", "train.max_samples=20000", "train.lr=1", "cluster.workers=2",
           "cluster.speeds=[1.0,0.5]", "output.plots=false", "run.name=2024-01-01",
           "output.dir=/tmp/some run", "policy.asgd.max_staleness = 8"});
  const run_config& cfg = loaded.cfg;
  CATCH_CHECK(cfg.policy.name == "abs_sgd");
  CATCH_CHECK(cfg.train.max_samples == 20000);
  CATCH_CHECK(cfg.train.lr == 1.0);  // integer promoted to float
  CATCH_CHECK(cfg.cluster.workers == 2);
  CATCH_CHECK(cfg.cluster.speeds == std::vector<double>{1.0, 0.5});
  CATCH_CHECK_FALSE(cfg.output.plots);
  CATCH_CHECK(cfg.run.name == "2024-01-01");  // a string key takes the text, not a TOML date
  CATCH_CHECK(cfg.output.dir == "/tmp/some run");
  CATCH_CHECK(cfg.policy.asgd.max_staleness == 8);

  const std::string& toml = loaded.effective_toml;
  CATCH_CHECK(toml.find("\n[policy]\nname = \"abs_sgd\"\n") != std::string::npos);
  CATCH_CHECK(toml.find("\nmax_samples = 20000\n") != std::string::npos);
  CATCH_CHECK(toml.find("\nlr = 1.0\n") != std::string::npos);
  CATCH_CHECK(toml.find("\nspeeds = [1.0, 0.5]\n") != std::string::npos);
  CATCH_CHECK(toml.find("\nplots = false\n") != std::string::npos);
  CATCH_CHECK(toml.find("\nname = \"2024-01-01\"\n") != std::string::npos);
  CATCH_CHECK(toml.find("\n[policy.asgd]\nmax_staleness = 8\n") != std::string::npos);
}

CATCH_TEST_CASE("later overrides win, and a table override replaces the table",
                "[config][loader][override]") {
  CATCH_CHECK(load_ok("", {"train.lr=0.1", "train.lr=0.2"}).cfg.train.lr == 0.2);
  const auto cfg = load_ok("[train]\nlr = 0.3\nbatch = 16\n", {"train={lr=0.4}"}).cfg;
  CATCH_CHECK(cfg.train.lr == 0.4);
  CATCH_CHECK(cfg.train.batch == 64);  // back to its default: the whole table was replaced
}

CATCH_TEST_CASE("faults are parsed with their source", "[config][loader][faults]") {
  const std::string file =
    "[cluster]\n"
    "workers = 4\n"
    "\n"
    "[[faults]]\n"
    "kind = \"slowdown\"\n"
    "worker = 2\n"
    "at_s = 10\n"
    "duration_s = 5.0\n"
    "factor = 4.0\n"
    "\n"
    "  [[faults]]\n"
    "  kind = \"drop\"\n"
    "  probability = 0.25\n";
  const auto loaded = load_ok(file, {}, "f.toml");
  const auto& faults = loaded.cfg.faults;
  CATCH_REQUIRE(faults.size() == 2);
  CATCH_CHECK(faults[0].kind == "slowdown");
  CATCH_CHECK(faults[0].worker == 2);
  CATCH_CHECK(faults[0].at_s == 10.0);
  CATCH_CHECK(faults[0].duration_s == 5.0);
  CATCH_CHECK(faults[0].factor == 4.0);
  CATCH_CHECK(faults[0].probability == 0.0);
  CATCH_CHECK(faults[0].source == "f.toml:4:1");
  CATCH_CHECK(faults[1].kind == "drop");
  CATCH_CHECK(faults[1].worker == -1);  // not set: drop does not target one worker
  CATCH_CHECK(faults[1].probability == 0.25);
  CATCH_CHECK(faults[1].factor == 1.0);
  CATCH_CHECK(faults[1].source == "f.toml:11:3");
  // The unset worker is left out of the effective config rather than written as -1.
  CATCH_CHECK(loaded.effective_toml.find("worker = -1") == std::string::npos);
  CATCH_CHECK(loaded.effective_toml.find("\n[[faults]]\nkind = \"slowdown\"\nworker = 2\n") !=
              std::string::npos);
}

CATCH_TEST_CASE("faults are replaced as a whole by --set", "[config][loader][faults]") {
  const std::string file = "[[faults]]\nkind = \"crash\"\nworker = 1\nat_s = 3.0\n";
  CATCH_CHECK(load_ok(file, {"faults=[]"}).cfg.faults.empty());
  const std::string set = "faults=[{kind=\"pause\", worker=3, at_s=5.0, duration_s=2}]";
  const auto cfg = load_ok(file, {set}).cfg;
  CATCH_REQUIRE(cfg.faults.size() == 1);
  CATCH_CHECK(cfg.faults[0].kind == "pause");
  CATCH_CHECK(cfg.faults[0].worker == 3);
  CATCH_CHECK(cfg.faults[0].duration_s == 2.0);
  CATCH_CHECK(cfg.faults[0].source == "--set " + set);
}

CATCH_TEST_CASE("the effective TOML reloads to the same config and is a fixed point",
                "[config][loader][roundtrip]") {
  const std::string file =
    "[run]\nname = \"q\\\"uote\\\\d\\ttab\"\nseed = 7\n"
    "[train]\nlr = 0.1\nmomentum = 0.9\nweight_decay = 1e-4\nmax_seconds = 12.5\n"
    "target_accuracy = 0.875\neval_samples = 2000\n"
    "[cluster]\nclock = \"simulated\"\nworkers = 3\nspeeds = [1.0, 0.3333333333333333, 0.1]\n"
    "request_timeout_s = 30\nmode = \"processes\"\ntransport = \"gloo\"\n"
    "[policy.ssgd]\nround_timeout_s = 2.5\n"
    "[simulation]\nnoise = \"lognormal\"\nnoise_sigma = 0.5\nstall_s = 90\n"
    "[network]\nlatency_s = 0.001\nworker_latency_s = [0.001, 0.002, 0.25]\n"
    "worker_bandwidth_mb_s = [1000.0, 100.0, 12.5]\n"
    "[output]\ndir = \"runs/x\"\nprogress_every_s = 0\n"
    "[[faults]]\nkind = \"nan\"\nworker = 0\nat_s = 1.5\n"
    "[[faults]]\nkind = \"disturbance\"\nprobability = 0.1\nfactor = 3.0\nmax_epochs = 4\n"
    "[[faults]]\nkind = \"slow_link\"\nbandwidth_mb_s = 12.5\n"
    "[[faults]]\nkind = \"delay\"\nworker = 1\ndelay_s = 0.125\n";
  const auto first = load_ok(file, {"model.name=mlp", "train.batch=128", "output.plots=false"});
  const auto second = load_ok(first.effective_toml, {}, "config.toml");
  CATCH_CHECK(first_difference(first.cfg, second.cfg) == "");
  CATCH_CHECK(second.cfg.run.name == "q\"uote\\d\ttab");
  CATCH_CHECK(second.cfg.cluster.speeds[1] == 0.3333333333333333);
  CATCH_CHECK(second.cfg.train.weight_decay == 1e-4);
  CATCH_CHECK(second.cfg.faults.size() == 4);
  CATCH_CHECK(second.cfg.faults[1].max_epochs == 4);
  CATCH_CHECK(second.cfg.faults[2].bandwidth_mb_s == 12.5);
  CATCH_CHECK(second.cfg.faults[3].delay_s == 0.125);
  CATCH_CHECK(second.cfg.simulation.noise == "lognormal");
  CATCH_CHECK(second.cfg.network.worker_latency_s.at(2) == 0.25);
  CATCH_CHECK(second.cfg.network.worker_bandwidth_mb_s.at(1) == 100.0);
  CATCH_CHECK(second.effective_toml == first.effective_toml);
  // Every key of the registry is written, defaults included.
  for (const auto& key : key_registry()) {
    if (key.scope != key_scope::run)
      continue;
    CATCH_CAPTURE(key.name);
    CATCH_CHECK(first.effective_toml.find("\n" + hetsgd::leaf_of(key) + " = ") !=
                std::string::npos);
  }
}

CATCH_TEST_CASE("floats are written in their shortest exact form", "[config][loader][roundtrip]") {
  const auto loaded = load_ok("[train]\nlr = 0.05\nmax_seconds = 1e-7\n");
  CATCH_CHECK(loaded.effective_toml.find("\nlr = 0.05\n") != std::string::npos);
  CATCH_CHECK(loaded.effective_toml.find("\nmax_seconds = 1e-07\n") != std::string::npos);
  CATCH_CHECK(hetsgd::format_float(0.1 + 0.2) == "0.30000000000000004");
  CATCH_CHECK(hetsgd::format_float(2.0) == "2.0");
  CATCH_CHECK(hetsgd::format_float(1e300) == "1e+300");
}

CATCH_TEST_CASE("the example configs load", "[config][loader][examples]") {
  CATCH_SECTION("default.toml") {
    auto result = load_config(example_path("default.toml"), {});
    if (const auto* err = std::get_if<hetsgd::config_error>(&result))
      CATCH_FAIL(err->message);
    const run_config& cfg = std::get<hetsgd::loaded_config>(result).cfg;
    CATCH_CHECK(cfg.run.name == "default");
    CATCH_CHECK(cfg.run.seed == 42);
    CATCH_CHECK(cfg.data.name == "fashion-mnist");
    CATCH_CHECK(cfg.model.name == "cnn");
    CATCH_CHECK(cfg.train.lr == 0.05);
    CATCH_CHECK(cfg.train.micro_batch == 32);
    CATCH_CHECK(cfg.train.batch == 64);
    CATCH_CHECK(cfg.train.target_accuracy == 0.80);
    CATCH_CHECK(cfg.train.eval_every_s == 2.0);
    CATCH_CHECK(cfg.cluster.clock == "real");
    CATCH_CHECK(cfg.cluster.workers == 4);
    CATCH_CHECK(cfg.cluster.speeds == std::vector<double>{1.0, 1.0, 0.5, 0.25});
    CATCH_CHECK(cfg.policy.name == "ssgd");
    CATCH_CHECK(cfg.faults.empty());
  }
  CATCH_SECTION("fashion_asgd.toml") {
    auto result = load_config(example_path("fashion_asgd.toml"), {"train.max_samples=1000"});
    if (const auto* err = std::get_if<hetsgd::config_error>(&result))
      CATCH_FAIL(err->message);
    const run_config& cfg = std::get<hetsgd::loaded_config>(result).cfg;
    CATCH_CHECK(cfg.policy.name == "asgd");
    CATCH_CHECK(cfg.model.name == "mlp");
    CATCH_CHECK(cfg.train.max_samples == 1000);
  }
}

CATCH_TEST_CASE("every policy name loads from an override", "[config][loader][examples]") {
  const auto* policy = hetsgd::find_key("policy.name");
  CATCH_REQUIRE(policy != nullptr);
  for (const auto& name : policy->choices) {
    CATCH_CAPTURE(name);
    auto result = load_config(example_path("default.toml"), {"policy.name=" + name});
    CATCH_REQUIRE(std::holds_alternative<hetsgd::loaded_config>(result));
    CATCH_CHECK(std::get<hetsgd::loaded_config>(result).cfg.policy.name == name);
  }
}
