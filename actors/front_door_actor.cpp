#include "actors/front_door_actor.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

#include "actors/atoms.hpp"
#include "actors/cluster_messages.hpp"
#include "gpu/torch_device.hpp"

namespace hetsgd {

namespace {

struct slot {
  caf::actor_addr holder;  ///< the process's hello sender, monitored; null: free
  std::uint64_t incarnations = 0;
};

struct front_door_state {
  front_door_params p;
  std::vector<slot> slots;
  std::uint64_t refused = 0;
  static inline const char* name = "hetsgd.front_door";
};

using self_ptr = caf::stateful_actor<front_door_state>*;

caf::error refuse(self_ptr self, const worker_hello_msg& hello, const std::string& why) {
  auto& st = self->state;
  st.refused += 1;
  const auto& sender = self->current_sender();
  const std::string peer = hello.host + " pid " + std::to_string(hello.pid) + " (node " +
                           (sender ? to_string(sender->node()) : std::string("unknown")) + ")";
  std::cerr << "hetsgd: refused a worker from " << peer << ": " << why << "\n";
  nlohmann::json e{{"type", "refused"},
                   {"peer", peer},
                   {"why", why},
                   {"refused", st.refused},
                   {"t", st.p.clock->now_s()}};
  self->send(st.p.recorder, event_atom::value, e.dump());
  return caf::make_error(caf::sec::invalid_argument, "refused: " + why);
}

caf::behavior front_door(self_ptr self, front_door_params p) {
  self->state.slots.resize(p.speeds.size());
  self->state.p = std::move(p);
  self->set_down_handler([=](caf::down_msg& dm) {
    for (auto& s : self->state.slots)
      if (s.holder == dm.source)
        s.holder = caf::actor_addr();  // the process is gone: its id can be taken again
  });
  return {
    [=](hello_atom, const worker_hello_msg& hello) -> caf::result<worker_assignment_msg> {
      auto& st = self->state;
      if (!same_secret(hello.token, st.p.token))
        return refuse(
          self, hello,
          hello.token.empty() ? "no token given (the run requires one)" : "wrong token");
      // The worker checked that it can compute on its device; here only its form is checked.
      if (std::string why; !parse_compute_device(hello.device, why))
        return refuse(self, hello, why);
      if (!(hello.speed >= 0.0) || hello.speed > 1e6)
        return refuse(self, hello, "speed " + std::to_string(hello.speed) + " is not in (0, 1e6]");
      // A slot is free when nobody holds it, or when its holder is this same process saying
      // hello again (it lost its aggregator or was expelled; the down message of its previous
      // hello may still be on its way).
      const auto sender_node =
        self->current_sender() ? self->current_sender()->node() : caf::node_id();
      auto free = [&](std::size_t id) {
        const auto& h = st.slots[id].holder;
        return !h || h.node() == sender_node;
      };
      std::size_t id = st.slots.size();
      if (hello.previous_id >= 0 && static_cast<std::size_t>(hello.previous_id) < st.slots.size() &&
          static_cast<std::size_t>(hello.previous_id) >= st.p.hosted &&
          free(static_cast<std::size_t>(hello.previous_id)))
        id = static_cast<std::size_t>(hello.previous_id);
      for (std::size_t i = st.p.hosted; i < st.slots.size() && id == st.slots.size(); ++i)
        if (free(i))
          id = i;
      if (id == st.slots.size())
        return refuse(self, hello,
                      "all " + std::to_string(st.slots.size() - st.p.hosted) +
                        " worker process slots are taken");
      auto sender = self->current_sender();
      auto& s = st.slots[id];
      s.holder = caf::actor_cast<caf::actor_addr>(sender);
      self->monitor(sender);
      worker_assignment_msg a;
      a.id = static_cast<worker_id>(id);
      a.incarnation = s.incarnations++;
      a.config_toml = st.p.config_toml;
      a.speed = hello.speed > 0.0 ? hello.speed : st.p.speeds[id];
      a.base_rate = st.p.base_rate;
      a.seed = st.p.seed;
      a.clock_now_s = st.p.clock->now_s();
      a.aggregator = st.p.aggregator;
      a.batch_controller = st.p.batch_controller;
      if (st.p.trace)
        a.recorder = st.p.recorder;
      a.rendezvous = st.p.rendezvous;
      std::cerr << "hetsgd: worker " << id << " joined from " << hello.host << " pid " << hello.pid
                << " (speed " << a.speed << ")\n";
      return a;
    },
  };
}

}  // namespace

bool same_secret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < b.size(); ++i)
    diff |= static_cast<unsigned char>(b[i] ^ (i < a.size() ? a[i] : 0));
  return diff == 0;
}

caf::actor spawn_front_door(caf::actor_system& sys, front_door_params params) {
  return sys.spawn(front_door, std::move(params));
}

}  // namespace hetsgd
