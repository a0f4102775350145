/// Every malformed config gives one exact message: WHERE: KEY: WHAT.
#include <catch2/catch.hpp>

#include "config_test_util.hpp"

using hetsgd::test::load_error;

CATCH_TEST_CASE("type errors point at the value", "[config][errors]") {
  CATCH_CHECK(load_error("# learning rate\n[train]\nlr = \"fast\"\n") ==
              "bad.toml:3:6: train.lr: expected a float, got string \"fast\"");
  CATCH_CHECK(load_error("[train]\nbatch = 64.0\n") ==
              "bad.toml:2:9: train.batch: expected an integer, got float 64.0");
  CATCH_CHECK(load_error("[output]\nplots = 1\n") ==
              "bad.toml:2:9: output.plots: expected a boolean, got integer 1");
  CATCH_CHECK(load_error("[model]\nname = true\n") ==
              "bad.toml:2:8: model.name: expected a string, got boolean true");
  CATCH_CHECK(load_error("[cluster]\nspeeds = 1.0\n") ==
              "bad.toml:2:10: cluster.speeds: expected an array of floats, got float 1.0");
  CATCH_CHECK(load_error("train = 5\n") == "bad.toml:1:9: train: expected a table, got integer 5");
  CATCH_CHECK(load_error("[run]\nseed = 1979-05-27\n") ==
              "bad.toml:2:8: run.seed: expected an integer, got date");
}

CATCH_TEST_CASE("float keys accept integers, integer keys do not accept floats",
                "[config][errors]") {
  const auto cfg = hetsgd::test::load_ok("[train]\nlr = 1\nmax_seconds = 30\n").cfg;
  CATCH_CHECK(cfg.train.lr == 1.0);
  CATCH_CHECK(cfg.train.max_seconds == 30.0);
  CATCH_CHECK(load_error("[cluster]\nworkers = 4.0\n") ==
              "bad.toml:2:11: cluster.workers: expected an integer, got float 4.0");
}

CATCH_TEST_CASE("bounds and choices", "[config][errors]") {
  CATCH_CHECK(load_error("[cluster]\nworkers = 0\n") ==
              "bad.toml:2:11: cluster.workers: must be >= 1, got 0");
  CATCH_CHECK(load_error("[cluster]\nworkers = 5000\n") ==
              "bad.toml:2:11: cluster.workers: must be <= 4096, got 5000");
  CATCH_CHECK(load_error("[train]\nlr = 0.0\n") == "bad.toml:2:6: train.lr: must be > 0, got 0.0");
  CATCH_CHECK(load_error("[train]\nlr = -1\n") == "bad.toml:2:6: train.lr: must be > 0, got -1");
  CATCH_CHECK(load_error("[train]\nmomentum = 1.0\n") ==
              "bad.toml:2:12: train.momentum: must be < 1, got 1.0");
  CATCH_CHECK(load_error("[train]\ntarget_accuracy = 1.5\n") ==
              "bad.toml:2:19: train.target_accuracy: must be <= 1, got 1.5");
  CATCH_CHECK(load_error("[train]\neval_samples = 10001\n") ==
              "bad.toml:2:16: train.eval_samples: must be <= 10000, got 10001");
  CATCH_CHECK(load_error("[train]\nmicro_batch = 0\n") ==
              "bad.toml:2:15: train.micro_batch: must be >= 1, got 0");
  CATCH_CHECK(load_error("[train]\nlr = nan\n") ==
              "bad.toml:2:6: train.lr: must be a finite number, got nan");
  CATCH_CHECK(load_error("[cluster]\nrequest_timeout_s = 0\n") ==
              "bad.toml:2:21: cluster.request_timeout_s: must be > 0, got 0");
  CATCH_CHECK(load_error("\n\n\n\n\n\n\n[model]\nname = \"resnet\"\n") ==
              "bad.toml:9:8: model.name: must be one of mlp, cnn; got \"resnet\"");
  CATCH_CHECK(load_error("[cluster]\ntransport = \"mpi\"\n") ==
              "bad.toml:2:13: cluster.transport: must be one of local, gloo, nccl; got \"mpi\"");
  CATCH_CHECK(load_error("[policy]\nname = \"sgd\"\n") ==
              "bad.toml:2:8: policy.name: must be one of ssgd, asgd, ssp, backup, local_sgd, abs, "
              "abs_sgd, od_sgd, wp_sgd, dbs; got \"sgd\"");
}

