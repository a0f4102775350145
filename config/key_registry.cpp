#include "config/key_registry.hpp"

#include <type_traits>
#include <utility>

namespace hetsgd {
namespace {

// --- conversions between a struct field and config_value -------------------------------------

template <class F>
constexpr value_type type_of_field() {
  if constexpr (std::is_same_v<F, bool>) {
    return value_type::boolean;
  } else if constexpr (std::is_integral_v<F>) {
    return value_type::integer;
  } else if constexpr (std::is_floating_point_v<F>) {
    return value_type::floating;
  } else if constexpr (std::is_same_v<F, std::string>) {
    return value_type::string;
  } else {
    static_assert(std::is_same_v<F, std::vector<double>>, "unsupported config field type");
    return value_type::float_array;
  }
}

template <class F>
std::optional<config_value> to_config_value(const F& field) {
  // The branches construct config_value from different types; clang-tidy 14 compares their text.
  // NOLINTNEXTLINE(bugprone-branch-clone)
  if constexpr (std::is_same_v<F, bool>) {
    return config_value{field};
  } else if constexpr (std::is_integral_v<F>) {
    return config_value{static_cast<std::int64_t>(field)};
  } else if constexpr (std::is_floating_point_v<F>) {
    return config_value{static_cast<double>(field)};
  } else if constexpr (std::is_same_v<F, std::vector<double>>) {
    // An empty array means "not given": the loader derives it (cluster.speeds).
    if (field.empty())
      return std::nullopt;
    return config_value{field};
  } else {
    return config_value{field};
  }
}

template <class F>
void from_config_value(F& field, const config_value& value) {
  if constexpr (std::is_same_v<F, bool>) {
    field = std::get<bool>(value);
  } else if constexpr (std::is_integral_v<F>) {
    field = static_cast<F>(std::get<std::int64_t>(value));
  } else if constexpr (std::is_floating_point_v<F>) {
    field = static_cast<F>(std::get<double>(value));
  } else {
    field = std::get<F>(value);
  }
}

// --- a small fluent builder so that every entry below reads as one statement ------------------

struct spec_builder {
  key_spec spec;

  spec_builder&& at_least(double v) && {
    spec.min = value_bound{v, false};
    return std::move(*this);
  }
  spec_builder&& above(double v) && {
    spec.min = value_bound{v, true};
    return std::move(*this);
  }
  spec_builder&& at_most(double v) && {
    spec.max = value_bound{v, false};
    return std::move(*this);
  }
  spec_builder&& below(double v) && {
    spec.max = value_bound{v, true};
    return std::move(*this);
  }
  spec_builder&& one_of(std::vector<std::string> c) && {
    spec.choices = std::move(c);
    return std::move(*this);
  }
  /// one_of, plus whatever a program registers for the key (register_choice).
  spec_builder&& one_of_or_registered(std::vector<std::string> c) && {
    spec.choices = std::move(c);
    spec.extensible = true;
    return std::move(*this);
  }
  /// A negative integer means "not set" (fault worker -1): read back as absent, not as a value
  /// that would fail its own ">= 0" check when the effective config is loaded again.
  spec_builder&& unset_when_negative() && {
    auto get = spec.get_fault;
    spec.get_fault = [get](const fault_spec& f) -> std::optional<config_value> {
      auto v = get(f);
      if (v && std::holds_alternative<std::int64_t>(*v) && std::get<std::int64_t>(*v) < 0)
        return std::nullopt;
      return v;
    };
    return std::move(*this);
  }
  spec_builder&& required() && {
    spec.required = true;
    return std::move(*this);
  }
  spec_builder&& default_note(std::string note) && {
    spec.default_note = std::move(note);
    return std::move(*this);
  }
};

/// A key of run_config. `access` is a generic lambda returning a reference to the field, so the
/// same accessor serves the binder (non-const) and the getter (const).
template <class Access>
spec_builder run_key(std::string name, Access access, std::string unit, std::string doc) {
  using field_t = std::decay_t<decltype(access(std::declval<run_config&>()))>;
  spec_builder b;
  b.spec.name = std::move(name);
  b.spec.type = type_of_field<field_t>();
  b.spec.scope = key_scope::run;
  b.spec.unit = std::move(unit);
  b.spec.doc = std::move(doc);
  b.spec.bind = [access](run_config& c, const config_value& v) { from_config_value(access(c), v); };
  b.spec.get = [access](const run_config& c) { return to_config_value(access(c)); };
  return b;
}

/// A key of one [[faults]] entry.
template <class Access>
spec_builder fault_key(std::string leaf, Access access, std::string unit, std::string doc) {
  using field_t = std::decay_t<decltype(access(std::declval<fault_spec&>()))>;
  spec_builder b;
  b.spec.name = "faults[]." + std::move(leaf);
  b.spec.type = type_of_field<field_t>();
  b.spec.scope = key_scope::fault;
  b.spec.unit = std::move(unit);
  b.spec.doc = std::move(doc);
  b.spec.bind_fault = [access](fault_spec& f, const config_value& v) {
    from_config_value(access(f), v);
  };
  b.spec.get_fault = [access](const fault_spec& f) { return to_config_value(access(f)); };
  return b;
}

// The key name is the field path, spelled once: HETSGD_KEY(train.lr) gives "train.lr" and an
// accessor for c.train.lr, so a key can never drift from its field.
#define HETSGD_KEY(path)        \
#path, [](auto& c) -> auto& { \
    return c.path;              \
  }
#define HETSGD_FAULT_KEY(field)  \
#field, [](auto& f) -> auto& { \
    return f.field;              \
  }

