/// The hetsgd command line: run, compare, aggregator, worker, validate, info (and config-doc for
/// the reference).
/// Exit codes: 0 success, 2 bad usage or bad config, 1 runtime failure.

#include <CLI/CLI.hpp>

#include <sys/prctl.h>
#include <unistd.h>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "actors/network_config.hpp"
#include "actors/training_run.hpp"
#include "actors/worker_process.hpp"
#include "apps/compare_command.hpp"
#include "apps/local_workers.hpp"
#include "apps/run_directory.hpp"
#include "apps/shutdown_deadline.hpp"
#include "config/config_loader.hpp"
#include "config/config_reference.hpp"
#include "config/effective_toml.hpp"
#include "config/endpoint.hpp"
#include "gpu/backends.hpp"
#include "plot_runner.hpp"

#ifndef HETSGD_VERSION
#define HETSGD_VERSION "unknown"
#endif

namespace {

std::atomic<bool> g_stop{false};
std::atomic<unsigned> g_pause_toggles{0};  ///< SIGUSR1s received: odd = paused

extern "C" void on_sigint(int) {
  g_stop.store(true);
}

extern "C" void on_sigusr1(int) {
  g_pause_toggles.fetch_add(1);
}

constexpr int exit_ok = 0;
constexpr int exit_runtime = 1;
constexpr int exit_usage = 2;

void print_progress(const hetsgd::progress_msg& pm, bool tty) {
  std::ostringstream os;
  os << "[" << std::fixed << std::setprecision(1) << std::setw(6) << pm.elapsed_s << " s] applied "
     << pm.samples_applied << " | acc ";
  if (pm.accuracy >= 0)
    os << std::setprecision(3) << pm.accuracy;
  else
    os << "  -  ";
  os << " | rounds " << pm.rounds << " | samples/s";
  for (std::size_t i = 0; i < pm.worker_rates.size(); ++i)
    os << " w" << i << "=" << std::setprecision(0) << pm.worker_rates[i];
  if (pm.straggler >= 0)
    os << " | straggler w" << pm.straggler;
  if (tty)
    std::cout << "\r" << os.str() << "\033[K" << std::flush;
  else
    std::cout << os.str() << "\n" << std::flush;
}

int cmd_validate(const std::string& path, const std::vector<std::string>& sets) {
  auto r = hetsgd::load_config(path, sets);
  if (auto* err = std::get_if<hetsgd::config_error>(&r)) {
    std::cerr << err->message << "\n";
    return exit_usage;
  }
  auto& cfg = std::get<hetsgd::loaded_config>(r).cfg;
  if (auto why = hetsgd::unsupported_in_this_build(cfg); !why.empty()) {
    std::cerr << path << ": " << why << "\n";
    return exit_usage;
  }
  std::cout << path << ": ok (policy " << cfg.policy.name << ", " << cfg.cluster.workers
            << " workers, model " << cfg.model.name << ")\n";
  return exit_ok;
}

/// How `cmd_run` treats cluster.mode = "processes": `hetsgd run` starts the worker processes
/// itself; `hetsgd aggregator` waits for workers started elsewhere.
enum class worker_launch { local_children, external };

int cmd_run(const std::string& path, const std::vector<std::string>& sets, std::string out,
            const std::string& resume_dir, worker_launch launch = worker_launch::local_children) {
  // --resume RUN_DIR: the run's own config.toml, exactly as the checkpoint was written for.
  std::string resumed_toml;
  if (!resume_dir.empty()) {
    const auto config = (std::filesystem::path(resume_dir) / "config.toml").string();
    std::ifstream f(config, std::ios::binary);
    if (!std::filesystem::is_directory(resume_dir) || !f) {
      std::cerr << "hetsgd: --resume " << resume_dir << ": "
                << (std::filesystem::is_directory(resume_dir) ? "no config.toml in it"
                                                              : "no such run directory")
                << "\n";
      return exit_usage;
    }
    resumed_toml.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  const std::string& config_path =
    resume_dir.empty() ? path : (std::filesystem::path(resume_dir) / "config.toml").string();
  auto r = hetsgd::load_config(config_path, sets);
  if (auto* err = std::get_if<hetsgd::config_error>(&r)) {
    std::cerr << err->message << "\n";
    return exit_usage;
  }
  auto& loaded = std::get<hetsgd::loaded_config>(r);
  auto& cfg = loaded.cfg;
  if (!resume_dir.empty())
    out = resume_dir;
  else if (out.empty())
    out = cfg.output.dir.empty() ? hetsgd::default_run_directory(cfg) : cfg.output.dir;
  std::signal(SIGINT, on_sigint);
  std::signal(SIGTERM, on_sigint);
  std::signal(SIGUSR1, on_sigusr1);  // pause, and at the next one resume (docs: README)
  const bool tty = isatty(STDOUT_FILENO) != 0;
  hetsgd::run_options opts;
  opts.out_dir = out;
  // The token, if any, stays out of config.toml and of what worker processes are sent.
  opts.effective_toml =
    hetsgd::redact_secrets(resume_dir.empty() ? loaded.effective_toml : resumed_toml);
  opts.resume = !resume_dir.empty();
  opts.stop_requested = &g_stop;
  opts.pause_toggles = &g_pause_toggles;
  if (cfg.output.progress_every_s > 0)
    opts.on_progress = [tty](const hetsgd::progress_msg& pm) { print_progress(pm, tty); };
  std::cout << "hetsgd: " << cfg.policy.name << " on " << cfg.cluster.workers << " workers ("
            << cfg.model.name << ", " << cfg.data.name << "), "
            << (opts.resume ? "resuming in " : "output in ") << out << "\n"
            << std::flush;
  std::unique_ptr<hetsgd::local_workers> children;
  if (cfg.cluster.mode == "processes") {
    opts.on_listening = [&](std::uint16_t port) {
      std::string why;
      const auto at = hetsgd::parse_endpoint(cfg.cluster.listen, why);
      std::cout << "hetsgd: listening on " << (at ? at->host : std::string("?")) << ":" << port
                << " for " << cfg.cluster.workers - cfg.cluster.hosted_workers << " workers"
                << (cfg.cluster.hosted_workers > 0
                      ? " (" + std::to_string(cfg.cluster.hosted_workers) + " more run here)"
                      : std::string())
                << "\n"
                << std::flush;
      if (launch == worker_launch::local_children)
        children = std::make_unique<hetsgd::local_workers>(
          std::filesystem::read_symlink("/proc/self/exe").string(), port,
          static_cast<int>(cfg.cluster.workers - cfg.cluster.hosted_workers), cfg.cluster.token,
          // Its own workers present the aggregator's certificate (signed by the same CA).
          cfg.cluster.tls_cert.empty()
            ? std::vector<std::string>{}
            : std::vector<std::string>{"--tls-cert", cfg.cluster.tls_cert, "--tls-key",
                                       cfg.cluster.tls_key, "--tls-ca", cfg.cluster.tls_ca});
    };
  }
  // The run's files are written before its actor system shuts down; that shutdown gets a
  // deadline, so that a finished run never leaves its process behind.
  hetsgd::shutdown_deadline shutdown;
  opts.on_finished = [&](int exit_code, const std::string& message) {
    shutdown.arm(std::chrono::seconds(30), exit_code == 0 ? exit_ok : exit_runtime,
                 "the run ended (" + message + ", results in " + out +
                   ") but the shutdown of its actor system");
  };
  auto res = hetsgd::run_training(cfg, opts);
  shutdown.disarm();
  if (children) {
    // The run has stopped every worker it had; a process still running after that is stuck.
    const int failed = children->finish(cfg.cluster.request_timeout_s);
    if (failed > 0)
      std::cerr << "hetsgd: " << failed << " worker process(es) did not exit cleanly\n";
  }
  if (tty && cfg.output.progress_every_s > 0)
    std::cout << "\n";
  if (res.exit_code == exit_usage) {
    if (opts.resume)  // the message names the checkpoint file
      std::cerr << "hetsgd: --resume " << resume_dir << ": " << res.message << "\n";
    else
      std::cerr << config_path << ": " << res.message << "\n";
    return exit_usage;
  }
  if (!res.summary_json.empty()) {
    std::cout << "hetsgd: " << res.message << "\n";
    hetsgd::print_summary_digest(res.summary_json, std::cout);
    if (cfg.output.plots) {
      std::cout << std::flush;  // the plot script writes to the same terminal
      auto msg = hetsgd::run_plot_script(out);
      if (!msg.empty())
        std::cerr << "hetsgd: plots skipped: " << msg << "\n";
    }
    std::cout << "hetsgd: results in " << out << "\n";
  }
  if (res.exit_code != 0) {
    std::cerr << "hetsgd: run failed: " << res.message << "\n";
    return exit_runtime;
  }
  return exit_ok;  // a run stopped by Ctrl-C ended cleanly too
}

int cmd_worker(const std::string& connect, hetsgd::worker_process_options o,
               bool exit_with_parent) {
  if (exit_with_parent) {
    // Started by `hetsgd run`: never outlive it (it may be killed with SIGKILL).
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1)
      return exit_runtime;  // the parent is already gone
  }
  std::string why;
  const auto at = hetsgd::parse_endpoint(connect, why);
  if (!at || at->port == 0) {
    std::cerr << "hetsgd worker: --connect: " << (at ? "port 0 is not a port to connect to" : why)
              << "\n";
    return exit_usage;
  }
  o.host = at->host;
  o.port = at->port;
  auto res = hetsgd::run_worker_process(o);
  std::cerr << "hetsgd worker: " << res.message << "\n";
  return res.exit_code;
}

int cmd_info() {
  auto b = hetsgd::query_backends();
  std::cout << "hetsgd " << HETSGD_VERSION << "\n"
            << "torch " << b.torch_version << "\n"
            << "collectives (cluster.transport):\n"
            << "  local  compiled in, usable (threads of one process)\n"
            << "  gloo   " << (b.gloo ? "compiled in, " : "not compiled in (install libgloo-dev)")
            << (b.gloo
                  ? (b.gloo_usable ? std::string("usable (TCP)") : "not usable: " + b.gloo_error)
                  : std::string())
            << "\n"
            << "  nccl   " << (b.nccl ? "compiled in, " : "not compiled in (see docs/gpu.md)")
            << (b.nccl ? (b.nccl_usable ? std::string("usable") : "not usable: " + b.nccl_error)
                       : std::string())
            << "\n"
            << "cuda kernels: " << (b.cuda ? "compiled in" : "not built") << "\n"
            << "tls: "
            << (hetsgd::tls_compiled_in() ? "compiled in (libcaf_openssl; cluster.tls_*)"
                                          : "not compiled in (libcaf_openssl not found)")
            << "\n"
            << "compute devices (worker --device): cpu"
            << (b.torch_cuda_devices > 0
                  ? ", cuda:0 to cuda:" + std::to_string(b.torch_cuda_devices - 1)
                  : std::string(" (this LibTorch has no CUDA device; docs/gpu.md)"))
            << "\n";
  if (b.cuda)
    std::cout << "cuda devices: " << b.cuda_devices
              << (b.cuda_error.empty() ? "" : " (" + b.cuda_error + ")") << "\n";
  return exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hetsgd: data-parallel SGD on heterogeneous clusters, with CAF actors"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(HETSGD_VERSION));

  std::string config_path;
  std::vector<std::string> sets;
  std::string out;

  std::string resume_dir;
  auto* run = app.add_subcommand("run", "Train one model under one policy");
  auto* run_config = run->add_option("config", config_path, "TOML config file");
  auto* run_set =
    run->add_option("--set", sets, "Override a config key: key=value (value read as TOML)");
  auto* run_out =
    run->add_option("--out", out, "Output directory (default runs/<name>-<timestamp>)");
  // A resumed run is the same run: its config.toml, its directory, no overrides (the checkpoint
  // was written for that config, and its hash is checked).
  auto* run_resume =
    run->add_option("--resume", resume_dir,
                    "Continue the run in RUN_DIR from its checkpoint (needs checkpoint.every_s or "
                    "checkpoint.every_rounds); takes no CONFIG, --set or --out");
  run_resume->excludes(run_config)->excludes(run_set)->excludes(run_out);
  run->callback([&] {
    if (config_path.empty() && resume_dir.empty())
      throw CLI::RequiredError("config (or --resume RUN_DIR)");
  });

  std::vector<std::string> policies;
  auto* compare = app.add_subcommand(
    "compare", "The same cluster, data and seed under several policies; prints and writes a table");
  compare->add_option("config", config_path, "TOML config file")->required();
  compare->add_option("--policies", policies, "Policies to run, comma-separated")
    ->delimiter(',')
    ->required();
  compare->add_option("--set", sets, "Override a config key for every run: key=value");
  compare->add_option("--out", out,
                      "Output directory: one run directory per policy, comparison.md and "
                      "comparison.json (default runs/<name>-compare-<timestamp>)");

  auto* validate = app.add_subcommand("validate", "Check a config without running it");
  validate->add_option("config", config_path, "TOML config file")->required();
  validate->add_option("--set", sets, "Override a config key: key=value");

  std::string listen;
  std::string token;
  auto* aggregator = app.add_subcommand(
    "aggregator", "Run the aggregator of a multi-process run; workers join with `hetsgd worker`");
  aggregator->add_option("config", config_path, "TOML config file")->required();
  aggregator->add_option("--listen", listen,
                         "HOST:PORT to listen on (default cluster.listen, 127.0.0.1:0)");
  aggregator->add_option("--token", token, "Shared secret workers must present (cluster.token)")
    ->envname("HETSGD_TOKEN");
  aggregator->add_option("--set", sets, "Override a config key: key=value (value read as TOML)");
  aggregator->add_option("--out", out, "Output directory (default runs/<name>-<timestamp>)");

  std::string connect;
  hetsgd::worker_process_options wopt;
  bool exit_with_parent = false;
  auto* worker = app.add_subcommand(
    "worker", "Join an aggregator as one worker; the config comes from the aggregator");
  worker->add_option("--connect", connect, "HOST:PORT of `hetsgd aggregator --listen`")->required();
  worker->add_option("--token", wopt.token, "The run's shared secret")->envname("HETSGD_TOKEN");
  worker->add_option("--speed", wopt.speed, "Relative speed of this worker (default: the config's)")
    ->check(CLI::PositiveNumber);
  worker->add_option("--device", wopt.device,
                     "cpu or cuda:N: where the model replica computes (cuda needs a CUDA-enabled "
                     "LibTorch, docs/gpu.md)");
  worker->add_option("--host", wopt.collective_host,
                     "Address other workers reach this one at, for cluster.transport = \"gloo\" "
                     "(default: loopback, or this host's name when the aggregator is remote)");
  worker->add_option("--tls-cert", wopt.tls.cert,
                     "PEM certificate of this worker, for an aggregator with cluster.tls_* set");
  worker->add_option("--tls-key", wopt.tls.key, "PEM private key of --tls-cert");
  worker->add_option("--tls-ca", wopt.tls.ca,
                     "PEM CA certificate that signed the aggregator's certificate");
  worker->add_option("--reconnect", wopt.reconnect_s,
                     "Seconds to keep trying to reach the aggregator before the first assignment");
  worker->add_flag("--exit-with-parent", exit_with_parent, "Die with the parent process")
    ->group("");  // set by `hetsgd run` for the workers it starts

  auto* info = app.add_subcommand("info", "Version and compiled-in backends");
  auto* doc = app.add_subcommand("config-doc", "Print the config reference (docs/config.md)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? exit_ok : exit_usage;
  }
  try {
    if (*run)
      return cmd_run(config_path, sets, out, resume_dir);
    if (*compare) {
      std::signal(SIGINT, on_sigint);
      std::signal(SIGTERM, on_sigint);
      return hetsgd::run_compare({config_path, policies, sets, out, &g_stop});
    }
    if (*aggregator) {
      sets.insert(sets.begin(), "cluster.mode=\"processes\"");
      if (!listen.empty())
        sets.push_back("cluster.listen=" + nlohmann::json(listen).dump());
      if (!token.empty())
        sets.push_back("cluster.token=" + nlohmann::json(token).dump());
      return cmd_run(config_path, sets, out, "", worker_launch::external);
    }
    if (*worker)
      return cmd_worker(connect, wopt, exit_with_parent);
    if (*validate)
      return cmd_validate(config_path, sets);
    if (*info)
      return cmd_info();
    if (*doc) {
      std::cout << hetsgd::render_config_reference();
      return exit_ok;
    }
  } catch (const std::exception& e) {
    std::cerr << "hetsgd: " << e.what() << "\n";
    return exit_runtime;
  }
  return exit_usage;
}