CATCH_TEST_CASE("array elements are checked one by one", "[config][errors]") {
  CATCH_CHECK(load_error("[cluster]\nworkers = 4\nspeeds = [1.0, 0.0, \"x\", 1]\n") ==
              "bad.toml:3:16: cluster.speeds[1]: must be > 0, got 0.0\n"
              "bad.toml:3:21: cluster.speeds[2]: expected a float, got string \"x\"");
}

CATCH_TEST_CASE("unknown keys are rejected with a suggestion", "[config][errors]") {
  CATCH_CHECK(load_error("[train]\nlr = 0.1\nbatch = 64\nmicro_batch = 32\nlrr = 0.2\n") ==
              "bad.toml:5:1: train.lrr: unknown key (did you mean train.lr?)");
  CATCH_CHECK(load_error("[trian]\nlr = 0.1\n") ==
              "bad.toml:1:2: trian: unknown table (did you mean train?)");
  // A key in the wrong table is found by its name.
  CATCH_CHECK(load_error("[train]\nworkers = 4\n") ==
              "bad.toml:2:1: train.workers: unknown key (did you mean cluster.workers?)");
  CATCH_CHECK(load_error("seed = 1\n") ==
              "bad.toml:1:1: seed: unknown key (did you mean run.seed?)");
  // Far from everything: no suggestion.
  CATCH_CHECK(load_error("[cluster]\nxyzzy = 1\n") == "bad.toml:2:1: cluster.xyzzy: unknown key");
  // Dotted keys create tables too.
  CATCH_CHECK(load_error("trian.lr = 0.1\n") ==
              "bad.toml:1:1: trian: unknown table (did you mean train?)");
  // A quoted key with a dot is one key, not a path.
  CATCH_CHECK(load_error("[train]\n\"lr.x\" = 1\n") ==
              "bad.toml:2:1: train.lr.x: unknown key (did you mean train.lr?)");
}

CATCH_TEST_CASE("unknown subtables of policy are rejected", "[config][errors]") {
  // A name far from every policy table (foo is 3 edits from ssp): no suggestion.
  CATCH_CHECK(load_error("[policy]\nname = \"ssgd\"\n[policy.xyzzy]\nx = 1\n") ==
              "bad.toml:3:9: policy.xyzzy: unknown table");
  CATCH_CHECK(load_error("[policy.sgd]\nround_timeout_s = 1.0\n") ==
              "bad.toml:1:9: policy.sgd: unknown table (did you mean policy.ssgd?)");
  CATCH_CHECK(load_error("[policy.ssgd]\nround_timeout = 1.0\n") ==
              "bad.toml:2:1: policy.ssgd.round_timeout: unknown key (did you mean "
              "policy.ssgd.round_timeout_s?)");
}

CATCH_TEST_CASE("TOML syntax errors carry toml++'s position and description", "[config][errors]") {
  // toml++ points at the newline where it expected the value.
  CATCH_CHECK(load_error("[train]\nlr = \n") ==
              "bad.toml:2:6: syntax error: Error while parsing key-value pair: expected value, "
              "saw '\\n'");
  const std::string dup = load_error("[train]\nlr = 0.1\nlr = 0.2\n");
  CATCH_CHECK(dup.rfind("bad.toml:3:", 0) == 0);
  CATCH_CHECK(dup.find(": syntax error: ") != std::string::npos);
  CATCH_CHECK(dup.find('\n') == std::string::npos);  // one error only: parsing stops there
}

