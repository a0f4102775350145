#pragma once
/// Typed view of a validated hetsgd TOML config. Every field here has exactly one entry in the
/// key registry (config/key_registry.cpp) with its type, default, unit and doc; the loader fills
/// this struct only after validation succeeded, so consumers never re-validate.

#include <cstdint>
#include <string>
#include <vector>

namespace hetsgd {

struct run_section {
  std::string name = "hetsgd";  ///< label used in output directory names and summaries
  std::uint64_t seed = 42;      ///< every random choice derives from it
};

struct data_section {
  std::string name = "fashion-mnist";                      ///< data set name
  std::string path = "/usr/share/datasets/fashion-mnist";  ///< directory of the gzip IDX files
};

struct model_section {
  std::string name = "cnn";  ///< "mlp" | "cnn"
};

struct train_section {
  double lr = 0.05;               ///< global learning rate on the sample-weighted mean gradient
  double momentum = 0.0;          ///< heavy-ball momentum of the master optimizer (0 = plain SGD)
  double weight_decay = 0.0;      ///< L2 coefficient of the master optimizer
  std::int64_t micro_batch = 32;  ///< samples per atomic unit of worker compute
  std::int64_t batch = 64;        ///< per-worker batch (samples) for fixed-batch policies
  std::int64_t max_samples = 300000;  ///< stop after this many samples were applied (0 = no limit)
  double max_seconds = 0.0;           ///< stop after this long, seconds (0 = no limit)
  double target_accuracy = 0.85;      ///< time to reach this test accuracy is the headline figure
  double eval_every_s = 1.0;          ///< seconds between test-set evaluations
  std::int64_t eval_samples = 0;      ///< test images per periodic evaluation (0 = all 10,000)
};

struct cluster_section {
  std::string clock = "real";        ///< "real" | "simulated"
  std::int64_t workers = 4;          ///< number of workers
  std::vector<double> speeds;        ///< relative compute speed per worker (default all 1.0)
  double request_timeout_s = 120.0;  ///< deadline of every request between actors, seconds
  /// Seconds a push may go unanswered before its worker asks the aggregator whether it arrived
  /// (armed once a drop fault made the worker's link lossy).
  double link_probe_s = 0.2;
  std::string mode = "threads";     ///< "threads" (one process) | "processes"
  std::string transport = "local";  ///< "local" | "gloo" | "nccl"
  /// gloo/nccl, gradient rounds (ssgd, dbs): every worker steps a replica of the optimizer on
  /// the all-reduced sum instead of receiving the new weights each round.
  bool replicate_optimizer = true;
  /// With replicate_optimizer: a worker steps as soon as it holds the round's sum and starts its
  /// next job before the release, which confirms it (start_early_job in the worker).
  bool early_start = true;
  /// Processes: workers 0 .. hosted_workers-1 run as threads in the aggregator's process (their
  /// tensors stay in memory; with a collective the aggregator sums theirs into its own rank).
  std::int64_t hosted_workers = 0;
  /// Processes: where the aggregator listens for workers, "HOST:PORT" (port 0 = any free one).
  std::string listen = "127.0.0.1:0";
  /// Processes: shared secret a worker must present; required to listen beyond loopback.
  std::string token;
  /// Processes: mutual TLS (PEM paths; all three or none): this aggregator's certificate and
  /// key, and the CA that signed the workers' certificates.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  double heartbeat_s = 1.0;  ///< processes: seconds between a worker's heartbeats
  /// Processes: a worker silent this long (frozen, partitioned) is taken as lost, seconds.
  double heartbeat_timeout_s = 10.0;
  /// Processes: how long a worker keeps retrying to reach its aggregator, seconds.
  double reconnect_s = 30.0;
  /// Samples/s of a speed-1 worker; worker i runs at speeds[i] × base_rate (0 = auto).
  double base_rate = 0.0;
};

/// [policy.ssgd]
struct ssgd_settings {
  double round_timeout_s = 0.0;  ///< close a round with whoever arrived after this long (0 = off)
};

/// [policy.asgd]
struct asgd_settings {
  std::int64_t max_staleness = 0;  ///< drop contributions staler than this (0 = unbounded)
};

/// [policy.ssp]
struct ssp_settings {
  std::int64_t staleness = 3;  ///< clocks a worker may run ahead of the slowest (0 = ssgd pacing)
};

/// [policy.backup]
struct backup_settings {
  std::int64_t k = 0;  ///< contributions per round (0 = live workers − 1; clamped to [1, live])
};

/// [policy.local_sgd]
struct local_sgd_settings {
  std::int64_t local_steps = 4;  ///< H: local SGD steps (of train.batch samples) per upload
};

/// [policy.wp_sgd]
struct wp_sgd_settings {
  double period_s = 1.0;              ///< seconds between model averages
  std::string weighting = "samples";  ///< samples | contraction | uniform
};

/// [policy.abs_sgd]
struct abs_sgd_settings {
  std::string trigger = "period";   ///< comm | period | samples
  double period_s = 0.0;            ///< seconds between syncs (0 = 2 slowest micro-batches)
  std::int64_t target_samples = 0;  ///< samples per iteration, samples trigger (0 = batch × N)
  bool linear_lr_scaling = false;   ///< scale each update's lr by Σn / (train.batch × N)
};

/// [policy.od_sgd]
struct od_sgd_settings {
  std::int64_t warmup_rounds = 200;  ///< plain ssgd rounds before the delayed local updates
  double local_lr = -1.0;            ///< η_l of the local compensating step (< 0: train.lr)
  double dc_lambda = 0.0;            ///< delay-compensation λ of the local step (0 = off)
};

/// [policy.abs]
struct abs_settings {
  std::int64_t k0 = 1;             ///< K⁰, initial workers per round
  std::int64_t every_rounds = 10;  ///< E, rounds between K updates
  std::int64_t local_steps = 4;    ///< U, local SGD steps per job
  double global_lr = 1.0;          ///< η_g on the mean of the K deltas
};

/// [policy.dbs]
struct dbs_settings {
  std::int64_t global_batch = 0;  ///< B, samples per iteration (0 = train.batch × workers)
  std::string rounding = "largest_remainder";  ///< largest_remainder | reference
};

struct policy_section {
  std::string name = "ssgd";    ///< ssgd asgd ssp backup local_sgd abs abs_sgd od_sgd wp_sgd dbs
  std::string batch = "fixed";  ///< batch policy: "fixed" | "dbs"
  ssgd_settings ssgd;
  asgd_settings asgd;
  ssp_settings ssp;
  backup_settings backup;
  local_sgd_settings local_sgd;
  wp_sgd_settings wp_sgd;
  abs_sgd_settings abs_sgd;
  od_sgd_settings od_sgd;
  abs_settings abs;
  dbs_settings dbs;
};

struct output_section {
  std::string dir;                    ///< run directory ("" = runs/<name>-<timestamp>)
  bool plots = true;                  ///< write PNG plots with tools/plot.py when matplotlib exists
  double progress_every_s = 1.0;      ///< seconds between live progress lines (0 = quiet)
  bool straggler_report = true;       ///< name the current straggler, live and in summary.json
  double straggler_factor = 1.5;      ///< straggler: s/sample above this × the median of workers
  double straggler_ewma_alpha = 0.2;  ///< weight of the newest step in the step-time EWMAs
  bool trace = true;                  ///< write the timeline, trace.json (Chrome trace format)
};

/// Checkpoints of the aggregator's state in RUN_DIR/checkpoint/, for `hetsgd run --resume`.
struct checkpoint_section {
  double every_s = 0.0;           ///< run-clock seconds between checkpoints (0 = off)
  std::int64_t every_rounds = 0;  ///< rounds between checkpoints (0 = off)
};

/// [simulation]: the virtual-time model, read only when cluster.clock = "simulated"
/// (docs/simulation.md).
struct simulation_section {
  /// Per-micro-batch noise on the modelled time: "constant" | "shifted_exponential" | "lognormal".
  std::string noise = "constant";
  /// shifted_exponential: mean of the exponential part, as a fraction of the modelled time.
  double noise_mean = 0.5;
  /// lognormal: σ of the underlying normal (the factor's mean stays 1).
  double noise_sigma = 0.25;
  /// Virtual seconds without a computed sample after which the run stops as stalled.
  double stall_s = 600.0;
};

/// [network]: the modelled link between each worker and the aggregator, with either clock.
/// Link faults (delay, slow_link, drop) come on top.
struct network_section {
  double latency_s = 0.0;                ///< seconds added to every message on every link
  double bandwidth_mb_s = 0.0;           ///< 10^6 bytes/s per link and direction (0 = unlimited)
  std::vector<double> worker_latency_s;  ///< per worker, replaces latency_s (optional)
  std::vector<double> worker_bandwidth_mb_s;  ///< per worker, replaces bandwidth_mb_s (optional)
};

/// One [[faults]] entry, played by the fault injector (actors/fault_injector_actor.hpp).
struct fault_spec {
  std::string kind;          ///< slowdown pause crash rejoin delay drop nan disturbance slow_link
  std::int64_t worker = -1;  ///< target worker id (-1 = not set)
  double at_s = 0.0;         ///< start, seconds since run start
  double duration_s = 0.0;   ///< how long it lasts, seconds (0 = until the end)
  double factor = 1.0;       ///< slowdown factor (>= 1)
  double probability = 0.0;  ///< per-epoch probability (disturbance) or per-message (drop)
  double delay_s = 0.0;      ///< latency added to every message on the link (delay), seconds
  double bandwidth_mb_s = 0.0;  ///< link transfer rate cap (slow_link), 10^6 bytes/s
  std::int64_t max_epochs = 2;  ///< a disturbance lasts 1..max_epochs epochs (uniform)
  std::string source;           ///< "file:line:column" of the table, for error messages
};

struct run_config {
  run_section run;
  data_section data;
  model_section model;
  train_section train;
  cluster_section cluster;
  policy_section policy;
  output_section output;
  checkpoint_section checkpoint;
  simulation_section simulation;
  network_section network;
  std::vector<fault_spec> faults;
};

}  // namespace hetsgd
