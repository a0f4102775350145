#include "actors/evaluator_actor.hpp"

#include <caf/all.hpp>

#include <chrono>

#include "actors/messages.hpp"
#include "actors/spawn_on_thread.hpp"
#include "gpu/evaluation.hpp"
#include "gpu/fashion_mnist.hpp"
#include "gpu/flat_parameters.hpp"
#include "gpu/models.hpp"
#include "gpu/torch_threads.hpp"

namespace hetsgd {

namespace {

struct evaluator_state {
  evaluator_params p;
  model_handle model;
  static inline const char* name = "hetsgd.evaluator";
};

caf::behavior evaluator_actor(caf::stateful_actor<evaluator_state>* self, evaluator_params p) {
  self->state.p = std::move(p);
  pin_compute_threads_to_one();
  self->state.model = make_model(self->state.p.model_name, self->state.p.seed);
  self->state.model->eval();
  return {
    [=](eval_request_msg& req) -> caf::result<eval_result_msg> {
      auto& st = self->state;
      try {
        auto t0 = std::chrono::steady_clock::now();
        load_flat_parameters(*st.model, req.weights.value);
        auto r = evaluate(*st.model, st.p.data->test, req.limit);
        eval_result_msg out;
        out.version = req.version;
        out.at_s = req.at_s;
        out.samples_applied = req.samples_applied;
        out.accuracy = r.accuracy;
        out.loss = r.loss;
        out.samples = r.samples;
        out.eval_wall_s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return out;
      } catch (const std::exception& e) {
        return caf::make_error(caf::sec::runtime_error, std::string("evaluation: ") + e.what());
      }
    },
  };
}

}  // namespace

caf::actor spawn_evaluator(caf::actor_system& sys, evaluator_params params) {
  return spawn_on_own_thread(sys, evaluator_actor, std::move(params));
}

}  // namespace hetsgd
