#include "actors/worker_process.hpp"

#include <unistd.h>
#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>

#include "actors/atoms.hpp"
#include "actors/cluster_messages.hpp"
#include "actors/message_types.hpp"
#include "actors/network_config.hpp"
#include "actors/run_clock.hpp"
#include "actors/worker_actor.hpp"
#include "actors/worker_counters.hpp"
#include "config/config_loader.hpp"
#include "config/endpoint.hpp"
#include "gpu/backends.hpp"
#include "gpu/fashion_mnist.hpp"
#include "gpu/torch_device.hpp"
#include "gpu/torch_threads.hpp"

namespace hetsgd {

namespace {

std::string host_name() {
  char buf[256] = {};
  return gethostname(buf, sizeof buf - 1) == 0 ? std::string(buf) : std::string("unknown");
}

/// Connects to the front door, retrying with exponential backoff (0.1 s doubling to 2 s) until
/// `budget_s` is spent. Null handle and `why` on failure.
caf::actor connect(caf::actor_system& sys, const worker_process_options& o, double budget_s,
                   std::string& why) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(budget_s);
  auto backoff = std::chrono::milliseconds(100);
  for (;;) {
    auto door = connect_actor(sys, o.host, o.port, o.tls);
    if (door)
      return *door;
    const auto error = sys.render(door.error());
    if (error != why)  // each new reason once, not every retry
      std::cerr << "hetsgd worker: cannot reach " << o.host << ":" << o.port << " yet: " << error
                << "\n";
    why = error;
    if (std::chrono::steady_clock::now() + backoff > deadline)
      return {};
    // Waiting to try again, not synchronizing: nothing else can tell when the aggregator is up.
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
}

}  // namespace

worker_process_result run_worker_process(const worker_process_options& o) {
  worker_process_result res;
  // A device this process cannot compute on is refused here, before any connection.
  if (auto why = compute_device_unusable(o.device); !why.empty()) {
    res.exit_code = 2;
    res.message = "--device " + why;
    return res;
  }
  std::string device_why;
  const auto device = parse_compute_device(o.device, device_why);
  if (auto why = check_tls_files(o.tls, {"--tls-cert", "--tls-key", "--tls-ca"}); !why.empty()) {
    res.exit_code = 2;
    res.message = why;
    return res;
  }
  caf::actor_system_config sys_cfg;
  register_message_types(sys_cfg);
  configure_network(sys_cfg, o.heartbeat_s, o.heartbeat_timeout_s, o.tls);
  sys_cfg.set("scheduler.policy", caf::atom("sharing"));
  caf::actor_system sys{sys_cfg};
  const std::string where = o.host + ":" + std::to_string(o.port);
  double reconnect_s = o.reconnect_s;
  std::shared_ptr<const fashion_mnist> data;
  pin_compute_threads_to_one();

  for (;;) {
    std::string why;
    auto door = connect(sys, o, reconnect_s, why);
    if (!door) {
      res.exit_code = 1;
      res.message = "cannot reach the aggregator at " + where + " within " +
                    std::to_string(static_cast<int>(reconnect_s)) + " s: " + why;
      if (why.find("handshake") != std::string::npos)
        res.message += o.tls.enabled()
                         ? " (the TLS handshake failed: is the aggregator's certificate signed by "
                           "--tls-ca, and yours by its cluster.tls_ca?)"
                         : " (the aggregator may require TLS: --tls-cert, --tls-key, --tls-ca)";
      return res;
    }
    caf::scoped_actor self{sys};
    worker_hello_msg hello;
    hello.token = o.token;
    hello.speed = o.speed;
    hello.device = o.device;
    hello.host = host_name();
    hello.pid = getpid();
    hello.previous_id = res.worker_id;
    worker_assignment_msg a;
    caf::error refused;
    bool admitted = false;
    const auto sent = std::chrono::steady_clock::now();
    self->request(door, std::chrono::seconds(30), hello_atom::value, hello)
      .receive(
        [&](worker_assignment_msg& m) {
          a = std::move(m);
          admitted = true;
        },
        [&](caf::error& e) { refused = std::move(e); });
    if (!admitted) {
      const std::string text = sys.render(refused);
      res.exit_code = text.find("refused") != std::string::npos ? 2 : 1;
      res.message = "the aggregator at " + where + " did not admit this worker: " + text;
      return res;
    }
    const double rtt_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
    auto loaded = load_config_string(a.config_toml, "the aggregator's config");
    if (auto* err = std::get_if<config_error>(&loaded)) {
      res.exit_code = 1;
      res.message = err->message;
      return res;
    }
    const auto& cfg = std::get<loaded_config>(loaded).cfg;
    reconnect_s = cfg.cluster.reconnect_s;
    res.worker_id = a.id;
    try {
      if (!data)
        data = shared_fashion_mnist(cfg.data.path);
    } catch (const std::exception& e) {
      res.exit_code = 1;
      res.message = "worker " + std::to_string(a.id) + ": " + e.what();
      return res;
    }

    worker_params wp;
    wp.id = a.id;
    wp.incarnation = a.incarnation;
    wp.workers = static_cast<int>(cfg.cluster.workers);
    wp.speed = a.speed;
    wp.base_rate = a.base_rate;
    wp.model_name = cfg.model.name;
    wp.seed = a.seed;
    wp.micro_batch = cfg.train.micro_batch;
    wp.request_timeout_s = cfg.cluster.request_timeout_s;
    wp.momentum = cfg.train.momentum;
    wp.weight_decay = cfg.train.weight_decay;
    wp.link_probe_s = cfg.cluster.link_probe_s;
    const auto& net = cfg.network;
    wp.link_latency_s =
      net.worker_latency_s.empty() ? net.latency_s : net.worker_latency_s.at(a.id);
    wp.link_bandwidth =
      1e6 *
      (net.worker_bandwidth_mb_s.empty() ? net.bandwidth_mb_s : net.worker_bandwidth_mb_s.at(a.id));
    wp.data = data;
    // The aggregator's run clock as seen from here: its reading plus half the round trip.
    wp.clock = std::make_shared<real_clock>(a.clock_now_s + rtt_s / 2);
    wp.aggregator = a.aggregator;
    wp.batch_controller = a.batch_controller;
    wp.recorder = a.recorder;
    wp.device = o.device;
    if (cfg.cluster.transport == "nccl") {
      const auto b = query_backends();
      if (!b.nccl_usable) {
        res.exit_code = 2;
        res.message = "worker " + std::to_string(a.id) +
                      ": cluster.transport \"nccl\" cannot be "
                      "used here: " +
                      b.nccl_error;
        return res;
      }
      // NCCL needs a device of its own per rank: the one this worker computes on, else the
      // one after its id (the aggregator's rank has device 0 of its host).
      wp.collective.device = device && device->cuda
                               ? device->index
                               : (static_cast<int>(a.id) + 1) % std::max(1, b.cuda_devices);
    }
    if (a.rendezvous) {
      wp.collective.backend = cfg.cluster.transport;
      wp.collective.rendezvous = a.rendezvous;
      wp.collective.host = o.collective_host.empty()
                             ? (is_loopback(o.host) ? "127.0.0.1" : host_name())
                             : o.collective_host;
      wp.collective.timeout_s =
        std::min(cfg.cluster.request_timeout_s, std::max(5.0, cfg.cluster.heartbeat_timeout_s));
    }
    auto counters = std::make_shared<worker_counters>();
    wp.counters = counters;
    auto worker = spawn_worker(sys, std::move(wp));
    self->monitor(worker);
    self->monitor(a.aggregator);
    std::cerr << "hetsgd worker: joined " << where << " as worker " << a.id << " (speed " << a.speed
              << ")\n";
    bool lost_aggregator = false;
    bool finished = false;
    std::string reason;
    // Both ends are watched: the worker actor ends with the run (or fails), and the aggregator's
    // node going away (closed socket, or silent past the middleman's connection timeout) is a
    // down message here.
    // Between them, a heartbeat every cluster.heartbeat_s carries the worker's counters.
    const auto beat = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(cfg.cluster.heartbeat_s));
    auto next_beat = std::chrono::steady_clock::now();
    auto send_beat = [&] {
      heartbeat_msg h;
      h.worker = a.id;
      h.samples_computed = counters->samples_computed;
      h.samples_pushed = counters->samples_pushed;
      h.samples_discarded = counters->samples_discarded;
      self->send(a.aggregator, h);
      next_beat += beat;
    };
    send_beat();
    self->receive_while([&] { return !finished; })(
      [&](caf::down_msg& dm) {
        if (dm.source == worker.address()) {
          finished = true;
          reason = dm.reason ? sys.render(dm.reason) : "";
          // Expelled (its heartbeats stopped, e.g. the process was frozen): join again.
          lost_aggregator = reason.find("expelled") != std::string::npos;
        } else if (dm.source == a.aggregator.address()) {
          lost_aggregator = true;
          finished = true;
          reason = sys.render(dm.reason);
          caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
        }
      },
      caf::after(beat) >>
        [&] {
          if (std::chrono::steady_clock::now() >= next_beat)
            send_beat();
        });
    if (!lost_aggregator) {
      const bool clean = reason.empty() || reason.find("user_shutdown") != std::string::npos ||
                         reason.find("normal") != std::string::npos;
      res.exit_code = clean ? 0 : 1;
      res.message = "worker " + std::to_string(a.id) + (clean ? " finished" : " failed: " + reason);
      return res;
    }
    std::cerr << "hetsgd worker: lost the aggregator (" << reason << "); joining again within "
              << reconnect_s << " s\n";
  }
}

}  // namespace hetsgd
