// End-to-end: real CAF actors, real LibTorch training on the real Fashion-MNIST files.
// Timing is never asserted; learning, accounting and each policy's signature behaviour are.
#include <ATen/ATen.h>  // torch before catch: glog's CHECK must not replace Catch's

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include "actors/training_run.hpp"
#include "config/config_loader.hpp"
#include "gpu/fashion_mnist.hpp"

#include "e2e_support.hpp"

using namespace e2e;
namespace fs = std::filesystem;
using nlohmann::json;

CATCH_TEST_CASE("ssgd learns Fashion-MNIST with 4 heterogeneous workers", "[e2e]") {
  auto fr = run("ssgd", {"policy.name=ssgd"});
  CATCH_REQUIRE(fr.res.exit_code == 0);
  check_common_outputs(fr);
  CATCH_CHECK(fr.summary["policy"] == "ssgd");
  CATCH_CHECK(fr.summary["final_accuracy"].get<double>() > 0.70);
  // Synchronous: every round has all four workers, nobody stale.
  std::size_t rounds = 0;
  for (auto& e : fr.events)
    if (e["type"] == "round") {
      ++rounds;
      CATCH_CHECK(e["participants"].size() == 4);
      for (auto& st : e["staleness"])
        CATCH_CHECK(st.get<int>() == 0);
      CATCH_CHECK(e["reason"] == "all_arrived");
    }
  CATCH_CHECK(rounds == fr.summary["rounds"].get<std::size_t>());
  CATCH_CHECK(fr.summary["samples_applied"].get<std::uint64_t>() >= 40000);
  // The slowest worker paces everyone: the fast ones wait, so they idle longer than worker 3.
  auto& pw = fr.summary["per_worker"];
  CATCH_CHECK(pw[0]["idle_s"].get<double>() > pw[3]["idle_s"].get<double>());
}

CATCH_TEST_CASE("asgd learns and fast workers contribute more", "[e2e]") {
  auto fr = run("asgd", {"policy.name=asgd"});
  CATCH_REQUIRE(fr.res.exit_code == 0);
  check_common_outputs(fr);
  CATCH_CHECK(fr.summary["final_accuracy"].get<double>() > 0.70);
  for (auto& e : fr.events)
    if (e["type"] == "round") {
      CATCH_CHECK(e["participants"].size() == 1);
      CATCH_CHECK(e["reason"] == "immediate");
    }
  auto& pw = fr.summary["per_worker"];
  // Speed 1 against speed 0.25: the fast worker pushes clearly more samples.
  CATCH_CHECK(pw[0]["samples_applied"].get<double>() >
              1.5 * pw[3]["samples_applied"].get<double>());
}

CATCH_TEST_CASE("ssp learns and no worker runs more than s clocks ahead", "[e2e]") {
  const int s = 3;
  auto fr = run("ssp", {"policy.name=ssp", "policy.ssp.staleness=3"});
  CATCH_REQUIRE(fr.res.exit_code == 0);
  check_common_outputs(fr);
  CATCH_CHECK(fr.summary["policy"] == "ssp");
  CATCH_CHECK(fr.summary["final_accuracy"].get<double>() > 0.70);
  // Each worker's clock: its contributions applied or dropped. A worker released at clock c
  // (c − min ≤ s) pushes clock c + 1, so no clock ever exceeds the slowest by more than s + 1.
  std::vector<int> clock(4, 0);
  std::size_t rounds = 0;
  int worst = 0;
  auto tick = [&](std::size_t w) {
    clock.at(w) += 1;
    worst = std::max(worst, clock[w] - *std::min_element(clock.begin(), clock.end()));
  };
  for (auto& e : fr.events) {
    if (e["type"] == "round") {
      ++rounds;
      CATCH_CHECK(e["participants"].size() == 1);
      CATCH_CHECK(e["reason"] == "immediate");
      for (auto& w : e["participants"])
        tick(w.get<std::size_t>());
    } else if (e["type"] == "dropped" && !e.value("discarded_by_restart", false)) {
      tick(e["worker"].get<std::size_t>());
    }
  }
  CATCH_CHECK(rounds == fr.summary["rounds"].get<std::size_t>());
  CATCH_CHECK(worst <= s + 1);
  // The slowest worker kept up: with speeds 1 against 0.25 asgd would let worker 0 run far ahead.
  CATCH_CHECK(clock[3] > 0);
}