CATCH_TEST_CASE("a missing file is reported without a position", "[config][errors]") {
  const std::string path = "/nonexistent-hetsgd-dir/bad.toml";
  auto result = hetsgd::load_config(path, {});
  CATCH_REQUIRE(std::holds_alternative<hetsgd::config_error>(result));
  CATCH_CHECK(std::get<hetsgd::config_error>(result).message == path + ": cannot open config file");
}

CATCH_TEST_CASE("errors in overrides name the override", "[config][errors]") {
  CATCH_CHECK(load_error("", {"train.lr=abc"}) ==
              "--set train.lr=abc: train.lr: expected a float, got string \"abc\"");
  CATCH_CHECK(load_error("", {"foo"}) == "--set foo: expected key=value");
  CATCH_CHECK(load_error("", {"=3"}) == "--set =3: expected key=value");
  CATCH_CHECK(load_error("", {"train.lrr=0.1"}) ==
              "--set train.lrr=0.1: train.lrr: unknown key (did you mean train.lr?)");
  CATCH_CHECK(load_error("", {"cluster.workers=0"}) ==
              "--set cluster.workers=0: cluster.workers: must be >= 1, got 0");
  CATCH_CHECK(load_error("", {"cluster.speeds=[1.0,-2.0,1.0,1.0]"}) ==
              "--set cluster.speeds=[1.0,-2.0,1.0,1.0]: cluster.speeds[1]: must be > 0, got -2.0");
  CATCH_CHECK(load_error("", {"model.name=resnet"}) ==
              "--set model.name=resnet: model.name: must be one of mlp, cnn; got \"resnet\"");
  CATCH_CHECK(load_error("", {"train={lr=\"x\"}"}) ==
              "--set train={lr=\"x\"}: train.lr: expected a float, got string \"x\"");
  CATCH_CHECK(load_error("", {"faults[0].factor=2"}) ==
              "--set faults[0].factor=2: faults[0].factor: unknown key (faults are replaced as a "
              "whole: --set 'faults=[{kind=\"crash\", worker=1, at_s=5.0}]')");
}

CATCH_TEST_CASE("all errors are reported, file order first, then override order",
                "[config][errors]") {
  // toml++ iterates keys alphabetically (batch before lr); the report follows the file.
  CATCH_CHECK(
    load_error("[train]\nlr = -1\nbatch = 0\n[cluster]\nwrokers = 2\n", {"model.name=x", "foo"}) ==
    "bad.toml:2:6: train.lr: must be > 0, got -1\n"
    "bad.toml:3:9: train.batch: must be >= 1, got 0\n"
    "bad.toml:5:1: cluster.wrokers: unknown key (did you mean cluster.workers?)\n"
    "--set model.name=x: model.name: must be one of mlp, cnn; got \"x\"\n"
    "--set foo: expected key=value");
}

CATCH_TEST_CASE("cluster.speeds must match cluster.workers and the later key is blamed",
                "[config][errors]") {
  CATCH_CHECK(load_error("[cluster]\nworkers = 4\nspeeds = [1.0, 0.5]\n") ==
              "bad.toml:3:10: cluster.speeds: must have cluster.workers (4) entries, got 2");
  CATCH_CHECK(load_error("[cluster]\nspeeds = [1.0, 0.5]\nworkers = 4\n") ==
              "bad.toml:3:11: cluster.workers: must equal the length of cluster.speeds (2), got 4");
  // workers left at its default (4).
  CATCH_CHECK(load_error("[cluster]\nspeeds = [1.0, 0.5, 1.0]\n") ==
              "bad.toml:2:10: cluster.speeds: must have cluster.workers (4) entries, got 3");
  CATCH_CHECK(
    load_error("[cluster]\nworkers = 4\nspeeds = [1.0, 1.0, 1.0, 1.0]\n", {"cluster.workers=8"}) ==
    "--set cluster.workers=8: cluster.workers: must equal the length of cluster.speeds "
    "(4), got 8");
  // No double report when workers itself is invalid.
  CATCH_CHECK(load_error("[cluster]\nworkers = 0\nspeeds = [1.0]\n") ==
              "bad.toml:2:11: cluster.workers: must be >= 1, got 0");
}