std::vector<key_spec> build_registry() {
  std::vector<spec_builder> b;
  // [run]
  b.push_back(
    run_key(HETSGD_KEY(run.name), "", "label used in output directory names and summaries"));
  b.push_back(
    run_key(HETSGD_KEY(run.seed), "", "every random choice of a run derives from it").at_least(0));
  // [data]
  b.push_back(run_key(HETSGD_KEY(data.name), "", "data set").one_of({"fashion-mnist"}));
  b.push_back(run_key(HETSGD_KEY(data.path), "",
                      "directory of the gzip IDX files (Debian package dataset-fashion-mnist)"));
  // [model]
  b.push_back(run_key(HETSGD_KEY(model.name), "",
                      "model trained by every worker (or one a program embedding hetsgd "
                      "registered: docs/embedding.md)")
                .one_of_or_registered({"mlp", "cnn"}));
  // [train]
  b.push_back(
    run_key(HETSGD_KEY(train.lr), "", "learning rate applied to the sample-weighted mean gradient")
      .above(0));
  b.push_back(run_key(HETSGD_KEY(train.momentum), "",
                      "heavy-ball momentum of the master optimizer (0 = plain SGD)")
                .at_least(0)
                .below(1));
  b.push_back(run_key(HETSGD_KEY(train.weight_decay), "", "L2 coefficient of the master optimizer")
                .at_least(0));
  b.push_back(run_key(HETSGD_KEY(train.micro_batch), "samples",
                      "atomic unit of worker compute; adaptive-batch policies count in it")
                .at_least(1));
  b.push_back(
    run_key(HETSGD_KEY(train.batch), "samples", "per-worker batch of fixed-batch policies")
      .at_least(1));
  b.push_back(run_key(HETSGD_KEY(train.max_samples), "samples",
                      "stop after this many samples were applied (0 = no limit)")
                .at_least(0));
  b.push_back(run_key(HETSGD_KEY(train.max_seconds), "s",
                      "stop after this long, wall or virtual time (0 = no limit)")
                .at_least(0));
  b.push_back(run_key(HETSGD_KEY(train.target_accuracy), "",
                      "test accuracy whose time to reach is the headline figure")
                .at_least(0)
                .at_most(1));
  b.push_back(
    run_key(HETSGD_KEY(train.eval_every_s), "s", "time between test-set evaluations").above(0));
  b.push_back(run_key(HETSGD_KEY(train.eval_samples), "samples",
                      "test images per periodic evaluation (0 = all 10,000)")
                .at_least(0)
                .at_most(10000));
  // [cluster]
  b.push_back(run_key(HETSGD_KEY(cluster.clock), "",
                      "real = wall time; simulated = virtual time, reproducible bit for bit")
                .one_of({"real", "simulated"}));
  b.push_back(
    run_key(HETSGD_KEY(cluster.workers), "workers", "number of workers").at_least(1).at_most(4096));
  b.push_back(run_key(HETSGD_KEY(cluster.speeds), "relative",
                      "compute speed of each worker relative to a full-speed one; one entry per "
                      "worker")
                .above(0)
                .default_note("1.0 per worker"));
  b.push_back(
    run_key(HETSGD_KEY(cluster.request_timeout_s), "s", "deadline of every request between actors")
      .above(0));
  b.push_back(run_key(HETSGD_KEY(cluster.link_probe_s), "s",
                      "how long a push may go unanswered before its worker asks the aggregator "
                      "whether it arrived (a lost push is sent again, a lost answer sent again); "
                      "armed once a drop fault has made the worker's link lossy")
                .above(0));
  b.push_back(run_key(HETSGD_KEY(cluster.mode), "",
                      "threads = all actors in one process; processes = one process per role")
                .one_of({"threads", "processes"}));
  b.push_back(run_key(HETSGD_KEY(cluster.transport), "",
                      "how tensors travel: local = through the aggregator (by reference in one "
                      "process, raw bytes between processes); gloo = each round of a policy that "
                      "takes every worker (ssgd, dbs, abs_sgd, local_sgd, wp_sgd) summed by a Gloo "
                      "all-reduce of its participants and the aggregator; nccl "
                      "= the same rounds summed by NCCL on CUDA devices")
                .one_of({"local", "gloo", "nccl"}));
  b.push_back(run_key(HETSGD_KEY(cluster.replicate_optimizer), "",
                      "gloo or nccl, rounds of ssgd and dbs: each worker takes the optimizer "
                      "step itself on the all-reduced gradient, bit for bit the aggregator's "
                      "(checked by a hash each round), so the weights go down only to joiners; "
                      "false sends the new weights to every worker every round"));
  b.push_back(run_key(HETSGD_KEY(cluster.early_start), "",
                      "with replicate_optimizer: a worker takes the round's step as soon as the "
                      "all-reduce gives it the sum and starts its next job on the result before "
                      "the aggregator's release comes; the release confirms it (the same job, "
                      "and weights that hash to the aggregator's) or the job is discarded; "
                      "false waits for the release"));
  b.push_back(run_key(HETSGD_KEY(cluster.hosted_workers), "workers",
                      "processes: how many workers (ids 0, 1, ...) run as threads in the "
                      "aggregator's process rather than as processes of their own; their tensors "
                      "stay in memory, and under gloo or nccl the aggregator puts their sum into "
                      "its own rank of the all-reduce instead of zeros (one rank fewer); the "
                      "others connect as usual")
                .at_least(0)
                .at_most(4096));
  b.push_back(run_key(HETSGD_KEY(cluster.listen), "HOST:PORT",
                      "processes: where the aggregator listens for workers (port 0 = any free "
                      "one); an address beyond loopback requires cluster.token"));
  b.push_back(run_key(HETSGD_KEY(cluster.token), "",
                      "processes: shared secret every worker must present (`hetsgd worker "
                      "--token`); a worker without it is refused and the refusal logged")
                .default_note("none"));
  b.push_back(run_key(HETSGD_KEY(cluster.tls_cert), "path",
                      "processes: TLS between the aggregator and its workers (all three "
                      "cluster.tls_* or none): the aggregator's PEM certificate; workers give "
                      "theirs with `hetsgd worker --tls-cert/--tls-key/--tls-ca`")
                .default_note("none (plain TCP)"));
  b.push_back(run_key(HETSGD_KEY(cluster.tls_key), "path",
                      "processes, TLS: the PEM private key of cluster.tls_cert")
                .default_note("none"));
  b.push_back(run_key(HETSGD_KEY(cluster.tls_ca), "path",
                      "processes, TLS: the PEM CA certificate that signed the workers' "
                      "certificates (each side verifies the other)")
                .default_note("none"));
  b.push_back(run_key(HETSGD_KEY(cluster.heartbeat_s), "s",
                      "processes: seconds between a worker's heartbeats to the aggregator (CAF's "
                      "middleman heartbeat runs at the same interval)")
                .above(0));
  b.push_back(run_key(HETSGD_KEY(cluster.heartbeat_timeout_s), "s",
                      "processes: a worker with no heartbeat for this long (frozen, partitioned) "
                      "is taken as lost, like a crashed one")
                .above(0));
  b.push_back(run_key(HETSGD_KEY(cluster.reconnect_s), "s",
                      "processes: how long a worker keeps retrying, with backoff, to reach its "
                      "aggregator before it exits")
                .above(0));
  b.push_back(run_key(HETSGD_KEY(cluster.base_rate), "samples/s",
                      "compute rate of a speed-1 worker; worker i is paced to speeds[i] × "
                      "base_rate. 0 = auto: with the real clock, workers whose speeds sum to at "
                      "most the cores run at full speed and slower ones are stretched; otherwise "
                      "all are paced to 0.6 × cores / Σ speeds × the measured solo rate, so "
                      "speed ratios hold on an oversubscribed machine")
                .at_least(0));
  // [policy]
  b.push_back(run_key(HETSGD_KEY(policy.name), "",
                      "round-closing policy; its settings live in `[policy.<name>]`")
                .one_of({"ssgd", "asgd", "ssp", "backup", "local_sgd", "abs", "abs_sgd", "od_sgd",
                         "wp_sgd", "dbs"}));
  b.push_back(run_key(HETSGD_KEY(policy.batch), "",
                      "batch-size policy: fixed (train.batch each) or dbs (re-partitioned every "
                      "epoch by speed, under policy.name = ssgd; policy.name = \"dbs\" implies it)")
                .one_of({"fixed", "dbs"}));
  // [policy.ssgd]
  b.push_back(run_key(HETSGD_KEY(policy.ssgd.round_timeout_s), "s",
                      "close a round with whoever arrived after this long (0 = wait for all)")
                .at_least(0));
  // [policy.asgd]
  b.push_back(run_key(HETSGD_KEY(policy.asgd.max_staleness), "versions",
                      "drop contributions staler than this (0 = unbounded)")
                .at_least(0));
  // [policy.ssp]
  b.push_back(run_key(HETSGD_KEY(policy.ssp.staleness), "clocks",
                      "a worker whose own clock (contributions resolved) is more than this ahead "
                      "of the slowest live worker waits for it (0 = ssgd pacing)")
                .at_least(0));
  // [policy.backup]
  b.push_back(run_key(HETSGD_KEY(policy.backup.k), "workers",
                      "a round closes with the first K contributions on the current version; the "
                      "other workers restart (0 = live workers - 1; more than cluster.workers is "
                      "refused; clamped to [1, live] when workers leave)")
                .at_least(0));
  // [policy.local_sgd]
  b.push_back(run_key(HETSGD_KEY(policy.local_sgd.local_steps), "steps",
                      "local SGD steps of train.batch samples, at train.lr, before each worker "
                      "uploads its model for averaging")
                .at_least(1));
  // [policy.wp_sgd]
  b.push_back(run_key(HETSGD_KEY(policy.wp_sgd.period_s), "s",
                      "seconds between model averages; workers take local SGD steps meanwhile")
                .above(0));
  b.push_back(run_key(HETSGD_KEY(policy.wp_sgd.weighting), "",
                      "model weights from each worker's work: samples (a_i ∝ samples), "
                      "contraction (a_i ∝ 1 − (1 − lr·weight_decay)^steps) or uniform")
                .one_of({"samples", "contraction", "uniform"}));
  // [policy.abs_sgd]
  b.push_back(run_key(HETSGD_KEY(policy.abs_sgd.trigger), "",
                      "when the next synchronization starts: comm (as soon as the previous "
                      "reduction completed), period (every period_s) or samples (when the "
                      "cluster is expected to have computed target_samples)")
                .one_of({"comm", "period", "samples"}));
  b.push_back(run_key(HETSGD_KEY(policy.abs_sgd.period_s), "s",
                      "iteration length of the period trigger (0 = two micro-batches of the "
                      "slowest worker, so that it always completes at least one; a period "
                      "shorter than one of them is refused when the run starts)")
                .at_least(0));
  b.push_back(run_key(HETSGD_KEY(policy.abs_sgd.target_samples), "samples",
                      "cluster-wide samples per iteration of the samples trigger "
                      "(0 = train.batch × workers)")
                .at_least(0));
  b.push_back(run_key(HETSGD_KEY(policy.abs_sgd.linear_lr_scaling), "",
                      "multiply each update's learning rate by its samples over train.batch × "
                      "workers, so a large implicit batch takes a proportionally larger step"));
  // [policy.od_sgd]
  b.push_back(run_key(HETSGD_KEY(policy.od_sgd.warmup_rounds), "rounds",
                      "plain synchronous rounds before workers start the one-step-delayed local "
                      "updates")
                .at_least(0));
  b.push_back(run_key(HETSGD_KEY(policy.od_sgd.local_lr), "",
                      "η_l of a worker's local compensating step w = W − η_l·g/N on its mean "
                      "gradient g (negative = train.lr; 0 = plain delay-1 SGD)")
                .at_least(-1));
  b.push_back(run_key(HETSGD_KEY(policy.od_sgd.dc_lambda), "",
                      "λ of DC-ASGD's delay-compensated local step g + λ·g⊙g⊙(W − w_then) "
                      "(0 = plain step; the DC-ASGD paper uses 0.04)")
                .at_least(0));
  // [policy.abs]
  b.push_back(run_key(HETSGD_KEY(policy.abs.k0), "workers",
                      "K⁰: distinct uploads the first rounds wait for, in [1, workers]")
                .at_least(1));
  b.push_back(run_key(HETSGD_KEY(policy.abs.every_rounds), "rounds",
                      "E: K ← min(N, max(K, ⌈K⁰·√(F(x⁰)/F(x))⌉)) every E rounds, F the training "
                      "loss")
                .at_least(1));
  b.push_back(run_key(HETSGD_KEY(policy.abs.local_steps), "steps",
                      "U: local SGD steps of train.batch samples per job; workers upload the "
                      "model delta")
                .at_least(1));
  b.push_back(run_key(HETSGD_KEY(policy.abs.global_lr), "",
                      "η_g: the model moves by η_g/K times the sum of the K deltas (1 = average)")
                .above(0));
  // [policy.dbs]
  b.push_back(run_key(HETSGD_KEY(policy.dbs.global_batch), "samples",
                      "B: samples per synchronous iteration over all workers, split by speed "
                      "every epoch (0 = train.batch × workers)")
                .at_least(0));
  b.push_back(run_key(HETSGD_KEY(policy.dbs.rounding), "",
                      "integer batches from the quotas: largest_remainder (Σb = B exactly) or "
                      "reference (the paper code's round-half-up; Σb may differ from B)")
                .one_of({"largest_remainder", "reference"}));
  // [output]
  b.push_back(
    run_key(HETSGD_KEY(output.dir), "", "run directory (\"\" = `runs/<name>-<timestamp>`)"));
  b.push_back(run_key(HETSGD_KEY(output.plots), "",
                      "write PNG plots with tools/plot.py when matplotlib is present"));
  b.push_back(run_key(HETSGD_KEY(output.progress_every_s), "s",
                      "time between live progress lines (0 = quiet)")
                .at_least(0));
  b.push_back(run_key(HETSGD_KEY(output.straggler_report), "",
                      "report each worker's step time (min/median/max/EWMA) and the current "
                      "straggler, live and in summary.json, with events when it changes"));
  b.push_back(run_key(HETSGD_KEY(output.straggler_factor), "x",
                      "a worker is the straggler when its EWMA of busy seconds per sample is the "
                      "slowest and above this times the median of all workers'")
                .above(1));
  b.push_back(run_key(HETSGD_KEY(output.straggler_ewma_alpha), "",
                      "weight of the newest step in the step-time EWMAs")
                .above(0)
                .at_most(1));
  b.push_back(run_key(HETSGD_KEY(output.trace), "",
                      "write trace.json, the run's timeline in Chrome trace format (open it in "
                      "chrome://tracing or ui.perfetto.dev): each worker's compute, idle, "
                      "transfer and pause spans, and the aggregator's round closes"));
  // [checkpoint]
  b.push_back(run_key(HETSGD_KEY(checkpoint.every_s), "s",
                      "write a checkpoint (weights, optimizer, version, policy state, counters, "
                      "fault position) to RUN_DIR/checkpoint/ at the first round boundary this "
                      "long after the last one, and at the end of the run; `hetsgd run --resume "
                      "RUN_DIR` continues from it (0 = off)")
                .at_least(0));
  b.push_back(run_key(HETSGD_KEY(checkpoint.every_rounds), "rounds",
                      "also write one every this many rounds, whichever of the two is due first "
                      "(0 = off)")
                .at_least(0));
  // [simulation]
  b.push_back(run_key(HETSGD_KEY(simulation.noise), "",
                      "with cluster.clock = \"simulated\": seeded noise on every micro-batch's "
                      "modelled time n / (base_rate × speed): constant (none), "
                      "shifted_exponential (1 + an exponential of mean noise_mean: never faster, "
                      "a long tail of stragglers) or lognormal (mean 1, spread noise_sigma)")
                .one_of({"constant", "shifted_exponential", "lognormal"}));
  b.push_back(run_key(HETSGD_KEY(simulation.noise_mean), "fraction",
                      "shifted_exponential: mean of the exponential part, as a fraction of the "
                      "modelled time (0.5 = micro-batches take 1.5× on average)")
                .above(0));
  b.push_back(run_key(HETSGD_KEY(simulation.noise_sigma), "",
                      "lognormal: σ of the underlying normal distribution")
                .above(0)
                .at_most(3));
  b.push_back(run_key(HETSGD_KEY(simulation.stall_s), "s",
                      "virtual seconds without a computed sample after which a simulated run "
                      "stops with a diagnosis instead of spinning")
                .above(0));
  // [network]
  b.push_back(run_key(HETSGD_KEY(network.latency_s), "s",
                      "latency of every message between a worker and the aggregator, each link "
                      "modelled on its own (link faults add to it)")
                .at_least(0));
  b.push_back(run_key(HETSGD_KEY(network.bandwidth_mb_s), "MB/s",
                      "rate of each link and direction in 10^6 bytes/s; a transfer takes latency "
                      "+ bytes / bandwidth, queued behind earlier ones (0 = unlimited)")
                .at_least(0));
  b.push_back(run_key(HETSGD_KEY(network.worker_latency_s), "s",
                      "per-worker latency, one entry per worker; replaces network.latency_s")
                .at_least(0)
                .default_note("network.latency_s for every worker"));
  b.push_back(run_key(HETSGD_KEY(network.worker_bandwidth_mb_s), "MB/s",
                      "per-worker link rate, one entry per worker, each > 0; replaces "
                      "network.bandwidth_mb_s")
                .above(0)
                .default_note("network.bandwidth_mb_s for every worker"));
  // [[faults]]
  b.push_back(fault_key(HETSGD_FAULT_KEY(kind), "", "what goes wrong")
                .one_of({"slowdown", "pause", "crash", "rejoin", "delay", "drop", "nan",
                         "disturbance", "slow_link"})
                .required()
                .default_note("required"));
  b.push_back(fault_key(HETSGD_FAULT_KEY(worker), "",
                        "target worker id, < cluster.workers; required by slowdown, pause, crash, "
                        "rejoin and nan; link faults and disturbances without one hit every worker")
                .at_least(0)
                .unset_when_negative()
                .default_note("none"));
  b.push_back(
    fault_key(HETSGD_FAULT_KEY(at_s), "s", "start, counted from the start of the run").at_least(0));
  b.push_back(fault_key(HETSGD_FAULT_KEY(duration_s), "s", "how long it lasts (0 = until the end)")
                .at_least(0));
  b.push_back(
    fault_key(HETSGD_FAULT_KEY(factor), "x", "slowdown factor of compute or link").at_least(1));
  b.push_back(fault_key(HETSGD_FAULT_KEY(probability), "",
                        "per-epoch probability (disturbance) or per-message probability (drop)")
                .at_least(0)
                .at_most(1));
  b.push_back(fault_key(HETSGD_FAULT_KEY(delay_s), "s",
                        "latency added to every message on the worker's link (delay)")
                .at_least(0));
  b.push_back(fault_key(HETSGD_FAULT_KEY(bandwidth_mb_s), "MB/s",
                        "transfer rate cap of the worker's link, 10^6 bytes/s (slow_link)")
                .at_least(0));
  b.push_back(fault_key(HETSGD_FAULT_KEY(max_epochs), "epochs",
                        "a disturbance slows a worker for 1..max_epochs epochs, drawn uniformly")
                .at_least(1));

  std::vector<key_spec> out;
  out.reserve(b.size());
  for (auto& entry : b)
    out.push_back(std::move(entry.spec));
  return out;
}