CATCH_TEST_CASE("backup learns with exactly K contributions per round", "[e2e]") {
  auto fr = run("backup", {"policy.name=backup"});  // k = 0: K = 4 − 1 = 3
  CATCH_REQUIRE(fr.res.exit_code == 0);
  check_common_outputs(fr);
  CATCH_CHECK(fr.summary["policy"] == "backup");
  CATCH_CHECK(fr.summary["final_accuracy"].get<double>() > 0.70);
  std::size_t rounds = 0, restarts = 0;
  std::uint64_t logged_restarted[4] = {0, 0, 0, 0};
  for (auto& e : fr.events) {
    if (e["type"] == "round") {
      ++rounds;
      CATCH_CHECK(e["participants"].size() == 3);
      std::set<std::size_t> distinct;
      for (auto& w : e["participants"])
        distinct.insert(w.get<std::size_t>());
      CATCH_CHECK(distinct.size() == 3);
      for (auto& st : e["staleness"])
        CATCH_CHECK(st.get<int>() == 0);
      CATCH_CHECK(e["reason"] == "k_arrived");
    } else if (e["type"] == "restart") {
      ++restarts;
    } else if (e["type"] == "dropped" && e.value("discarded_by_restart", false)) {
      CATCH_CHECK(e["reason"] == "restarted");
      logged_restarted[e["worker"].get<std::size_t>()] += e["samples"].get<std::uint64_t>();
    } else if (e["type"] == "dropped") {
      CATCH_CHECK(e["reason"] == "stale");
    }
  }
  CATCH_CHECK(rounds == fr.summary["rounds"].get<std::size_t>());
  CATCH_CHECK(rounds > 0);
  // One worker is restarted at every close but the last (the run ends there); its discarded
  // work is counted as dropped, and logged: the events add up to the summary's count.
  CATCH_CHECK(restarts + 1 >= rounds);
  CATCH_CHECK(fr.summary["per_worker"][3]["dropped"]["restarted"].get<std::uint64_t>() > 0);
  for (std::size_t w = 0; w < 4; ++w)
    CATCH_CHECK(logged_restarted[w] ==
                fr.summary["per_worker"][w]["dropped"]["restarted"].get<std::uint64_t>());
}

CATCH_TEST_CASE("the run's config.toml reproduces its config", "[e2e]") {
  auto fr = run("repro", {"policy.name=asgd", "train.max_samples=3000"});
  CATCH_REQUIRE(fr.res.exit_code == 0);
  auto again = hetsgd::load_config(fr.dir + "/config.toml");
  CATCH_REQUIRE(std::holds_alternative<hetsgd::loaded_config>(again));
  auto& c = std::get<hetsgd::loaded_config>(again).cfg;
  CATCH_CHECK(c.policy.name == "asgd");
  CATCH_CHECK(c.train.max_samples == 3000);
  CATCH_CHECK(c.run.seed == 7);
  CATCH_CHECK(c.cluster.speeds == std::vector<double>{1.0, 1.0, 0.5, 0.25});
}

CATCH_TEST_CASE("a stop request (Ctrl-C) ends the run and still writes the summary", "[e2e]") {
  std::atomic<bool> stop{false};
  auto fr = run("stop", {"policy.name=ssgd", "train.max_samples=100000000"}, &stop,
                [&](const hetsgd::progress_msg& pm) {
                  if (pm.samples_applied > 0)
                    stop.store(true);
                });
  CATCH_REQUIRE(fr.res.exit_code == 0);
  CATCH_CHECK(fr.res.message == "stopped by request");
  CATCH_REQUIRE(fs::exists(fr.dir + "/summary.json"));
  CATCH_CHECK(fr.summary["samples_applied"].get<std::uint64_t>() > 0);
  CATCH_CHECK(fr.summary["samples_applied"].get<std::uint64_t>() < 100000000u);
  CATCH_CHECK(fr.summary["samples_computed"].get<std::uint64_t>() ==
              fr.summary["samples_applied"].get<std::uint64_t>() +
                fr.summary["samples_dropped"].get<std::uint64_t>() +
                fr.summary["samples_in_flight_at_end"].get<std::uint64_t>());
}

