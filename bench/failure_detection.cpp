#include "bench/failure_detection.hpp"

#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/bench_json.hpp"
#include "bench/child_process.hpp"

namespace hetsgd::bench {

namespace {

using json = nlohmann::json;
using steady = std::chrono::steady_clock;

/// How often the files are looked at while waiting for an event: the resolution of every figure.
constexpr std::chrono::microseconds poll_interval{500};

double seconds_since(steady::time_point t0) {
  return std::chrono::duration<double>(steady::now() - t0).count();
}

/// Reads a growing events.jsonl line by line, from where it stopped last time.
class event_tail {
 public:
  explicit event_tail(std::string path) : path_(std::move(path)) {}

  /// Waits until an event satisfying `want` is appended (or was, since the last call), at most
  /// `deadline_s` seconds; throws naming `what` at the deadline.
  template <class Pred>
  json wait_for(Pred want, double deadline_s, const std::string& what) {
    const auto t0 = steady::now();
    for (;;) {
      std::ifstream f(path_);
      if (f) {
        f.seekg(static_cast<std::streamoff>(offset_));
        std::string line;
        while (std::getline(f, line)) {
          if (f.eof())
            break;  // a line still being written: read it whole next time
          offset_ += line.size() + 1;
          auto e = json::parse(line, nullptr, false);
          if (!e.is_discarded() && want(e))
            return e;
        }
      }
      if (seconds_since(t0) > deadline_s)
        throw std::runtime_error("no " + what + " in " + path_ + " within " +
                                 std::to_string(deadline_s) + " s");
      // Polling the file with a deadline: the figure's resolution is this interval.
      std::this_thread::sleep_for(poll_interval);
    }
  }

