#include "actors/batch_controller_actor.hpp"

#include <caf/all.hpp>

#include "actors/atoms.hpp"
#include "actors/messages.hpp"

namespace hetsgd {

namespace {

struct batch_controller_state {
  std::shared_ptr<batch_policy> policy;
  caf::actor subscriber;  ///< the aggregator that asked for the plan
  static inline const char* name = "hetsgd.batch_controller";
};

batch_plan_msg to_plan(const std::vector<batch_assignment>& as) {
  batch_plan_msg plan;
  for (auto& a : as) {
    plan.batches.push_back(a.batch);
    plan.shares.push_back(a.share);
  }
  return plan;
}

caf::behavior batch_controller_actor(caf::stateful_actor<batch_controller_state>* self,
                                     std::shared_ptr<batch_policy> policy) {
  self->state.policy = std::move(policy);
  return {
    [=](batch_atom, std::uint64_t workers) -> batch_plan_msg {
      self->state.subscriber = caf::actor_cast<caf::actor>(self->current_sender());
      return to_plan(self->state.policy->initial(static_cast<std::size_t>(workers)));
    },
    [=](const throughput_msg& r) {
      auto& st = self->state;
      auto next = st.policy->on_report(throughput_report{r.worker, r.samples, r.compute_s});
      if (next && st.subscriber)
        self->send(st.subscriber, to_plan(*next));
    },
  };
}

}  // namespace

caf::actor spawn_batch_controller(caf::actor_system& sys, std::shared_ptr<batch_policy> policy) {
  return sys.spawn(batch_controller_actor, std::move(policy));
}

}  // namespace hetsgd