CATCH_TEST_CASE("an exception inside a worker ends the run with exit 1 and the worker's id",
                "[e2e]") {
  // Images of the wrong size make the model's forward pass throw inside every worker.
  auto bad = std::make_shared<hetsgd::fashion_mnist>();
  bad->train.images = at::zeros({256, 1, 10, 10});
  bad->train.labels = at::zeros({256}, at::kLong);
  bad->test = bad->train;
  std::string effective;
  auto cfg = load({"policy.name=ssgd"}, &effective);
  hetsgd::run_options opts;
  opts.out_dir = fresh_dir("throw");
  opts.effective_toml = effective;
  opts.data = bad;
  opts.solo_samples_per_s = 1000.0;
  auto res = hetsgd::run_training(cfg, opts);
  CATCH_CHECK(res.exit_code == 1);
  CATCH_CHECK(res.message.find("worker ") != std::string::npos);
  CATCH_CHECK(res.message.find("failed") != std::string::npos);
  CATCH_CHECK(fs::exists(opts.out_dir + "/summary.json"));
}

CATCH_TEST_CASE("a missing data set names the package to install", "[e2e]") {
  auto cfg = load({"data.path=/nonexistent/fashion"});
  hetsgd::run_options opts;
  opts.out_dir = fresh_dir("nodata");
  auto res = hetsgd::run_training(cfg, opts);
  CATCH_CHECK(res.exit_code == 1);
  CATCH_CHECK(res.message.find("dataset-fashion-mnist") != std::string::npos);
  CATCH_CHECK(res.message.find("/nonexistent/fashion") != std::string::npos);
}

CATCH_TEST_CASE("a valid config this build cannot run is refused with exit 2", "[e2e]") {
  for (auto [set, key] : {std::pair<std::string, std::string>{
                            "cluster.transport=nccl,policy.name=ssp", "cluster.transport:"},
                          {"cluster.transport=gloo,policy.name=asgd", "cluster.transport:"},
                          {"cluster.mode=processes,cluster.clock=simulated", "cluster.mode:"}}) {
    std::vector<std::string> sets;
    for (std::size_t at = 0, comma; at < set.size(); at = comma + 1) {
      comma = set.find(',', at);
      if (comma == std::string::npos)
        comma = set.size();
      sets.push_back(set.substr(at, comma - at));
    }
    auto cfg = load(sets);
    hetsgd::run_options opts;
    opts.out_dir = fresh_dir("unsupported");
    auto res = hetsgd::run_training(cfg, opts);
    CATCH_CHECK(res.exit_code == 2);
    CATCH_CHECK(res.message.rfind(key, 0) == 0);
  }
}

CATCH_TEST_CASE("policy settings that cannot work are refused with exit 2 naming the key",
                "[e2e]") {
  for (auto [name, set, key] :
       {std::tuple<std::string, std::string, std::string>{"abs", "policy.abs.k0=5", "policy.abs"},
        {"dbs", "policy.dbs.global_batch=3", "policy.dbs.global_batch"},
        {"abs_sgd", "policy.batch=dbs", "policy.batch"},
        {"backup", "policy.backup.k=5", "policy.backup.k"},
        {"abs_sgd", "policy.abs_sgd.period_s=0.00001", "policy.abs_sgd.period_s"}}) {
    auto cfg = load({set, "policy.name=" + name});
    hetsgd::run_options opts;
    opts.out_dir = fresh_dir("badsettings");
    opts.solo_calibration_s = 0.3;
    auto res = hetsgd::run_training(cfg, opts);
    CATCH_INFO(set << " -> " << res.message);
    CATCH_CHECK(res.exit_code == 2);
    CATCH_CHECK(res.message.rfind(key, 0) == 0);
  }
}

CATCH_TEST_CASE("local_sgd learns by averaging models after H local steps", "[e2e]") {
  auto fr = run("local_sgd", {"policy.name=local_sgd", "policy.local_sgd.local_steps=4"});
  CATCH_REQUIRE(fr.res.exit_code == 0);
  check_common_outputs(fr);
  CATCH_CHECK(fr.summary["final_accuracy"].get<double>() > 0.70);
  std::size_t rounds = 0;
  for (auto& e : fr.events)
    if (e["type"] == "round") {
      ++rounds;
      CATCH_CHECK(e["participants"].size() == 4);
      CATCH_CHECK(sum_of(e["weights"]) == Approx(1.0).epsilon(1e-9));
      // Every upload carries H = 4 local steps of 64 samples.
      for (auto& n : e["worker_samples"])
        CATCH_CHECK(n.get<int>() == 4 * 64);
    }
  CATCH_CHECK(rounds > 0);
}