CATCH_TEST_CASE("a run needs a stop condition", "[config][errors]") {
  CATCH_CHECK(load_error("[train]\nmax_samples = 0\n") ==
              "bad.toml:2:15: train.max_samples: a run needs a stop condition; "
              "train.max_samples and train.max_seconds are both 0");
  CATCH_CHECK(load_error("[train]\nmax_samples = 0\nmax_seconds = 0.0\n") ==
              "bad.toml:3:15: train.max_seconds: a run needs a stop condition; "
              "train.max_samples and train.max_seconds are both 0");
  CATCH_CHECK(
    load_error("[train]\nmax_seconds = 60\n", {"train.max_samples=0", "train.max_seconds=0"}) ==
    "--set train.max_seconds=0: train.max_seconds: a run needs a stop condition; "
    "train.max_samples and train.max_seconds are both 0");
}

CATCH_TEST_CASE("malformed [[faults]]", "[config][errors]") {
  CATCH_CHECK(load_error("[[faults]]\nkind = \"crash\"\nworker = 1\nfacto = 2.0\n") ==
              "bad.toml:4:1: faults[0].facto: unknown key (did you mean faults[0].factor?)");
  CATCH_CHECK(load_error("[[faults]]\nworker = 1\n") ==
              "bad.toml:1:1: faults[0].kind: missing; every [[faults]] entry needs it");
  CATCH_CHECK(load_error("[[faults]]\nkind = \"meteor\"\n") ==
              "bad.toml:2:8: faults[0].kind: must be one of slowdown, pause, crash, rejoin, delay, "
              "drop, nan, disturbance, slow_link; got \"meteor\"");
  CATCH_CHECK(load_error("[[faults]]\nkind = \"drop\"\nprobability = 1.5\n") ==
              "bad.toml:3:15: faults[0].probability: must be <= 1, got 1.5");
  CATCH_CHECK(load_error("[[faults]]\nkind = \"slowdown\"\nworker = 0\nfactor = 0.5\n") ==
              "bad.toml:4:10: faults[0].factor: must be >= 1, got 0.5");
  CATCH_CHECK(
    load_error("[[faults]]\nkind = \"crash\"\nworker = 0\n\n[[faults]]\nkind = \"pause\"\n") ==
    "bad.toml:5:1: faults[1].worker: missing; a \"pause\" fault needs a target worker");
  // Each kind's value must make it do something; the table is named.
  CATCH_CHECK(load_error("[[faults]]\nkind = \"delay\"\nworker = 1\n") ==
              "bad.toml:1:1: faults[0].delay_s: a \"delay\" fault needs delay_s > 0");
  CATCH_CHECK(load_error("[[faults]]\nkind = \"slow_link\"\n") ==
              "bad.toml:1:1: faults[0].bandwidth_mb_s: a \"slow_link\" fault needs "
              "bandwidth_mb_s > 0");
  CATCH_CHECK(load_error("[[faults]]\nkind = \"drop\"\nprobability = 1.0\n") ==
              "bad.toml:1:1: faults[0].probability: a \"drop\" fault needs 0 < probability < 1 "
              "(a link that loses every message never delivers)");
  CATCH_CHECK(load_error("[[faults]]\nkind = \"disturbance\"\nfactor = 2.0\n") ==
              "bad.toml:1:1: faults[0].probability: a \"disturbance\" fault needs probability > 0");
  CATCH_CHECK(load_error("[[faults]]\nkind = \"disturbance\"\nprobability = 0.2\n") ==
              "bad.toml:1:1: faults[0].factor: a \"disturbance\" fault needs factor > 1");
  CATCH_CHECK(load_error("[[faults]]\nkind = \"disturbance\"\nprobability = 0.2\nfactor = 2.0\n"
                         "max_epochs = 0\n") ==
              "bad.toml:5:14: faults[0].max_epochs: must be >= 1, got 0");
  CATCH_CHECK(load_error("[faults]\nkind = \"crash\"\n") ==
              "bad.toml:1:1: faults: expected an array of tables ([[faults]]), got table");
  CATCH_CHECK(load_error("faults = [1]\n") ==
              "bad.toml:1:11: faults[0]: expected a table, got integer 1");
}

