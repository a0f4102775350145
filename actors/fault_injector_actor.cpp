#include "actors/fault_injector_actor.hpp"

#include <caf/all.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "actors/atoms.hpp"

namespace hetsgd {

namespace {

struct fault_injector_state {
  fault_injector_params p;
  std::vector<caf::actor_addr> spawned;  ///< incarnations started by rejoins (linked)
  static inline const char* name = "hetsgd.fault_injector";
};

using self_ptr = caf::stateful_actor<fault_injector_state>*;

/// Kinds whose effect lasts and is switched off at the end.
bool lasting(const std::string& kind) {
  return kind == "slowdown" || kind == "pause" || kind == "nan";
}

void record(self_ptr self, const fault_spec& f, bool start) {
  nlohmann::json j = {{"type", "fault"},
                      {"kind", f.kind},
                      {"worker", f.worker},
                      {"phase", start ? "start" : "end"},
                      {"t", self->state.p.clock->now_s()}};
  if (f.kind == "slowdown")
    j["factor"] = f.factor;
  self->send(self->state.p.recorder, event_atom::value, j.dump());
}

void play(self_ptr self, std::size_t index, bool start) {
  auto& st = self->state;
  const auto& f = st.p.faults[index];
  const auto w = static_cast<std::size_t>(f.worker);
  if (w >= st.p.workers.size())
    return;  // validated by the config loader; never here
  record(self, f, start);
  auto& target = st.p.workers[w];
  if (lasting(f.kind)) {
    self->send(target, fault_atom::value, f.kind, f.factor, start);
  } else if (f.kind == "crash") {
    self->send_exit(target, caf::exit_reason::kill);
  } else if (f.kind == "rejoin") {
    self->send_exit(target, caf::exit_reason::kill);  // no-op when it already died
    target = st.p.respawn(static_cast<worker_id>(w));
    // Linked, so that the injector's own exit at the end of the run takes the incarnations it
    // made with it (the driver only knows the first ones).
    self->link_to(target);
    st.spawned.push_back(target.address());
  }
}

caf::behavior fault_injector(self_ptr self, fault_injector_params p) {
  self->state.p = std::move(p);
  auto& st = self->state;
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
    if (lasting(f.kind) && f.duration_s > 0.0)
      self->delayed_send(self, to_duration(std::max(0.0, f.at_s + f.duration_s - now)),
                         fault_atom::value, static_cast<std::uint64_t>(i), false);
  }
  return {
    [=](fault_atom, std::uint64_t index, bool start) {
      play(self, static_cast<std::size_t>(index), start);
    },
  };
}

}  // namespace

bool fault_kind_supported(const std::string& kind) {
  return lasting(kind) || kind == "crash" || kind == "rejoin";
}

caf::actor spawn_fault_injector(caf::actor_system& sys, fault_injector_params p) {
  return sys.spawn(fault_injector, std::move(p));
}

}  // namespace hetsgd