CATCH_TEST_CASE("wp_sgd learns and weighs models by the work each worker did", "[e2e]") {
  auto fr = run("wp_sgd", {"policy.name=wp_sgd", "policy.wp_sgd.period_s=0.5"});
  CATCH_REQUIRE(fr.res.exit_code == 0);
  check_common_outputs(fr);
  CATCH_CHECK(fr.summary["final_accuracy"].get<double>() > 0.70);
  std::size_t rounds = 0;
  for (auto& e : fr.events)
    if (e["type"] == "round") {
      ++rounds;
      auto& weights = e["weights"];
      auto& samples = e["worker_samples"];
      CATCH_REQUIRE(weights.size() == samples.size());
      // Monotone in work done: more samples never means a smaller weight.
      for (std::size_t i = 0; i < weights.size(); ++i)
        for (std::size_t k = 0; k < weights.size(); ++k)
          if (samples[i].get<double>() > samples[k].get<double>())
            CATCH_CHECK(weights[i].get<double>() >= weights[k].get<double>());
      CATCH_CHECK(sum_of(weights) == Approx(1.0).epsilon(1e-9));
    }
  CATCH_CHECK(rounds > 0);
  // Speed 1 against speed 0.25 over the same periods: the fast worker did clearly more work.
  auto& pw = fr.summary["per_worker"];
  CATCH_CHECK(pw[0]["samples_applied"].get<double>() >
              1.5 * pw[3]["samples_applied"].get<double>());
}

CATCH_TEST_CASE("abs_sgd learns with delayed updates and samples proportional to speed",
                "[e2e][serial]") {
  // Paced well below what two cores give four MLP workers even while another end-to-end test
  // trains next to this one (ctest -j2): speed ratios only hold when every worker can get the
  // CPU it is paced to, and the auto base_rate assumes the machine is otherwise idle.
  auto fr = run("abs_sgd", {"policy.name=abs_sgd", "cluster.base_rate=2000"});
  CATCH_REQUIRE(fr.res.exit_code == 0);
  check_common_outputs(fr);
  CATCH_CHECK(fr.summary["policy"] == "abs_sgd");
  CATCH_CHECK(fr.summary["final_accuracy"].get<double>() > 0.55);  // chance is 0.10
  std::size_t rounds = 0;
  for (auto& e : fr.events)
    if (e["type"] == "round") {
      ++rounds;
      // Everybody hands over at every synchronization.
      CATCH_CHECK(e["participants"].size() == 4);
      CATCH_CHECK(e["reason"] == "all_arrived");
      // The update that ends an iteration uses the gradients of the one before, taken one
      // version back: staleness 1 in every round but the first (no update after iteration 0).
      for (auto& st : e["staleness"])
        CATCH_CHECK(st.get<int>() == (rounds == 1 ? 0 : 1));
    }
  CATCH_CHECK(rounds > 10);
  // Nobody waits for anybody: each worker computes at its own speed, so its share of the
  // samples is proportional to its speed (within 20 %).
  auto& pw = fr.summary["per_worker"];
  double per_speed_total = 0.0;
  for (auto& w : pw)
    per_speed_total += w["samples"].get<double>() / w["speed"].get<double>();
  for (auto& w : pw) {
    double ratio = (w["samples"].get<double>() / w["speed"].get<double>()) / (per_speed_total / 4);
    CATCH_INFO("worker " << w["id"] << " samples per unit speed / mean = " << ratio);
    CATCH_CHECK(ratio > 0.8);
    CATCH_CHECK(ratio < 1.2);
  }
}

CATCH_TEST_CASE("od_sgd learns and no worker is ever more than one version ahead", "[e2e]") {
  auto fr = run("od_sgd", {"policy.name=od_sgd", "policy.od_sgd.warmup_rounds=20"});
  CATCH_REQUIRE(fr.res.exit_code == 0);
  check_common_outputs(fr);
  CATCH_CHECK(fr.summary["policy"] == "od_sgd");
  CATCH_CHECK(fr.summary["final_accuracy"].get<double>() > 0.70);
  std::size_t rounds = 0, overlapped = 0;
  for (auto& e : fr.events)
    if (e["type"] == "round") {
      ++rounds;
      CATCH_CHECK(e["participants"].size() == 4);  // the server is synchronous
      for (auto& st : e["staleness"])
        CATCH_CHECK(st.get<int>() == 0);
      // "ahead": how far a push's iteration was ahead of the server when it arrived. One step
      // ahead is the overlap OD-SGD is for; two would break the delay bound.
      for (auto& a : e["ahead"]) {
        CATCH_CHECK(a.get<int>() <= 1);
        if (a.get<int>() == 1) {
          ++overlapped;
          CATCH_CHECK(e["round"].get<std::size_t>() > 20);  // never during the warm-up
        }
      }
    }
  CATCH_CHECK(rounds > 20);
  CATCH_CHECK(overlapped > 0);
}