#undef HETSGD_KEY
#undef HETSGD_FAULT_KEY

std::vector<std::string> build_table_names() {
  std::vector<std::string> names;
  auto add = [&names](const std::string& name) {
    for (const auto& n : names)
      if (n == name)
        return;
    names.push_back(name);
  };
  for (const auto& key : key_registry()) {
    const std::string table = table_of(key);
    // Parents first: "policy" before "policy.ssgd".
    for (std::size_t dot = table.find('.'); dot != std::string::npos;
         dot = table.find('.', dot + 1)) {
      add(table.substr(0, dot));
    }
    add(table);
  }
  return names;
}

}  // namespace

const std::vector<key_spec>& key_registry() {
  static const std::vector<key_spec> registry = build_registry();
  return registry;
}

const key_spec* find_key(std::string_view name) {
  for (const auto& key : key_registry())
    if (key.name == name)
      return &key;
  return nullptr;
}

std::string table_of(const key_spec& key) {
  if (key.scope == key_scope::fault)
    return "faults";
  const auto dot = key.name.rfind('.');
  return dot == std::string::npos ? std::string() : key.name.substr(0, dot);
}

std::string leaf_of(const key_spec& key) {
  const auto dot = key.name.rfind('.');
  return dot == std::string::npos ? key.name : key.name.substr(dot + 1);
}

const std::vector<std::string>& table_names() {
  static const std::vector<std::string> names = build_table_names();
  return names;
}

bool is_table_name(std::string_view name) {
  if (name == "faults")
    return false;
  for (const auto& t : table_names())
    if (t == name)
      return true;
  return false;
}

std::string default_text(const key_spec& key) {
  if (!key.default_note.empty())
    return key.default_note;
  std::optional<config_value> value =
    key.scope == key_scope::run ? key.get(run_config{}) : key.get_fault(fault_spec{});
  return value ? to_toml_text(*value) : std::string();
}

std::string constraint_text(const key_spec& key) {
  std::string out;
  if (!key.choices.empty()) {
    for (std::size_t i = 0; i < key.choices.size(); ++i) {
      if (i > 0)
        out += ", ";
      out += key.choices[i];
    }
    return out;
  }
  const std::string each = key.type == value_type::float_array ? "each " : "";
  if (key.min)
    out += each + (key.min->exclusive ? "> " : ">= ") + format_number(key.min->value);
  if (key.max) {
    if (!out.empty())
      out += ", ";
    out += each + (key.max->exclusive ? "< " : "<= ") + format_number(key.max->value);
  }
  return out;
}

}  // namespace hetsgd