 private:
  std::string path_;
  std::size_t offset_ = 0;
};

/// The first match of `re` (its group 1) in the file at `path`, waiting up to `deadline_s`.
std::string wait_in_log(const std::string& path, const std::regex& re, double deadline_s,
                        const std::string& what) {
  const auto t0 = steady::now();
  for (;;) {
    std::ifstream f(path);
    std::stringstream text;
    text << f.rdbuf();
    std::smatch m;
    const auto s = text.str();
    if (std::regex_search(s, m, re))
      return m[1].str();
    if (seconds_since(t0) > deadline_s)
      throw std::runtime_error(what + " did not appear in " + path + " within " +
                               std::to_string(deadline_s) + " s: " + s);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling, with the deadline
  }
}

bool membership(const json& e, int worker, const char* change) {
  return e.value("type", "") == "membership" && e.value("worker", -1) == worker &&
         e.value("change", "") == change;
}

/// One worker process and the id the aggregator gave it.
struct worker_proc {
  pid_t pid = 0;
  int id = -1;
  std::string log;
};

}  // namespace

int bench_detection(const detection_options& o, const std::string& self_exe) {
  namespace fs = std::filesystem;
  const std::string bin = o.hetsgd.empty()
                            ? (fs::path(self_exe).parent_path().parent_path() / "hetsgd").string()
                            : o.hetsgd;
  if (!fs::exists(bin))
    throw std::runtime_error("no hetsgd binary at " + bin + " (give --hetsgd)");
  const fs::path dir = "/tmp/hetsgd_bench_detection";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::vector<std::string> sets{
    "model.name=\"mlp\"",
    "cluster.heartbeat_s=" + std::to_string(o.heartbeat_s),
    "cluster.heartbeat_timeout_s=" + std::to_string(o.heartbeat_timeout_s),
    "train.max_samples=1000000000",
    "train.eval_every_s=5",
    "output.plots=false",
    "output.progress_every_s=0",
    "cluster.request_timeout_s=60"};
  for (auto& s : cluster_sets(std::vector<double>(static_cast<std::size_t>(o.workers), 1.0)))
    sets.push_back(s);
  auto lc = load(o.config, sets);
  std::vector<std::string> agg_args{
    bin, "aggregator", o.config, "--listen", "127.0.0.1:0", "--out", (dir / "run").string()};
  for (const auto& s : sets) {
    agg_args.push_back("--set");
    agg_args.push_back(s);
  }
  std::vector<pid_t> everyone;
  auto kill_all = [&] {
    for (auto p : everyone) {
      kill(p, SIGCONT);
      kill(p, SIGKILL);
    }
    wait_children(everyone, std::chrono::seconds(30));
  };
  json kills = json::array();
  json freezes = json::array();
  try {
    const auto agg_log = (dir / "aggregator.log").string();
    everyone.push_back(spawn_child(agg_args, agg_log));
    const auto port = wait_in_log(agg_log, std::regex("listening on 127\\.0\\.0\\.1:([0-9]+)"),
                                  o.deadline_s, "the aggregator's address");
    int started = 0;
    auto start_worker = [&] {
      worker_proc w;
      w.log = (dir / ("worker" + std::to_string(started++) + ".log")).string();
      w.pid = spawn_child({bin, "worker", "--connect", "127.0.0.1:" + port}, w.log);
      everyone.push_back(w.pid);
      return w;
    };
    std::vector<worker_proc> workers;
    for (int i = 0; i < o.workers; ++i)
      workers.push_back(start_worker());
    for (auto& w : workers)
      w.id = std::stoi(
        wait_in_log(w.log, std::regex("as worker ([0-9]+)"), o.deadline_s, "the worker's id"));
    event_tail events((dir / "run" / "events.jsonl").string());
    for (int r = 0; r < 5; ++r)
      events.wait_for([](const json& e) { return e.value("type", "") == "round"; }, o.deadline_s,
                      "round");
    // Seconds from `since` until the aggregator logs `change` ("left", "rejoined") for `id`.
    auto seconds_until = [&](steady::time_point since, int id, const char* change,
                             const std::string& what) {
      events.wait_for([&](const json& e) { return membership(e, id, change); }, o.deadline_s,
                      what + " of worker " + std::to_string(id));
      return seconds_since(since);
    };
    for (int rep = 0; rep < o.reps; ++rep) {
      // A crash: the socket closes, CAF reports the peer gone.
      auto& victim = workers[static_cast<std::size_t>(rep % o.workers)];
      const int id = victim.id;
      const auto killed_at = steady::now();
      kill(victim.pid, SIGKILL);
      const double detect_s = seconds_until(killed_at, id, "left", "'left' after kill -9");
      const auto started_at = steady::now();
      victim = start_worker();
      victim.id = id;
      const double rejoin_s = seconds_until(started_at, id, "rejoined", "rejoin of a new process");
      kills.push_back({{"worker", id}, {"detection_s", detect_s}, {"rejoin_s", rejoin_s}});
      std::cerr << "detection: kill -9 of worker " << id << " seen after " << detect_s
                << " s; its replacement rejoined " << rejoin_s << " s after it started\n";
      // A freeze: the socket stays open, only a deadline finds it.
      const auto& frozen = workers[static_cast<std::size_t>((rep + 1) % o.workers)];
      const auto stopped_at = steady::now();
      kill(frozen.pid, SIGSTOP);
      const double freeze_s = seconds_until(stopped_at, frozen.id, "left", "'left' after SIGSTOP");
      const auto thawed_at = steady::now();
      kill(frozen.pid, SIGCONT);
      const double thaw_s = seconds_until(thawed_at, frozen.id, "rejoined", "rejoin after SIGCONT");
      freezes.push_back({{"worker", frozen.id}, {"detection_s", freeze_s}, {"rejoin_s", thaw_s}});
      std::cerr << "detection: SIGSTOP of worker " << frozen.id << " seen after " << freeze_s
                << " s; thawed, it rejoined after " << thaw_s << " s\n";
    }
  } catch (...) {
    kill_all();
    throw;
  }
  kill_all();
  auto figures = [](const json& rows) {
    std::vector<double> detect, rejoin;
    for (const auto& r : rows) {
      detect.push_back(r["detection_s"].get<double>());
      rejoin.push_back(r["rejoin_s"].get<double>());
    }
    return json{{"runs", rows},
                {"detection_s_median", median(detect)},
                {"detection_s_max", *std::max_element(detect.begin(), detect.end())},
                {"rejoin_s_median", median(rejoin)}};
  };
  auto j = header("failure_detection", o.commit, lc);
  j["workers"] = o.workers;
  j["heartbeat_s"] = o.heartbeat_s;
  j["heartbeat_timeout_s"] = o.heartbeat_timeout_s;
  j["resolution_s"] = std::chrono::duration<double>(poll_interval).count();
  j["kill_9"] = figures(kills);
  j["sigstop"] = figures(freezes);
  j["notes"] =
    "kill_9: SIGKILL to the aggregator's 'left' event (socket closed); its rejoin_s is from "
    "starting a new worker process (loading the data set) to its 'rejoined' event. sigstop: "
    "SIGSTOP to 'left' (the heartbeat deadline, heartbeat_timeout_s, plus up to one check); "
    "its rejoin_s is from SIGCONT to 'rejoined'.";
  write(j, o.out);
  return 0;
}

}  // namespace hetsgd::bench