CATCH_TEST_CASE("abs learns with a non-decreasing K and restarts of stale workers", "[e2e]") {
  auto fr = run("abs", {"policy.name=abs", "policy.abs.k0=1", "policy.abs.every_rounds=5"});
  CATCH_REQUIRE(fr.res.exit_code == 0);
  check_common_outputs(fr);
  CATCH_CHECK(fr.summary["policy"] == "abs");
  CATCH_CHECK(fr.summary["final_accuracy"].get<double>() > 0.70);
  std::vector<int> ks;
  std::size_t restarts = 0;
  for (auto& e : fr.events) {
    if (e["type"] == "round") {
      int k = e["policy"]["k"].get<int>();
      int tau = e["policy"]["tau_max"].get<int>();
      ks.push_back(k);
      // Exactly K distinct workers per round, none staler than tau_max.
      CATCH_CHECK(e["participants"].size() == static_cast<std::size_t>(k));
      std::set<int> distinct;
      for (auto& w : e["participants"])
        distinct.insert(w.get<int>());
      CATCH_CHECK(distinct.size() == static_cast<std::size_t>(k));
      for (auto& st : e["staleness"])
        CATCH_CHECK(st.get<int>() <= tau);
    } else if (e["type"] == "restart") {
      ++restarts;
    }
  }
  CATCH_REQUIRE(ks.size() > 10);
  for (std::size_t i = 1; i < ks.size(); ++i)
    CATCH_CHECK(ks[i] >= ks[i - 1]);
  CATCH_CHECK(ks.front() >= 1);
  CATCH_CHECK(ks.back() <= 4);
  CATCH_CHECK(ks.back() > ks.front());  // the loss fell, so K grew
  // Restarts happened and their discarded work is counted.
  CATCH_CHECK(restarts > 0);
  std::uint64_t discarded = 0;
  for (auto& w : fr.summary["per_worker"])
    discarded += w["dropped"]["restarted"].get<std::uint64_t>();
  CATCH_CHECK(discarded > 0);
}

CATCH_TEST_CASE("dbs learns and re-partitions batches toward speed after the first epoch",
                "[e2e][serial]") {
  // One epoch of 60,000 samples at B = 256 is 234 rounds; run into the second.
  auto fr = run("dbs", {"policy.name=dbs", "train.max_samples=90000"});
  CATCH_REQUIRE(fr.res.exit_code == 0);
  check_common_outputs(fr);
  CATCH_CHECK(fr.summary["policy"] == "dbs");
  CATCH_CHECK(fr.summary["final_accuracy"].get<double>() > 0.70);
  std::vector<json> plans;
  std::vector<json> rounds;
  for (auto& e : fr.events) {
    if (e["type"] == "batch_plan")
      plans.push_back(e);
    else if (e["type"] == "round")
      rounds.push_back(e);
  }
  CATCH_REQUIRE(plans.size() >= 2);
  // Epoch 0 measures on the equal split; the plan after it follows the speeds [1, 1, 0.5, 0.25].
  CATCH_CHECK(plans[0]["batches"] == json::array({64, 64, 64, 64}));
  CATCH_CHECK(plans[1]["version"].get<int>() == 234);  // every worker ran 234 iterations
  auto& b = plans[1]["batches"];
  CATCH_CHECK(sum_of(b) == 256.0);
  CATCH_CHECK(sum_of(plans[1]["shares"]) == Approx(1.0).epsilon(1e-12));
  const std::vector<double> speeds{1.0, 1.0, 0.5, 0.25};
  double err_before = 0.0, err_after = 0.0;
  for (std::size_t i = 0; i < 4; ++i) {
    double ideal = 256.0 * speeds[i] / 2.75;
    err_before += std::abs(64.0 - ideal);
    err_after += std::abs(b[i].get<double>() - ideal);
  }
  CATCH_INFO("plan after epoch 0: " << b.dump());
  CATCH_CHECK(err_after < 0.5 * err_before);  // much closer to speed-proportional
  CATCH_CHECK(b[0].get<int>() > b[2].get<int>());
  CATCH_CHECK(b[2].get<int>() > b[3].get<int>());
  // Rounds use the plan in force: 64 each before the re-partition, the new batches after it.
  for (auto& r : rounds) {
    auto expected = r["version"].get<int>() <= 234 ? plans[0]["batches"] : plans[1]["batches"];
    CATCH_CHECK(r["worker_samples"] == expected);
  }
}