CATCH_TEST_CASE("faults[].worker must be < cluster.workers", "[config][errors]") {
  CATCH_CHECK(load_error("[cluster]\nworkers = 4\n[[faults]]\nkind = \"crash\"\nworker = 4\n") ==
              "bad.toml:5:10: faults[0].worker: must be < cluster.workers (4), got 4");
  CATCH_CHECK(load_error("[[faults]]\nkind = \"crash\"\nworker = 3\n", {"cluster.workers=2"}) ==
              "--set cluster.workers=2: cluster.workers: must be > faults[0].worker (3), got 2");
  CATCH_CHECK(load_error("[[faults]]\nkind = \"crash\"\nworker = -1\n") ==
              "bad.toml:3:10: faults[0].worker: must be >= 0, got -1");
}

CATCH_TEST_CASE("simulation and network parameters outside their domain", "[config][errors]") {
  CATCH_CHECK(load_error("[cluster]\nspeeds = [1.0, 0.0, 1.0, 1.0]\n") ==
              "bad.toml:2:16: cluster.speeds[1]: must be > 0, got 0.0");
  CATCH_CHECK(load_error("[simulation]\nnoise = \"gaussian\"\n") ==
              "bad.toml:2:9: simulation.noise: must be one of constant, shifted_exponential, "
              "lognormal; got \"gaussian\"");
  CATCH_CHECK(load_error("[simulation]\nnoise_mean = 0\n") ==
              "bad.toml:2:14: simulation.noise_mean: must be > 0, got 0");
  CATCH_CHECK(load_error("[simulation]\nnoise_sigma = -0.5\n") ==
              "bad.toml:2:15: simulation.noise_sigma: must be > 0, got -0.5");
  CATCH_CHECK(load_error("[simulation]\nstall_s = 0\n") ==
              "bad.toml:2:11: simulation.stall_s: must be > 0, got 0");
  CATCH_CHECK(load_error("[network]\nbandwidth_mb_s = -1\n") ==
              "bad.toml:2:18: network.bandwidth_mb_s: must be >= 0, got -1");
  CATCH_CHECK(load_error("[network]\nworker_bandwidth_mb_s = [10.0, 0.0, 1.0, 1.0]\n") ==
              "bad.toml:2:32: network.worker_bandwidth_mb_s[1]: must be > 0, got 0.0");
  // One entry per worker, and the later of the two keys is blamed.
  CATCH_CHECK(load_error("[network]\nworker_latency_s = [0.1, 0.2]\n") ==
              "bad.toml:2:20: network.worker_latency_s: must have cluster.workers (4) entries, "
              "got 2");
  CATCH_CHECK(load_error("[network]\nworker_latency_s = [0.1, 0.2]\n[cluster]\nworkers = 3\n") ==
              "bad.toml:4:11: cluster.workers: must equal the length of "
              "network.worker_latency_s (2), got 3");
}

CATCH_TEST_CASE("cluster.hosted_workers needs processes and at most cluster.workers",
                "[config][errors]") {
  CATCH_CHECK(load_error("[cluster]\nhosted_workers = 1\n") ==
              "bad.toml:2:18: cluster.hosted_workers: needs cluster.mode = \"processes\" (with "
              "threads, every worker runs in the aggregator's process already)");
  CATCH_CHECK(load_error("[cluster]\nmode = \"processes\"\nworkers = 2\nhosted_workers = 3\n") ==
              "bad.toml:4:18: cluster.hosted_workers: must be <= cluster.workers (2), got 3");
  CATCH_CHECK(load_error("[cluster]\nhosted_workers = -1\n") ==
              "bad.toml:2:18: cluster.hosted_workers: must be >= 0, got -1");
  const auto cfg =
    hetsgd::test::load_ok("[cluster]\nmode = \"processes\"\nworkers = 2\nhosted_workers = 2\n").cfg;
  CATCH_CHECK(cfg.cluster.hosted_workers == 2);
}
