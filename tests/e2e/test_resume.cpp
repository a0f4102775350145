// Checkpoint and resume, end to end: a real run is interrupted mid-way, resumed from its
// checkpoint in the same directory, and finishes the remaining work with the version counter,
// the policy's state and the sample accounting continuing from the checkpoint. Bad resumes are
// refused with exit 2 naming what is wrong.
#include "e2e_support.hpp"

#include <chrono>
#include <cmath>

using namespace e2e;
using nlohmann::json;

namespace {

/// The directory e2e::run("name", ...) trains in (fresh_dir would empty it).
std::string dir_of(const std::string& name) {
  return (fs::temp_directory_path() / ("hetsgd_e2e_" + name + "_" + std::to_string(::getpid())))
    .string();
}

json read_manifest(const std::string& dir) {
  std::ifstream f(dir + "/checkpoint/manifest.json");
  return json::parse(f);
}

/// `hetsgd run --resume DIR`, in process: the run's own config.toml, no overrides.
finished_run resume(const std::string& dir) {
  finished_run fr;
  fr.dir = dir;
  std::ifstream f(dir + "/config.toml", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto r = hetsgd::load_config(dir + "/config.toml", {});
  if (auto* err = std::get_if<hetsgd::config_error>(&r))
    CATCH_FAIL("config: " << err->message);
  hetsgd::run_options opts;
  opts.out_dir = dir;
  opts.effective_toml = text;
  opts.resume = true;
  opts.solo_calibration_s = 0.3;
  fr.res = hetsgd::run_training(std::get<hetsgd::loaded_config>(r).cfg, opts);
  if (!fr.res.summary_json.empty())
    fr.summary = json::parse(fr.res.summary_json);
  fr.events = read_events(dir);
  return fr;
}

std::size_t count_lines(const std::string& path, const std::string& text) {
  std::ifstream f(path);
  std::size_t n = 0;
  for (std::string line; std::getline(f, line);)
    n += line == text;
  return n;
}

}  // namespace

CATCH_TEST_CASE("a run interrupted mid-way resumes from its checkpoint and finishes the work",
                "[e2e][checkpoint]") {
  // abs: its K schedule is policy state that must survive the resume.
  const std::vector<std::string> sets = {"policy.name=abs", "policy.abs.k0=1",
                                         "policy.abs.every_rounds=5", "checkpoint.every_rounds=5"};
  std::atomic<bool> stop{false};
  // Interrupt once a periodic checkpoint past version 20 is on disk (observed, not timed); the
  // run's own max_samples is the deadline: reaching it means the interruption never came.
  auto first = run("resume", sets, &stop, [&](const hetsgd::progress_msg&) {
    std::ifstream f(dir_of("resume") + "/checkpoint/manifest.json");
    if (f && json::parse(f, nullptr, false).value("version", 0) >= 20)
      stop.store(true);
  });
  const std::string dir = first.dir;
  CATCH_REQUIRE(first.res.exit_code == 0);
  CATCH_REQUIRE(first.res.message == "stopped by request");
  const auto applied_before = first.summary["samples_applied"].get<std::uint64_t>();
  CATCH_REQUIRE(applied_before < 40000u);  // stopped mid-way
  const json m = read_manifest(dir);
  const auto v = m["version"].get<std::uint64_t>();
  CATCH_REQUIRE(v >= 20u);
  CATCH_CHECK(m["reason"] == "end");  // a clean stop writes a final checkpoint
  CATCH_CHECK(m["rounds"].get<std::uint64_t>() == first.summary["rounds"].get<std::uint64_t>());
  CATCH_CHECK(m["policy_state"].contains("abs.k_target"));
  CATCH_CHECK(m["accounting"]["samples_applied"].get<std::uint64_t>() == applied_before);
  double k_before = 0.0;
  for (auto& e : first.events)
    if (e["type"] == "round")
      k_before = e["policy"]["k"].get<double>();

  // As if the process had been killed mid-line: the resumed log must still parse line by line.
  std::ofstream(dir + "/events.jsonl", std::ios::app) << "{\"type\":\"rou";
  auto second = resume(dir);  // read_events parses every line
  CATCH_INFO(second.res.message);
  CATCH_REQUIRE(second.res.exit_code == 0);
  CATCH_CHECK(second.res.message == "max_samples reached");
  check_common_outputs(second);  // computed = applied + dropped + in flight, over both legs
  CATCH_CHECK(second.summary["final_accuracy"].get<double>() > 0.5);
  // The stop condition counts the original run's samples: only the rest was trained.
  CATCH_CHECK(second.summary["samples_applied"].get<std::uint64_t>() >= 40000u);
  CATCH_CHECK(second.summary["samples_applied"].get<std::uint64_t>() < 40000u + 4 * 64 * 8);
  // The version counter continues: one resume event at v, then round v + 1.
  std::size_t resumes = 0, starts = 0;
  bool after_resume = false;
  json first_round_after;
  for (auto& e : second.events) {
    starts += e["type"] == "start";
    if (e["type"] == "resume") {
      ++resumes;
      after_resume = true;
      CATCH_CHECK(e["version"].get<std::uint64_t>() == v);
      CATCH_CHECK(e["t"].get<double>() >= m["elapsed_s"].get<double>());  // the run clock goes on
    }
    if (after_resume && e["type"] == "round" && first_round_after.is_null())
      first_round_after = e;
  }
  CATCH_CHECK(resumes == 1);
  CATCH_CHECK(starts == 2);
  CATCH_REQUIRE(!first_round_after.is_null());
  CATCH_CHECK(first_round_after["version"].get<std::uint64_t>() == v + 1);
  CATCH_CHECK(first_round_after["round"].get<std::uint64_t>() ==
              m["rounds"].get<std::uint64_t>() + 1);
  // ABS's K did not start over at K⁰ = 1.
  CATCH_CHECK(first_round_after["policy"]["k"].get<double>() >= k_before);
  CATCH_CHECK(first_round_after["policy"]["k"].get<double>() ==
              m["policy_state"]["abs.k_target"].get<double>());
  CATCH_INFO("K before the interruption: " << k_before);
  CATCH_CHECK(second.summary["version"].get<std::uint64_t>() > v);
  // Each worker: the incarnation of the first leg and the new one.
  for (auto& w : second.summary["per_worker"])
    CATCH_CHECK(w["incarnations"] == 2);
  // One log across both legs.
  CATCH_CHECK(count_lines(dir + "/metrics.csv",
                          "time_s,samples_applied,test_accuracy,test_loss,version") == 1);

  // Bad resumes: exit 2, the message names the file and what is wrong.
  const std::string config = dir + "/config.toml";
  {
    std::ofstream f(config, std::ios::app);
    f << "# edited\n";
  }
  auto edited = resume(dir);
  CATCH_CHECK(edited.res.exit_code == 2);
  CATCH_CHECK(edited.res.message.find("manifest.json: config_hash") != std::string::npos);
  const auto tensors =
    (fs::path(dir) / "checkpoint" / read_manifest(dir)["tensors"]["file"].get<std::string>())
      .string();
  fs::resize_file(tensors, 100);
  {
    // Restore config.toml's exact text, so the torn tensor file is what is refused.
    std::ifstream in(config);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    text.erase(text.size() - std::string("# edited\n").size());
    std::ofstream out(config, std::ios::trunc);
    out << text;
  }
  auto torn = resume(dir);
  CATCH_CHECK(torn.res.exit_code == 2);
  CATCH_CHECK(torn.res.message.find(tensors + ": 100 bytes") != std::string::npos);
  fs::remove_all(dir);
}

CATCH_TEST_CASE("a worker out at the checkpoint stays out until its rejoin fault, which plays",
                "[e2e][checkpoint]") {
  // Worker 1 crashes at 0.5 s and rejoins at 2.5 s; the run is interrupted in between.
  const std::vector<std::string> sets = {
    "policy.name=ssgd", "checkpoint.every_rounds=2", "train.max_samples=0", "train.max_seconds=5",
    "faults=[{kind=\"crash\", worker=1, at_s=0.5}, {kind=\"rejoin\", worker=1, at_s=2.5}]"};
  std::atomic<bool> stop{false};
  auto first = run("resume_faults", sets, &stop, [&](const hetsgd::progress_msg& pm) {
    std::ifstream f(dir_of("resume_faults") + "/checkpoint/manifest.json");
    if (!f)
      return;
    auto mj = json::parse(f, nullptr, false);
    if (mj.is_object() && mj["faults"]["started"].size() == 1 &&
        mj["membership"]["live"].size() == 3)
      stop.store(true);
  });
  const std::string dir = first.dir;
  CATCH_REQUIRE(first.res.exit_code == 0);
  CATCH_REQUIRE(first.res.message == "stopped by request");
  const json m = read_manifest(dir);
  CATCH_REQUIRE(m["elapsed_s"].get<double>() < 2.5);
  CATCH_REQUIRE(m["membership"]["live"] == json::array({0, 2, 3}));

  auto second = resume(dir);
  CATCH_INFO(second.res.message);
  CATCH_REQUIRE(second.res.exit_code == 0);
  CATCH_CHECK(second.res.message == "max_seconds reached");
  check_common_outputs(second);
  bool after_resume = false, rejoined = false, crash_replayed = false;
  for (auto& e : second.events) {
    if (e["type"] == "resume")
      after_resume = true;
    if (!after_resume)
      continue;
    if (e["type"] == "membership" && e["worker"] == 1 && e["change"] == "joined")
      CATCH_FAIL("worker 1 was out at the checkpoint but joined at the resume");
    if (e["type"] == "membership" && e["worker"] == 1 && e["change"] == "rejoined") {
      rejoined = true;
      CATCH_CHECK(e["t"].get<double>() >= 2.5);
    }
    if (e["type"] == "fault" && e["kind"] == "crash")
      crash_replayed = true;
  }
  CATCH_CHECK(rejoined);
  CATCH_CHECK(!crash_replayed);  // played before the checkpoint: not again
  auto& w1 = second.summary["per_worker"][1];
  CATCH_CHECK(w1["crashes"] == 1);
  CATCH_CHECK(w1["incarnations"] == 2);  // the first, and the rejoin after the resume
  fs::remove_all(dir);
}

CATCH_TEST_CASE("dbs resumes on the batch plan in force at the checkpoint", "[e2e][checkpoint]") {
  // One epoch is 234 rounds (60,000 samples at B = 256); interrupt once a checkpoint was written
  // on the plan that followed epoch 0, i.e. batches by speed rather than the equal split.
  const std::vector<std::string> sets = {"policy.name=dbs", "train.max_samples=75000",
                                         "checkpoint.every_rounds=10"};
  std::atomic<bool> stop{false};
  auto first = run("resume_dbs", sets, &stop, [&](const hetsgd::progress_msg&) {
    std::ifstream f(dir_of("resume_dbs") + "/checkpoint/manifest.json");
    auto mj = json::parse(f, nullptr, false);
    if (mj.is_object() && mj["batch_state"].value("plan.completed", 0.0) >= 1.0)
      stop.store(true);
  });
  const std::string dir = first.dir;
  CATCH_REQUIRE(first.res.exit_code == 0);
  CATCH_REQUIRE(first.res.message == "stopped by request");
  const json m = read_manifest(dir);
  json saved = json::array();
  for (int i = 0; i < 4; ++i)
    saved.push_back(m["batch_state"]["plan.batch." + std::to_string(i)].get<int>());
  CATCH_REQUIRE(saved != json::array({64, 64, 64, 64}));

  auto second = resume(dir);
  CATCH_INFO(second.res.message);
  CATCH_REQUIRE(second.res.exit_code == 0);
  check_common_outputs(second);
  bool after_resume = false;
  json first_plan;
  for (auto& e : second.events) {
    after_resume = after_resume || e["type"] == "resume";
    if (after_resume && e["type"] == "batch_plan" && first_plan.is_null())
      first_plan = e;
  }
  CATCH_REQUIRE(!first_plan.is_null());
  CATCH_CHECK(first_plan["batches"] == saved);  // not the equal split of a fresh start
  CATCH_CHECK(first_plan["rounds"] == 234);     // a fresh epoch measured on it
  fs::remove_all(dir);
}

CATCH_TEST_CASE("resuming a run directory without a checkpoint is refused with exit 2",
                "[e2e][checkpoint]") {
  std::string effective;
  auto cfg = load({}, &effective);
  auto dir = fresh_dir("resume_none");
  fs::create_directories(dir);
  std::ofstream(dir + "/config.toml") << effective;
  hetsgd::run_options opts;
  opts.out_dir = dir;
  opts.effective_toml = effective;
  opts.resume = true;
  auto res = hetsgd::run_training(cfg, opts);
  CATCH_CHECK(res.exit_code == 2);
  CATCH_CHECK(res.message.find(dir + "/checkpoint/manifest.json: no checkpoint") !=
              std::string::npos);
  fs::remove_all(dir);
}
