#include "actors/batch_controller_actor.hpp"

#include <caf/all.hpp>

#include "actors/atoms.hpp"
#include "actors/messages.hpp"

namespace hetsgd {

namespace {

struct batch_controller_state {
  std::shared_ptr<batch_policy> policy;
  caf::actor subscriber;   ///< the aggregator that asked for the plan
  batch_plan_msg current;  ///< the latest plan the policy made
  static inline const char* name = "hetsgd.batch_controller";
};

batch_plan_msg to_plan(const std::vector<batch_assignment>& as, std::int64_t rounds) {
  batch_plan_msg plan;
  for (auto& a : as) {
    plan.batches.push_back(a.batch);
    plan.shares.push_back(a.share);
  }
  plan.rounds = rounds;
  return plan;
}

caf::behavior batch_controller_actor(caf::stateful_actor<batch_controller_state>* self,
                                     std::shared_ptr<batch_policy> policy) {
  self->state.policy = std::move(policy);
  return {
    [=](batch_atom, std::uint64_t workers) -> caf::result<batch_plan_msg> {
      auto& st = self->state;
      st.subscriber = caf::actor_cast<caf::actor>(self->current_sender());
      try {
        st.current =
          to_plan(st.policy->initial(static_cast<std::size_t>(workers)), st.policy->plan_rounds());
      } catch (const std::exception& e) {
        return caf::make_error(caf::sec::runtime_error,
                               "batch policy " + st.policy->name() + ": " + e.what());
      }
      return st.current;
    },
    // The plan for the next rounds, after the plan in force ran out. Reports of the jobs that
    // ended it were sent by the workers before their pushes reached the aggregator, so they are
    // already in this mailbox, ahead of this request.
    [=](plan_atom) { return self->state.current; },
    [=](const throughput_msg& r) {
      auto& st = self->state;
      try {
        auto next = st.policy->on_report(throughput_report{r.worker, r.samples, r.compute_s});
        if (!next)
          return;
        st.current = to_plan(*next, st.policy->plan_rounds());
        // Policies without a plan length push each change; the others are asked.
        if (st.policy->plan_rounds() == 0 && st.subscriber)
          self->send(st.subscriber, st.current);
      } catch (const std::exception& e) {
        // The aggregator monitors this actor and ends the run with this reason.
        self->quit(caf::make_error(caf::sec::runtime_error,
                                   "batch policy " + st.policy->name() + ": report from worker " +
                                     std::to_string(r.worker) + ": " + e.what()));
      }
    },
  };
}

}  // namespace

caf::actor spawn_batch_controller(caf::actor_system& sys, std::shared_ptr<batch_policy> policy) {
  return sys.spawn(batch_controller_actor, std::move(policy));
}

}  // namespace hetsgd
