// End-to-end under injected faults: every policy, real training, one schedule that crashes a
// worker and brings it back, freezes another, poisons a third with NaN and slows the fourth.
// Each run must finish, keep the sample accounting exact, keep the model finite and learn.
#include "e2e_support.hpp"

#include <cmath>
#include <map>
#include <set>

using namespace e2e;
using nlohmann::json;

namespace {

// Seconds since the start of the run. Runs last 6 s, so every fault plays on any machine.
const char* schedule =
  "faults=["
  "{kind=\"slowdown\", worker=3, at_s=0.5, duration_s=1.5, factor=4.0},"
  "{kind=\"pause\", worker=2, at_s=0.5, duration_s=1.0},"
  "{kind=\"crash\", worker=1, at_s=1.0},"
  "{kind=\"nan\", worker=0, at_s=1.0, duration_s=1.5},"
  "{kind=\"rejoin\", worker=1, at_s=1.5}]";

void survives(const std::string& policy) {
  auto fr = run("faults_" + policy,
                {"policy.name=" + policy, "train.max_samples=0", "train.max_seconds=6",
                 "policy.od_sgd.warmup_rounds=20", "cluster.request_timeout_s=30", schedule});
  CATCH_INFO(policy << ": " << fr.res.message);
  CATCH_REQUIRE(fr.res.exit_code == 0);
  check_common_outputs(fr);  // includes computed = applied + dropped + in flight, exactly
  CATCH_CHECK(fr.summary["policy"] == policy);
  // Learned despite everything, and the model stayed finite.
  CATCH_CHECK(fr.summary["final_accuracy"].get<double>() > 0.5);
  CATCH_CHECK(std::isfinite(fr.summary["final_loss"].get<double>()));

  std::set<std::string> started;
  double rejoined_at = -1.0, crashed_at = -1.0;
  bool contributed_after_rejoin = false;
  for (auto& e : fr.events) {
    if (e["type"] == "fault" && e["phase"] == "start")
      started.insert(e["kind"].get<std::string>());
    if (e["type"] == "membership" && e["worker"] == 1 && e["change"] == "left" && crashed_at < 0)
      crashed_at = e["t"].get<double>();  // the crash; the last "left" is the end of the run
    if (e["type"] == "membership" && e["worker"] == 1 && e["change"] == "rejoined")
      rejoined_at = e["t"].get<double>();
    if (e["type"] == "round" && rejoined_at >= 0.0)
      for (std::size_t i = 0; i < e["participants"].size(); ++i)
        if (e["participants"][i] == 1 && e["worker_samples"][i].get<int>() > 0)
          contributed_after_rejoin = true;
  }
  CATCH_CHECK(started == std::set<std::string>{"slowdown", "pause", "crash", "nan", "rejoin"});
  // The crash was detected (membership change) and the worker came back and contributed.
  CATCH_CHECK(crashed_at >= 1.0);
  CATCH_CHECK(rejoined_at > crashed_at);
  CATCH_CHECK(contributed_after_rejoin);
  auto& w1 = fr.summary["per_worker"][1];
  CATCH_CHECK(w1["crashes"] == 1);
  CATCH_CHECK(w1["incarnations"] == 2);
  // The straggler report (on by default) named worker 3 (speed 0.25, slowed 4x) at some point,
  // and summary.json has every worker's step times.
  bool slowest_named = false;
  for (auto& e : fr.events)
    if (e["type"] == "straggler" && e["worker"] == 3 && e["change"] == "became")
      slowest_named = true;
  CATCH_CHECK(slowest_named);
  CATCH_REQUIRE(fr.summary.contains("stragglers"));
  CATCH_REQUIRE(fr.summary["stragglers"]["step_time"].size() == 4);
  for (auto& w : fr.summary["stragglers"]["step_time"]) {
    CATCH_CHECK(w["steps"].get<int>() > 0);
    CATCH_CHECK(w["min_s"].get<double>() <= w["median_s"].get<double>());
    CATCH_CHECK(w["median_s"].get<double>() <= w["max_s"].get<double>());
  }
  // The NaN contributions were rejected and counted against worker 0.
  CATCH_CHECK(fr.summary["per_worker"][0]["dropped"]["non_finite"].get<std::uint64_t>() > 0);
}

}  // namespace

CATCH_TEST_CASE("faults: ssgd survives crash, rejoin, pause, nan and slowdown", "[e2e][faults]") {
  survives("ssgd");
}
CATCH_TEST_CASE("faults: asgd survives crash, rejoin, pause, nan and slowdown", "[e2e][faults]") {
  survives("asgd");
}
CATCH_TEST_CASE("faults: ssp survives crash, rejoin, pause, nan and slowdown", "[e2e][faults]") {
  survives("ssp");
}
CATCH_TEST_CASE("faults: backup survives crash, rejoin, pause, nan and slowdown", "[e2e][faults]") {
  survives("backup");
}
CATCH_TEST_CASE("faults: local_sgd survives crash, rejoin, pause, nan and slowdown",
                "[e2e][faults]") {
  survives("local_sgd");
}
CATCH_TEST_CASE("faults: abs survives crash, rejoin, pause, nan and slowdown", "[e2e][faults]") {
  survives("abs");
}
CATCH_TEST_CASE("faults: abs_sgd survives crash, rejoin, pause, nan and slowdown",
                "[e2e][faults]") {
  survives("abs_sgd");
}
CATCH_TEST_CASE("faults: od_sgd survives crash, rejoin, pause, nan and slowdown", "[e2e][faults]") {
  survives("od_sgd");
}
CATCH_TEST_CASE("faults: wp_sgd survives crash, rejoin, pause, nan and slowdown", "[e2e][faults]") {
  survives("wp_sgd");
}
CATCH_TEST_CASE("faults: dbs survives crash, rejoin, pause, nan and slowdown", "[e2e][faults]") {
  survives("dbs");
}
