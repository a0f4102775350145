#include "actors/training_run.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <nlohmann/json.hpp>

#include <malloc.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>

#include "actors/aggregator_actor.hpp"
#include "actors/atoms.hpp"
#include "actors/batch_controller_actor.hpp"
#include "actors/checkpoint_state.hpp"
#include "actors/checkpoint_store.hpp"
#include "actors/evaluator_actor.hpp"
#include "actors/fault_injector_actor.hpp"
#include "actors/front_door_actor.hpp"
#include "actors/memory_budget.hpp"
#include "actors/message_types.hpp"
#include "actors/network_config.hpp"
#include "actors/recorder_actor.hpp"
#include "actors/rendezvous_store.hpp"
#include "actors/simulated_clock.hpp"
#include "actors/simulation_driver.hpp"
#include "actors/solo_rate_cache.hpp"
#include "actors/worker_actor.hpp"
#include "config/endpoint.hpp"
#include "gpu/backends.hpp"
#include "gpu/fashion_mnist.hpp"
#include "gpu/flat_parameters.hpp"
#include "gpu/models.hpp"
#include "gpu/solo_throughput.hpp"
#include "gpu/torch_threads.hpp"
#include "policies/policy_registry.hpp"

namespace hetsgd {

namespace {

std::string join(const std::vector<std::string>& xs) {
  std::string s;
  for (auto& x : xs)
    s += (s.empty() ? "" : ", ") + x;
  return s;
}

/// Share of the machine's solo-rate capacity (cores × solo rate) that workers are paced to when
/// they oversubscribe it. Measured on the 2-core machine this project is built on, 4 MLP workers
/// with speeds [1, 1, 0.5, 0.25]: two threads computing at once reach about 0.75 of the solo rate
/// each, and the aggregator and evaluator need a share too. At 0.6 the per-worker sample counts
/// of an abs_sgd run were within 6 % of the speed ratios; at 0.9 the fast workers fell 30 %
/// short (they could not get the CPU they were paced to).
constexpr double oversubscribed_capacity_share = 0.6;

/// Samples/s a speed-1 worker is paced to (0 = no pacing: slower workers stretch their measured
/// compute by 1/speed). Auto (cluster.base_rate = 0): when the workers' speeds add up to more
/// than the cores, full-speed workers could not all get a core and the speed ratios would be
/// lost to the OS scheduler; then everybody is paced to a share of the machine's capacity.
double effective_base_rate(const run_config& cfg, double solo_samples_per_s) {
  if (cfg.cluster.base_rate > 0.0)
    return cfg.cluster.base_rate;
  // Virtual time has no cores to share: a speed-1 worker runs at the solo rate.
  if (cfg.cluster.clock == "simulated")
    return solo_samples_per_s;
  const double speed_sum =
    std::accumulate(cfg.cluster.speeds.begin(), cfg.cluster.speeds.end(), 0.0);
  const double cores = std::max(1u, std::thread::hardware_concurrency());
  if (speed_sum <= cores)
    return 0.0;
  return solo_samples_per_s * oversubscribed_capacity_share * cores / speed_sum;
}

/// Seconds the slowest worker takes for one micro-batch; `rate` = samples/s at speed 1.
double slowest_micro_batch_s(const run_config& cfg, double rate) {
  const double slowest = *std::min_element(cfg.cluster.speeds.begin(), cfg.cluster.speeds.end());
  return static_cast<double>(cfg.train.micro_batch) / (rate * slowest);
}

/// ABS-SGD's default iteration: two micro-batches of the slowest worker, so that it always
/// completes at least one.
double abs_sgd_period_s(const run_config& cfg, double rate) {
  if (cfg.policy.abs_sgd.period_s > 0.0)
    return cfg.policy.abs_sgd.period_s;
  return 2.0 * slowest_micro_batch_s(cfg, rate);
}

/// The round policy's options. `rate`: samples/s of a speed-1 worker (0 before it is measured:
/// only for checking the settings).
round_policy_options policy_options(const run_config& cfg, double rate = 0.0) {
  round_policy_options o;
  o.ssgd.round_timeout_s = cfg.policy.ssgd.round_timeout_s;
  o.asgd.max_staleness = static_cast<std::uint64_t>(cfg.policy.asgd.max_staleness);
  o.ssp.staleness = static_cast<std::uint64_t>(cfg.policy.ssp.staleness);
  o.backup.k = static_cast<std::uint64_t>(cfg.policy.backup.k);
  o.local_sgd.local_steps = static_cast<std::uint64_t>(cfg.policy.local_sgd.local_steps);
  o.wp_sgd.period_s = cfg.policy.wp_sgd.period_s;
  o.wp_sgd.weighting = parse_wp_weighting(cfg.policy.wp_sgd.weighting);
  o.wp_sgd.lr = cfg.train.lr;
  o.wp_sgd.l2 = cfg.train.weight_decay;
  o.abs_sgd.trigger = parse_abs_sgd_trigger(cfg.policy.abs_sgd.trigger);
  o.abs_sgd.period_s = rate > 0.0
                         ? abs_sgd_period_s(cfg, rate)
                         : (cfg.policy.abs_sgd.period_s > 0.0 ? cfg.policy.abs_sgd.period_s : 1.0);
  o.abs_sgd.target_samples = static_cast<std::uint64_t>(cfg.policy.abs_sgd.target_samples > 0
                                                          ? cfg.policy.abs_sgd.target_samples
                                                          : cfg.train.batch * cfg.cluster.workers);
  o.abs_sgd.linear_lr_scaling = cfg.policy.abs_sgd.linear_lr_scaling;
  o.abs_sgd.reference_batch = static_cast<std::uint64_t>(cfg.train.batch * cfg.cluster.workers);
  o.od_sgd.warmup_rounds = static_cast<std::uint64_t>(cfg.policy.od_sgd.warmup_rounds);
  o.od_sgd.local_lr = cfg.policy.od_sgd.local_lr < 0.0 ? cfg.train.lr : cfg.policy.od_sgd.local_lr;
  o.od_sgd.dc_lambda = cfg.policy.od_sgd.dc_lambda;
  o.abs.workers = static_cast<std::size_t>(cfg.cluster.workers);
  o.abs.k0 = static_cast<std::size_t>(cfg.policy.abs.k0);
  o.abs.every_rounds = static_cast<std::size_t>(cfg.policy.abs.every_rounds);
  o.abs.local_steps = static_cast<std::uint64_t>(cfg.policy.abs.local_steps);
  o.abs.global_lr = cfg.policy.abs.global_lr;
  return o;
}

dbs_options dbs_settings_of(const run_config& cfg, std::int64_t dataset_size) {
  dbs_options o;
  o.global_batch = cfg.policy.dbs.global_batch > 0 ? cfg.policy.dbs.global_batch
                                                   : cfg.train.batch * cfg.cluster.workers;
  o.dataset_size = dataset_size;
  o.rounding = cfg.policy.dbs.rounding;
  return o;
}

/// glibc serves allocations above a (dynamic) threshold with mmap and returns them with munmap:
/// every flattened gradient, payload and snapshot of the MLP (940 KB) then costs page faults on
/// first touch and a munmap with a TLB shootdown when freed, on the hot path of every round.
/// Keeping them in the heap makes the next allocation of the same size reuse warm pages.
void keep_tensor_memory_in_heap() {
  constexpr int mmap_threshold = 256 << 20;  // bytes; tensors below this come from the heap
  constexpr int trim_threshold = 512 << 20;  // bytes of free heap top kept before trimming
  mallopt(M_MMAP_THRESHOLD, mmap_threshold);
  mallopt(M_TRIM_THRESHOLD, trim_threshold);
}

/// Extra seconds the driver waits beyond the aggregator's own deadlines before it gives up.
constexpr double driver_grace_s = 30.0;

tls_files tls_of(const run_config& cfg) {
  return {cfg.cluster.tls_cert, cfg.cluster.tls_key, cfg.cluster.tls_ca};
}

}  // namespace

std::string unsupported_in_this_build(const run_config& cfg) {
  auto implemented = implemented_round_policies();
  if (std::find(implemented.begin(), implemented.end(), cfg.policy.name) == implemented.end())
    return "policy.name: \"" + cfg.policy.name +
           "\" is not implemented in this build (implemented: " + join(implemented) + ")";
  // The policy checks its own settings (e.g. wp_sgd's contraction needs 0 < lr·λ < 1); a
  // failure is reported below, after the cluster checks, by name.
  std::unique_ptr<round_policy> policy;
  std::string policy_error;
  try {
    policy = make_round_policy(cfg.policy.name, policy_options(cfg));
  } catch (const std::exception& e) {
    policy_error = e.what();
  }
  if (cfg.cluster.transport != "local") {
    const std::string transport = "cluster.transport: \"" + cfg.cluster.transport + "\"";
    // An all-reduce sums Σ a_k payload_k over a round's participants: it carries the policies
    // whose every round takes every live worker (their traits say all_reduce). The others close
    // rounds on a subset while the rest keep computing; they send their tensors to the
    // aggregator.
    if (policy && policy->traits().transfer != transfer_kind::all_reduce)
      return transport +
             " carries the policies whose rounds take every worker (ssgd without "
             "policy.ssgd.round_timeout_s, abs_sgd, dbs, local_sgd, wp_sgd); policy \"" +
             cfg.policy.name + "\" needs \"local\" (tensors through the aggregator)";
    if (cfg.cluster.clock == "simulated")
      return transport +
             " needs cluster.clock = \"real\" (the simulated clock models the "
             "network itself)";
    if (!cfg.faults.empty())
      return cfg.faults.front().source +
             ": faults need cluster.transport = \"local\" in this "
             "build";
    if (cfg.network.latency_s > 0.0 || cfg.network.bandwidth_mb_s > 0.0 ||
        !cfg.network.worker_latency_s.empty() || !cfg.network.worker_bandwidth_mb_s.empty())
      return "network: a modelled network needs cluster.transport = \"local\" (with \"" +
             cfg.cluster.transport + "\" the tensors cross the real one)";
  }
  if (cfg.cluster.mode != "processes" && tls_of(cfg).enabled())
    return "cluster.tls_cert: TLS secures the connections of worker processes; it needs "
           "cluster.mode = \"processes\"";
  if (cfg.cluster.mode == "processes") {
    if (cfg.cluster.clock == "simulated")
      return "cluster.mode: \"processes\" needs cluster.clock = \"real\" (a simulated cluster "
             "runs in one process)";
    if (!cfg.faults.empty())
      return cfg.faults.front().source +
             ": faults need cluster.mode = \"threads\" in this build; with worker processes, "
             "stop or kill the processes themselves";
    if (cfg.checkpoint.every_s > 0.0 || cfg.checkpoint.every_rounds > 0)
      return "checkpoint: checkpoints need cluster.mode = \"threads\" in this build";
  }
  const auto workers = cfg.cluster.workers;
  if (cfg.policy.name == "backup" && cfg.policy.backup.k > workers)
    return "policy.backup.k: " + std::to_string(cfg.policy.backup.k) +
           " is more than cluster.workers (" + std::to_string(workers) +
           "); a round could never close";
  if (cfg.policy.name == "abs" && cfg.policy.abs.k0 > workers)
    return "policy.abs.k0: " + std::to_string(cfg.policy.abs.k0) +
           " is more than cluster.workers (" + std::to_string(workers) +
           "); a round could never close";
  if (!policy_error.empty())
    return "policy." + cfg.policy.name + ": " + policy_error;
  if (cfg.policy.batch == "dbs" && cfg.policy.name != "ssgd" && cfg.policy.name != "dbs")
    // DBS counts one report per worker per round, and its plans hold jobs at epoch ends: that
    // needs synchronous rounds of one batch per worker.
    return "policy.batch: \"dbs\" works with policy.name = \"ssgd\" (or \"dbs\"), not \"" +
           cfg.policy.name + "\"";
  if (batch_policy_for(cfg.policy.name, cfg.policy.batch) == "dbs") {
    auto o = dbs_settings_of(cfg, std::numeric_limits<std::int64_t>::max());
    if (o.global_batch < cfg.cluster.workers)
      return "policy.dbs.global_batch: " + std::to_string(o.global_batch) +
             " is smaller than cluster.workers (" + std::to_string(cfg.cluster.workers) +
             "); every worker needs at least one sample per iteration";
  }
  for (const auto& f : cfg.faults)
    if (!fault_kind_supported(f.kind))
      return f.source + ": faults[].kind: \"" + f.kind +
             "\" is not implemented in this build (implemented: slowdown, disturbance, pause, "
             "nan, crash, rejoin, delay, drop, slow_link)";
  return {};
}

namespace {

/// The address the aggregator's rank of the round groups listens on: the host of
/// cluster.listen (its own name when that is a wildcard), or loopback in one process.
std::string collective_host_for(const std::string& listen) {
  std::string why;
  const auto at = parse_endpoint(listen, why);
  if (!at)
    return "127.0.0.1";
  if (at->host == "0.0.0.0" || at->host == "::") {
    char name[256] = {};
    return gethostname(name, sizeof name - 1) == 0 ? std::string(name) : "127.0.0.1";
  }
  return at->host;
}

/// How long connecting a round group and one all-reduce may take: a peer that misses it has
/// died or frozen, which the heartbeat finds in the same time.
double collective_timeout_s(const run_config& cfg) {
  return std::min(cfg.cluster.request_timeout_s, std::max(5.0, cfg.cluster.heartbeat_timeout_s));
}

/// What an embedding program handed in (its data set, its registered model) that this run cannot
/// use; "" when nothing.
std::string check_embedding(const run_config& cfg, const run_options& opts) {
  if (cfg.cluster.mode == "processes" && (opts.data || !is_builtin_model(cfg.model.name)))
    return std::string(
             "cluster.mode = \"processes\": worker processes load data.path and build a "
             "built-in model themselves, so ") +
           (opts.data ? "a data set passed in run_options.data"
                      : "model '" + cfg.model.name + "'") +
           " (a program's own) can only be trained with cluster.mode = \"threads\"";
  if (opts.data) {
    if (auto why = check_labeled_data(*opts.data); !why.empty())
      return "run_options.data: " + why;
  }
  if (opts.system && cfg.cluster.clock == "simulated")
    return "run_options.system: a run on cluster.clock = \"simulated\" needs an actor system of "
           "its own (CAF's deterministic test scheduler); leave run_options.system null";
  if (opts.system && cfg.cluster.mode == "processes")
    return "run_options.system: cluster.mode = \"processes\" builds its own actor system (the "
           "middleman's heartbeats and TLS are set up with it); leave run_options.system null "
           "or use cluster.mode = \"threads\"";
  if (opts.start_paused && cfg.cluster.clock == "simulated")
    return "run_options.start_paused: a run on cluster.clock = \"simulated\" cannot pause "
           "(its time moves only with the run's own events)";
  return "";
}

/// Every actor a run spawns, wherever from (a rejoin fault spawns worker incarnations on the
/// injector's thread): with a program's own actor system, run_training waits for each to be
/// gone before it returns, since it cannot wait for the system's end.
class run_actors {
 public:
  void add(const caf::actor& a) {
    if (!a)
      return;
    std::lock_guard<std::mutex> lock(mutex_);
    actors_.push_back(a);
  }
  std::vector<caf::actor> all() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return actors_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<caf::actor> actors_;
};

/// Waits until every actor in `actors` has terminated, for at most timeout_s; returns how many
/// are still running then.
std::size_t await_gone(caf::actor_system& sys, const std::vector<caf::actor>& actors,
                       double timeout_s) {
  caf::scoped_actor self{sys};
  for (auto& a : actors)
    self->monitor(a);
  std::size_t gone = 0;
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                       std::chrono::duration<double>(timeout_s));
  bool late = false;
  while (gone < actors.size() && !late) {
    const auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero())
      break;
    self->receive([&](caf::down_msg&) { ++gone; },
                  caf::after(std::chrono::duration_cast<std::chrono::milliseconds>(left) +
                             std::chrono::milliseconds(1)) >>
                    [&] { late = true; });
  }
  return actors.size() - gone;
}

}  // namespace

