#include "actors/fault_injector_actor.hpp"

#include <caf/all.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <random>
#include <set>

#include "actors/atoms.hpp"

namespace hetsgd {

namespace {

/// One disturbance fault while it is on: which workers it slows, and until which epoch.
struct disturbance_state {
  bool on = false;
  std::vector<std::uint64_t> until_epoch;  ///< per worker; 0 = not disturbed now
};

struct fault_injector_state {
  fault_injector_params p;
  std::vector<caf::actor_addr> spawned;         ///< incarnations started by rejoins (linked)
  std::set<std::size_t> active;                 ///< lasting faults that started and did not end
  std::vector<disturbance_state> disturbances;  ///< per fault index (used by disturbances)
  std::uint64_t epoch = 0;                      ///< data epochs completed, as the aggregator says
  std::mt19937_64 rng;                          ///< every disturbance draw, in a fixed order
  static inline const char* name = "hetsgd.fault_injector";
};

using self_ptr = caf::stateful_actor<fault_injector_state>*;

/// Kinds whose effect lasts and is switched off at the end.
bool lasting(const std::string& kind) {
  return kind == "slowdown" || kind == "pause" || kind == "nan" || kind == "delay" ||
         kind == "drop" || kind == "slow_link";
}

/// The number a lasting fault hands the worker: a factor, seconds, a probability or bytes/s.
double value_of(const fault_spec& f) {
  if (f.kind == "delay")
    return f.delay_s;
  if (f.kind == "drop")
    return f.probability;
  if (f.kind == "slow_link")
    return f.bandwidth_mb_s * 1e6;
  return f.factor;
}

/// Worker ids a fault aims at: its worker, or every worker when it names none (link faults and
/// disturbances).
std::vector<std::size_t> targets(self_ptr self, const fault_spec& f) {
  std::vector<std::size_t> out;
  const auto n = self->state.p.workers.size();
  if (f.worker >= 0) {
    if (static_cast<std::size_t>(f.worker) < n)  // validated by the config loader
      out.push_back(static_cast<std::size_t>(f.worker));
  } else {
    for (std::size_t w = 0; w < n; ++w)
      out.push_back(w);
  }
  return out;
}

void record(self_ptr self, const fault_spec& f, std::int64_t worker, bool start,
            nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json j = {{"type", "fault"},
                      {"kind", f.kind},
                      {"worker", worker},
                      {"phase", start ? "start" : "end"},
                      {"t", self->state.p.clock->now_s()}};
  if (f.kind == "slowdown" || f.kind == "disturbance")
    j["factor"] = f.factor;
  else if (f.kind == "delay")
    j["delay_s"] = f.delay_s;
  else if (f.kind == "drop")
    j["probability"] = f.probability;
  else if (f.kind == "slow_link")
    j["bandwidth_mb_s"] = f.bandwidth_mb_s;
  j.update(extra);
  self->send(self->state.p.recorder, event_atom::value, j.dump());
}

/// A disturbance is on: each worker that is not slowed by it yet is slowed with probability p,
/// for 1..max_epochs epochs (uniform).
void draw_disturbances(self_ptr self, std::size_t index) {
  auto& st = self->state;
  const auto& f = st.p.faults[index];
  auto& d = st.disturbances[index];
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  std::uniform_int_distribution<std::int64_t> epochs(1, std::max<std::int64_t>(1, f.max_epochs));
  for (auto w : targets(self, f)) {
    if (d.until_epoch[w] != 0)
      continue;
    if (coin(st.rng) >= f.probability)
      continue;
    const auto k = static_cast<std::uint64_t>(epochs(st.rng));
    d.until_epoch[w] = st.epoch + k;
    record(self, f, static_cast<std::int64_t>(w), true, {{"epochs", k}, {"epoch", st.epoch}});
    self->send(st.p.workers[w], fault_atom::value, f.kind, f.factor, true);
  }
}

/// Ends the disturbance of worker `w` by fault `index`.
void end_disturbance(self_ptr self, std::size_t index, std::size_t w) {
  auto& st = self->state;
  st.disturbances[index].until_epoch[w] = 0;
  record(self, st.p.faults[index], static_cast<std::int64_t>(w), false, {{"epoch", st.epoch}});
  self->send(st.p.workers[w], fault_atom::value, st.p.faults[index].kind, 1.0, false);
}

void play(self_ptr self, std::size_t index, bool start) {
  auto& st = self->state;
  const auto& f = st.p.faults[index];
  if (f.kind == "disturbance") {
    auto& d = st.disturbances[index];
    d.on = start;
    if (start) {
      draw_disturbances(self, index);
    } else {
      for (std::size_t w = 0; w < d.until_epoch.size(); ++w)
        if (d.until_epoch[w] != 0)
          end_disturbance(self, index, w);
    }
    return;
  }
  if (lasting(f.kind)) {
    if (start)
      st.active.insert(index);
    else
      st.active.erase(index);
    for (auto w : targets(self, f)) {
      record(self, f, static_cast<std::int64_t>(w), start);
      self->send(st.p.workers[w], fault_atom::value, f.kind, value_of(f), start);
    }
    return;
  }
  const auto w = static_cast<std::size_t>(f.worker);
  if (w >= st.p.workers.size())
    return;  // validated by the config loader; never here
  record(self, f, f.worker, start);
  auto& target = st.p.workers[w];
  if (f.kind == "crash") {
    self->send_exit(target, caf::exit_reason::kill);
  } else if (f.kind == "rejoin") {
    self->send_exit(target, caf::exit_reason::kill);  // no-op when it already died
    target = st.p.respawn(static_cast<worker_id>(w));
    // Linked, so that the injector's own exit at the end of the run takes the incarnations it
    // made with it (the driver only knows the first ones).
    self->link_to(target);
    st.spawned.push_back(target.address());
    // The faults that are on stay on for the new incarnation: the device or the link is still
    // slow, whoever runs on it.
    for (auto i : st.active) {
      const auto& g = st.p.faults[i];
      if (g.worker < 0 || static_cast<std::size_t>(g.worker) == w)
        self->send(target, fault_atom::value, g.kind, value_of(g), true);
    }
    for (std::size_t i = 0; i < st.disturbances.size(); ++i)
      if (st.disturbances[i].on && st.disturbances[i].until_epoch[w] != 0)
        self->send(target, fault_atom::value, st.p.faults[i].kind, st.p.faults[i].factor, true);
  }
}

caf::behavior fault_injector(self_ptr self, fault_injector_params p) {
  self->state.p = std::move(p);
  auto& st = self->state;
  st.rng.seed(st.p.seed ^ 0x6469737475726221ull);  // "disturb!": apart from other seeded streams
  st.disturbances.resize(st.p.faults.size());
  for (auto& d : st.disturbances)
    d.until_epoch.assign(st.p.workers.size(), 0);
  self->set_exit_handler([=](caf::exit_msg& em) {
    auto& spawned = self->state.spawned;
    if (std::find(spawned.begin(), spawned.end(), em.source) != spawned.end())
      return;  // an incarnation it spawned died (e.g. a later crash fault): keep playing
    self->quit(em.reason);
  });
  const double now = st.p.clock->now_s();
  for (std::size_t i = 0; i < st.p.faults.size(); ++i) {
    const auto& f = st.p.faults[i];
    self->delayed_send(self, to_duration(std::max(0.0, f.at_s - now)), fault_atom::value,
                       static_cast<std::uint64_t>(i), true);
    if ((lasting(f.kind) || f.kind == "disturbance") && f.duration_s > 0.0)
      self->delayed_send(self, to_duration(std::max(0.0, f.at_s + f.duration_s - now)),
                         fault_atom::value, static_cast<std::uint64_t>(i), false);
  }
  return {
    [=](fault_atom, std::uint64_t index, bool start) {
      play(self, static_cast<std::size_t>(index), start);
    },
    [=](epoch_atom, std::uint64_t epoch, bool) {
      // Where the run is (a resumed run starts past epoch 0): spells count from here.
      self->state.epoch = epoch;
    },
    [=](epoch_atom, std::uint64_t epoch) {
      // A new epoch: disturbances that ran their epochs end, then everybody not disturbed
      // is drawn again, in fault then worker order.
      auto& s = self->state;
      s.epoch = epoch;
      for (std::size_t i = 0; i < s.disturbances.size(); ++i) {
        auto& d = s.disturbances[i];
        if (!d.on)
          continue;
        for (std::size_t w = 0; w < d.until_epoch.size(); ++w)
          if (d.until_epoch[w] != 0 && epoch >= d.until_epoch[w])
            end_disturbance(self, i, w);
        draw_disturbances(self, i);
      }
    },
  };
}

}  // namespace

bool fault_kind_supported(const std::string& kind) {
  return lasting(kind) || kind == "crash" || kind == "rejoin" || kind == "disturbance";
}

caf::actor spawn_fault_injector(caf::actor_system& sys, fault_injector_params p) {
  return sys.spawn(fault_injector, std::move(p));
}

}  // namespace hetsgd