run_result run_training(const run_config& cfg, const run_options& opts) {
  run_result res;
  res.out_dir = opts.out_dir;
  if (auto why = unsupported_in_this_build(cfg); !why.empty()) {
    res.exit_code = 2;
    res.message = why;
    return res;
  }
  if (auto why = check_embedding(cfg, opts); !why.empty()) {
    res.exit_code = 2;
    res.message = why;
    return res;
  }
  if (auto why =
        check_tls_files(tls_of(cfg), {"cluster.tls_cert", "cluster.tls_key", "cluster.tls_ca"});
      !why.empty()) {
    res.exit_code = 2;
    res.message = why;
    return res;
  }
  int cuda_devices = 0;  // transport nccl: the devices the ranks of one process share out
  if (cfg.cluster.transport == "nccl") {
    // The aggregator is rank 0 of every round group: it needs a device of its own. A machine
    // without one is told so before anything starts (workers would fail the same way).
    const auto b = query_backends();
    cuda_devices = b.cuda_devices;
    if (!b.nccl_usable) {
      res.exit_code = 2;
      res.message = "cluster.transport: \"nccl\" cannot be used on this machine: " + b.nccl_error;
      return res;
    }
    if (cfg.cluster.mode == "threads" && b.cuda_devices < cfg.cluster.workers + 1) {
      res.exit_code = 2;
      res.message =
        "cluster.transport: \"nccl\" with cluster.mode = \"threads\" needs one CUDA "
        "device per rank, " +
        std::to_string(cfg.cluster.workers + 1) + " (the aggregator and " +
        std::to_string(cfg.cluster.workers) + " workers); this machine has " +
        std::to_string(b.cuda_devices);
      return res;
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(opts.out_dir, ec);
  if (ec) {
    res.exit_code = 1;
    res.message = "cannot create output directory " + opts.out_dir + ": " + ec.message();
    return res;
  }
  const std::string config_hash =
    hex64(fnv1a64(opts.effective_toml.data(), opts.effective_toml.size()));
  if (!opts.resume) {
    std::ofstream f(opts.out_dir + "/config.toml");
    f << opts.effective_toml;
    if (!f) {
      res.exit_code = 1;
      res.message = "cannot write " + opts.out_dir + "/config.toml";
      return res;
    }
  }

  keep_tensor_memory_in_heap();
  std::shared_ptr<const fashion_mnist> data;
  double solo = 0.0;
  const bool simulated = cfg.cluster.clock == "simulated";
  std::string rate_source = "measured";
  at::Tensor initial;
  std::shared_ptr<const resume_point> resume;
  try {
    pin_compute_threads_to_one();
    auto model = make_model(cfg.model.name, cfg.run.seed);
    initial = flatten_parameters(*model);
    if (opts.resume) {
      resume = load_resume_point(opts.out_dir, config_hash, initial.numel(), cfg.cluster.workers,
                                 cfg.faults.size());
      // Counters that do not parse are refused now, before anything runs.
      run_account scratch;
      scratch.workers.resize(static_cast<std::size_t>(cfg.cluster.workers));
      account_from_json(resume->manifest.at("accounting"), scratch, resume->manifest_path);
      initial = resume->weights;
    }
  } catch (const checkpoint_error& e) {
    res.exit_code = 2;
    res.message = e.what();
    return res;
  } catch (const std::exception& e) {
    res.exit_code = 1;
    res.message = e.what();
    return res;
  }
  try {
    data = opts.data ? opts.data : shared_fashion_mnist(cfg.data.path);
    // A resumed run paces its workers as the original did: the rate measured then.
    const double saved_solo = resume ? resume->manifest.value("solo_samples_per_s", 0.0) : 0.0;
    auto measure = [&] {
      return measure_solo_throughput(cfg.model.name, data->train, cfg.train.micro_batch,
                                     opts.solo_calibration_s, cfg.run.seed);
    };
    if (opts.solo_samples_per_s > 0.0) {
      solo = opts.solo_samples_per_s;
    } else if (saved_solo > 0.0) {
      solo = saved_solo;
    } else if (simulated && cfg.cluster.base_rate > 0.0) {
      solo = cfg.cluster.base_rate;  // the model's rate is given: nothing to measure
      rate_source = "cluster.base_rate";
    } else if (simulated) {
      // Measured once per machine: a fresh measurement would move every virtual time.
      auto r = cached_solo_rate(
        cfg.model.name + "/micro_batch=" + std::to_string(cfg.train.micro_batch), measure);
      solo = r.samples_per_s;
      rate_source = r.source;
    } else {
      solo = measure();
    }
  } catch (const std::exception& e) {
    res.exit_code = 1;
    res.message = e.what();
    return res;
  }

  const double base_rate = effective_base_rate(cfg, solo);
  {
    // Refused before anything starts: a cluster that does not fit would swap or be killed.
    const auto per_worker =
      worker_memory_bytes(initial.numel(), data->train.size(), cfg.cluster.workers);
    const auto need = per_worker * static_cast<std::uint64_t>(cfg.cluster.workers);
    const auto avail = opts.memory_budget_bytes > 0
                         ? std::optional<std::uint64_t>(opts.memory_budget_bytes)
                         : available_memory_bytes();
    if (avail && need > *avail) {
      res.exit_code = 2;
      res.message =
        "cluster.workers: " + std::to_string(cfg.cluster.workers) + " workers of the " +
        cfg.model.name + " need about " + bytes_text(need) + " (" + bytes_text(per_worker) +
        " each) but " +
        (opts.memory_budget_bytes > 0 ? "the run's memory budget is " + bytes_text(*avail)
                                      : "this machine has " + bytes_text(*avail) + " available") +
        "; use fewer workers or a smaller model";
      return res;
    }
  }
  if (cfg.policy.name == "abs_sgd" && cfg.policy.abs_sgd.trigger == "period" &&
      cfg.policy.abs_sgd.period_s > 0.0) {
    // Checked only now that the solo rate is measured: the config file alone cannot tell.
    const double shortest = slowest_micro_batch_s(cfg, base_rate > 0.0 ? base_rate : solo);
    if (cfg.policy.abs_sgd.period_s < shortest) {
      res.exit_code = 2;
      res.message = "policy.abs_sgd.period_s: " + std::to_string(cfg.policy.abs_sgd.period_s) +
                    " s is shorter than one micro-batch of the slowest worker (" +
                    std::to_string(shortest) + " s at the measured rate); it would hand over " +
                    "nothing in most iterations (0 = two of its micro-batches)";
      return res;
    }
  }
  // Its settings were checked by unsupported_in_this_build above.
  std::shared_ptr<round_policy> policy =
    make_round_policy(cfg.policy.name, policy_options(cfg, base_rate > 0.0 ? base_rate : solo));
  std::shared_ptr<batch_policy> bp;
  try {
    bp = make_batch_policy(batch_policy_for(cfg.policy.name, cfg.policy.batch), cfg.train.batch,
                           dbs_settings_of(cfg, data->train.size()),
                           static_cast<std::size_t>(cfg.cluster.workers));
  } catch (const std::exception& e) {
    res.exit_code = 2;
    res.message = "policy.dbs: " + std::string(e.what());
    return res;
  }
  if (resume) {
    // The policies continue from their saved state (policy_state.hpp).
    try {
      const auto& m = resume->manifest;
      policy->restore_state(m.at("policy_state").get<policy_state>());
      if (bp->plan_rounds() > 0)  // a plan that lasts rounds is part of the state (DBS)
        bp->restore_state(m.at("batch_state").get<policy_state>());
    } catch (const std::exception& e) {
      res.exit_code = 2;
      res.message = resume->manifest_path + ": policy state: " + e.what();
      return res;
    }
  }
  // Each leg of a resumed run draws its data in a fresh order (the workers are new
  // incarnations; replaying the first leg's order would over-weight the start of each shard).
  const std::uint64_t resumes = resume ? resume->resumes + 1 : 0;
  const std::uint64_t worker_seed = cfg.run.seed + 0x9e3779b97f4a7c15ULL * resumes;

  const bool processes = cfg.cluster.mode == "processes";
  caf::actor_system_config sys_cfg;
  register_message_types(sys_cfg);
  if (processes && !opts.system) {
    // Workers are other processes: CAF's middleman carries the messages, with its heartbeat on
    // so that a silent connection is noticed, not only a closed one.
    configure_network(sys_cfg, cfg.cluster.heartbeat_s, cfg.cluster.heartbeat_timeout_s,
                      tls_of(cfg));
  }
  // Work sharing: idle scheduler threads block on a condition variable, so a push from a worker
  // wakes the aggregator at once. Work stealing polls with sleeps of up to 10 ms when idle,
  // which added milliseconds of latency to every round.
  // The simulated clock runs CAF's deterministic test scheduler instead: every actor on this
  // thread, in virtual-time order (simulation_driver.hpp).
  sys_cfg.set("scheduler.policy", caf::atom(simulated ? "testing" : "sharing"));
  // A program may pass its own system (threads mode, real clock: check_embedding).
  std::optional<caf::actor_system> own_system;
  if (!opts.system)
    own_system.emplace(sys_cfg);
  caf::actor_system& sys = opts.system ? *opts.system : *own_system;
  auto spawned = std::make_shared<run_actors>();
  // A resumed run continues the run clock: faults, max_seconds and the logs' times go on.
  const double clock_offset_s = resume ? resume->elapsed_s : 0.0;
  clock_ptr clock;
  if (simulated)
    clock = std::make_shared<simulated_clock>(
      dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler()).clock(), clock_offset_s);
  else
    clock = std::make_shared<real_clock>(clock_offset_s);

  caf::actor recorder;
  try {
    recorder = spawn_recorder(sys, opts.out_dir, opts.resume, cfg.output.trace, opts.on_event);
  } catch (const std::exception& e) {
    res.exit_code = 1;
    res.message = e.what();
    return res;
  }
  auto evaluator = spawn_evaluator(sys, evaluator_params{cfg.model.name, cfg.run.seed, data});
  auto controller = spawn_batch_controller(sys, bp);
  spawned->add(recorder);
  spawned->add(evaluator);
  spawned->add(controller);

  aggregator_params ap;
  ap.policy = std::move(policy);
  ap.initial_weights = initial;
  ap.clock = clock;
  ap.workers = static_cast<int>(cfg.cluster.workers);
  ap.speeds = cfg.cluster.speeds;
  ap.solo_samples_per_s = solo;
  ap.base_rate = base_rate;
  ap.lr = cfg.train.lr;
  ap.momentum = cfg.train.momentum;
  ap.weight_decay = cfg.train.weight_decay;
  ap.max_samples = static_cast<std::uint64_t>(cfg.train.max_samples);
  ap.samples_per_epoch = static_cast<std::uint64_t>(data->train.size());
  ap.max_seconds = cfg.train.max_seconds;
  ap.target_accuracy = cfg.train.target_accuracy;
  ap.eval_every_s = cfg.train.eval_every_s;
  ap.eval_samples = cfg.train.eval_samples;
  ap.request_timeout_s = cfg.cluster.request_timeout_s;
  if (processes) {
    ap.heartbeat_timeout_s = cfg.cluster.heartbeat_timeout_s;
    ap.heartbeat_check_s = std::min(cfg.cluster.heartbeat_s, cfg.cluster.heartbeat_timeout_s / 2);
  }
  ap.progress_every_s = cfg.output.progress_every_s > 0 ? cfg.output.progress_every_s : 1.0;
  ap.policy_name = cfg.policy.name;
  ap.model_name = cfg.model.name;
  ap.seed = cfg.run.seed;
  ap.evaluator = evaluator;
  ap.recorder = recorder;
  // cluster.transport = "gloo" or "nccl": the rounds' all-reduce meets through this store,
  // reachable wherever the aggregator is (worker processes get its handle with their
  // assignment).
  collective_params coll;
  caf::actor rendezvous;
  if (cfg.cluster.transport != "local") {
    rendezvous = spawn_rendezvous_store(sys);
    spawned->add(rendezvous);
    coll.backend = cfg.cluster.transport;
    coll.rendezvous = rendezvous;
    coll.host = collective_host_for(cfg.cluster.mode == "processes" ? cfg.cluster.listen : "");
    coll.timeout_s = collective_timeout_s(cfg);
  }
  ap.collective = coll;
  ap.replicate_optimizer = cfg.cluster.replicate_optimizer;
  ap.early_start = cfg.cluster.early_start;
  // Processes: workers 0 .. hosted-1 are threads here (cluster.hosted_workers).
  const auto hosted = static_cast<std::size_t>(processes ? cfg.cluster.hosted_workers : 0);
  ap.hosted_workers = hosted;
  ap.worker_processes = processes;
  ap.batch_controller = controller;
  auto counters = std::make_shared<counter_board>();
  ap.counters = counters;
  ap.straggler_report = cfg.output.straggler_report;
  ap.straggler_factor = cfg.output.straggler_factor;
  ap.straggler_ewma_alpha = cfg.output.straggler_ewma_alpha;
  ap.checkpoint.run_dir = opts.out_dir;
  ap.checkpoint.every_s = cfg.checkpoint.every_s;
  ap.checkpoint.every_rounds = static_cast<std::uint64_t>(cfg.checkpoint.every_rounds);
  ap.checkpoint.config_hash = config_hash;
  ap.checkpoint.faults = cfg.faults;
  ap.checkpoint.resumes = resumes;
  ap.checkpoint.worker_seed = worker_seed;
  ap.checkpoint.resume = resume;
  ap.start_paused = opts.start_paused;
  auto aggregator = spawn_aggregator(sys, std::move(ap));
  spawned->add(aggregator);

  // Every incarnation of worker `id` (the first, and any a rejoin fault spawns) is made here.
  auto incarnations =
    std::make_shared<std::vector<std::uint64_t>>(static_cast<std::size_t>(cfg.cluster.workers), 0);
  auto spawn_incarnation = [&sys, &cfg, base_rate, data, clock, aggregator, controller, counters,
                            worker_seed, incarnations, recorder, coll, cuda_devices, hosted,
                            spawned](worker_id id) {
    worker_params wp;
    if (cfg.output.trace)
      wp.recorder = recorder;
    wp.incarnation = (*incarnations)[id]++;
    const auto& net = cfg.network;
    wp.link_latency_s = net.worker_latency_s.empty() ? net.latency_s : net.worker_latency_s.at(id);
    wp.link_bandwidth =
      1e6 *
      (net.worker_bandwidth_mb_s.empty() ? net.bandwidth_mb_s : net.worker_bandwidth_mb_s.at(id));
    wp.noise.kind = parse_step_noise(cfg.simulation.noise);
    wp.noise.mean = cfg.simulation.noise_mean;
    wp.noise.sigma = cfg.simulation.noise_sigma;
    wp.id = id;
    wp.workers = static_cast<int>(cfg.cluster.workers);
    wp.speed = cfg.cluster.speeds.at(id);
    wp.base_rate = base_rate;
    wp.model_name = cfg.model.name;
    wp.seed = worker_seed;
    wp.micro_batch = cfg.train.micro_batch;
    wp.request_timeout_s = cfg.cluster.request_timeout_s;
    wp.momentum = cfg.train.momentum;
    wp.weight_decay = cfg.train.weight_decay;
    wp.link_probe_s = cfg.cluster.link_probe_s;
    wp.data = data;
    wp.clock = clock;
    wp.aggregator = aggregator;
    wp.batch_controller = controller;
    wp.counters = counters->open(id);
    wp.collective = coll;
    // nccl in one process: one device per rank (NCCL refuses two ranks of a group on one
    // device); the aggregator's rank 0 has device 0, worker i has device i + 1.
    wp.collective.device = (static_cast<int>(id) + 1) % std::max(1, cuda_devices);
    if (id < hosted)
      wp.collective = collective_params{};  // its payloads go to the aggregator in memory
    auto worker = spawn_worker(sys, std::move(wp));
    spawned->add(worker);
    return worker;
  };
  std::vector<caf::actor> workers;
  caf::actor front_door;
  if (processes) {
    front_door_params fp;
    fp.token = cfg.cluster.token;
    fp.config_toml = opts.effective_toml;
    fp.speeds = cfg.cluster.speeds;
    fp.hosted = hosted;
    fp.base_rate = base_rate;
    fp.seed = worker_seed;
    fp.clock = clock;
    fp.aggregator = aggregator;
    fp.batch_controller = controller;
    fp.recorder = recorder;
    fp.rendezvous = rendezvous;
    fp.trace = cfg.output.trace;
    front_door = spawn_front_door(sys, std::move(fp));
    spawned->add(front_door);
    std::string why;
    const auto at = parse_endpoint(cfg.cluster.listen, why);  // checked by the config loader
    auto port = publish_actor(sys, front_door, at ? at->port : 0,
                              at ? at->host : std::string("127.0.0.1"), tls_of(cfg));
    if (!port) {
      res.exit_code = 1;
      res.message =
        "cluster.listen: cannot listen on " + cfg.cluster.listen + ": " + sys.render(port.error());
      for (auto* a : {&front_door, &aggregator, &evaluator, &recorder, &controller})
        caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
      return res;
    }
    if (opts.on_listening)
      opts.on_listening(*port);
  }
  // Threads: every worker is spawned here; processes: only the hosted ones, the others connect.
  const auto in_process = processes ? static_cast<std::int64_t>(hosted) : cfg.cluster.workers;
  for (std::int64_t i = 0; i < in_process; ++i) {
    const auto id = static_cast<worker_id>(i);
    // A worker that was out at the checkpoint stays out until its rejoin fault (null handle).
    const bool out =
      resume && std::find(resume->live.begin(), resume->live.end(), id) == resume->live.end();
    workers.push_back(out ? caf::actor() : spawn_incarnation(id));
  }
  // A resumed run plays what is left of the schedule (checkpoint_state.hpp).
  auto faults =
    resume ? remaining_faults(cfg.faults, resume->faults, resume->elapsed_s) : cfg.faults;
  caf::actor injector;
  if (!faults.empty()) {
    injector = spawn_fault_injector(sys, fault_injector_params{faults, clock, recorder, workers,
                                                               spawn_incarnation, cfg.run.seed});
    spawned->add(injector);
    // Disturbances are drawn at every epoch end, which only the aggregator sees.
    caf::anon_send(aggregator, epoch_atom::value, injector);
  }

  const auto wall0 = std::chrono::steady_clock::now();
  nlohmann::json wall = {{"clock", clock->kind()}, {"base_rate_source", rate_source}};
  auto stop_actors = [&] {
    if (injector)
      caf::anon_send_exit(injector, caf::exit_reason::user_shutdown);
    if (front_door)
      caf::anon_send_exit(front_door, caf::exit_reason::user_shutdown);
    if (rendezvous)
      caf::anon_send_exit(rendezvous, caf::exit_reason::user_shutdown);
    for (auto& w : workers)
      caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
    for (auto* a : {&aggregator, &evaluator, &recorder, &controller})
      caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
    for (auto& a : spawned->all())  // and every worker incarnation a rejoin fault spawned
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  };
  if (opts.on_started)
    opts.on_started(aggregator);
  {
    caf::scoped_actor self{sys};
    self->monitor(aggregator);
    self->send(aggregator, run_atom::value);
    bool done = false;
    bool stop_sent = false;
    auto on_progress = [&](progress_msg& pm) {
      if (opts.on_progress)
        opts.on_progress(pm);
    };
    auto on_done = [&](done_atom, run_outcome_msg& o) {
      res.exit_code = o.exit_code;
      res.message = o.message;
      res.summary_json = o.summary_json;
      if (!o.wall_json.empty())
        wall.update(nlohmann::json::parse(o.wall_json));
      done = true;
    };
    auto on_down = [&](caf::down_msg& dm) {
      res.exit_code = 1;
      res.message = "aggregator terminated unexpectedly: " + sys.render(dm.reason);
      done = true;
    };
    auto stop_if_asked = [&] {
      if (opts.stop_requested && opts.stop_requested->load() && !stop_sent) {
        self->send(aggregator, stop_atom::value);
        stop_sent = true;
      }
    };
    // Pause toggles (SIGUSR1) not acted on yet; each becomes a pause or a resume request.
    unsigned toggles_done = 0;
    bool paused_here = false;
    auto toggle_if_asked = [&] {
      if (!opts.pause_toggles)
        return;
      for (const unsigned asked = opts.pause_toggles->load(); toggles_done < asked && !stop_sent;
           ++toggles_done) {
        if (simulated) {
          std::cerr << "hetsgd: a pause needs cluster.clock = \"real\"; ignored\n";
          continue;
        }
        const bool pause = !paused_here;
        auto answered = [&](bool) {
          paused_here = pause;
          std::cerr << (pause ? "hetsgd: paused (send SIGUSR1 again to resume)\n"
                              : "hetsgd: resumed\n");
        };
        auto refused = [&](caf::error& e) {
          std::cerr << "hetsgd: " << (pause ? "pause" : "resume") << " refused: " << sys.render(e)
                    << "\n";
        };
        const auto deadline = to_duration(cfg.cluster.request_timeout_s);
        if (pause)
          self->request(aggregator, deadline, pause_atom::value).receive(answered, refused);
        else
          self->request(aggregator, deadline, resume_atom::value).receive(answered, refused);
      }
    };
    if (simulated) {
      // Virtual time: this thread handles every actor's messages (simulation_driver.hpp) and
      // reads the aggregator's reports between instants.
      simulation_limits limits;
      limits.stall_s = cfg.simulation.stall_s;
      // One instant can legitimately carry a message or two per worker and link event.
      limits.max_messages_per_instant =
        1000000 + 1000 * static_cast<std::uint64_t>(cfg.cluster.workers);
      simulation_driver driver(sys, *clock, limits,
                               [&counters] { return counters->current_computed(); });
      while (!done) {
        if (!driver.advance()) {
          res.exit_code = 1;
          res.message = driver.diagnosis();
          break;
        }
        while (!done && !self->mailbox().empty())
          self->receive(
            on_progress, on_done, on_down, caf::after(std::chrono::seconds(0)) >> [] {});
        stop_if_asked();
        toggle_if_asked();
      }
      wall["messages"] = driver.stats().messages;
      wall["timers"] = driver.stats().timers;
      // The run's own length: its summary's, else the clock's (a run stopped by the driver).
      const double end_s = res.summary_json.empty()
                             ? clock->now_s()
                             : nlohmann::json::parse(res.summary_json).value("elapsed_s", 0.0);
      wall["sim_s"] = end_s - clock_offset_s;
      // What is left to stop is stopped on this thread too (the scheduler has no other).
      stop_actors();
      driver.drain();
    } else {
      auto last_heard = std::chrono::steady_clock::now();
      // The aggregator reports at least every progress_every_s; silence beyond its own longest
      // deadline means it is stuck.
      const auto silence_limit = std::chrono::duration<double>(
        2 * cfg.cluster.request_timeout_s + ap.progress_every_s + driver_grace_s);
      self->receive_while([&] { return !done; })(
        [&](progress_msg& pm) {
          last_heard = std::chrono::steady_clock::now();
          on_progress(pm);
        },
        on_done, on_down,
        caf::after(std::chrono::milliseconds(100)) >>
          [&] {
            stop_if_asked();
            toggle_if_asked();
            if (std::chrono::steady_clock::now() - last_heard > silence_limit) {
              res.exit_code = 1;
              res.message = "aggregator unresponsive; giving up";
              done = true;
            }
          });
    }
  }
  const double wall_s =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  wall["wall_s"] = wall_s;
  if (wall.contains("sim_s") && wall["sim_s"].get<double>() > 0.0)
    wall["wall_s_per_sim_s"] = wall_s / wall["sim_s"].get<double>();
  wall["peak_rss_bytes"] = peak_rss_bytes();
  wall["workers"] = cfg.cluster.workers;
  {
    // Measured figures, apart from the run's reproducible files (docs/simulation.md).
    std::ofstream f(opts.out_dir + "/wall.json");
    f << wall.dump(2) << "\n";
  }
  if (!simulated)  // the simulated run stopped its actors before draining them
    stop_actors();
  if (opts.system) {
    // The program's system outlives the run, so its end cannot be waited for: each of the run's
    // actors is (they hold the data set, the clock and the program's callbacks).
    const double limit_s = cfg.cluster.request_timeout_s + driver_grace_s;
    if (const auto left = await_gone(sys, spawned->all(), limit_s); left > 0) {
      res.exit_code = res.exit_code == 0 ? 1 : res.exit_code;
      res.message += "; " + std::to_string(left) + " of the run's actors had not stopped " +
                     std::to_string(limit_s) + " s after its end";
    }
  }
  if (opts.on_finished)
    opts.on_finished(res.exit_code, res.message);
  return res;  // the actor system shuts down here, waiting for its actors and connections
}

}  // namespace hetsgd
