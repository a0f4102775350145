#include "actors/message_types.hpp"

#include <caf/actor_system_config.hpp>

#include "actors/cluster_messages.hpp"
#include "actors/messages.hpp"

namespace hetsgd {

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<tensor_payload>("hetsgd::tensor_payload");
  cfg.add_message_type<job_msg>("hetsgd::job_msg");
  cfg.add_message_type<contribution_msg>("hetsgd::contribution_msg");
  cfg.add_message_type<worker_stats_msg>("hetsgd::worker_stats_msg");
  cfg.add_message_type<probe_reply_msg>("hetsgd::probe_reply_msg");
  cfg.add_message_type<worker_failure_msg>("hetsgd::worker_failure_msg");
  cfg.add_message_type<eval_request_msg>("hetsgd::eval_request_msg");
  cfg.add_message_type<eval_result_msg>("hetsgd::eval_result_msg");
  cfg.add_message_type<progress_msg>("hetsgd::progress_msg");
  cfg.add_message_type<run_outcome_msg>("hetsgd::run_outcome_msg");
  cfg.add_message_type<run_status_msg>("hetsgd::run_status_msg");
  cfg.add_message_type<batch_plan_msg>("hetsgd::batch_plan_msg");
  cfg.add_message_type<throughput_msg>("hetsgd::throughput_msg");
  cfg.add_message_type<worker_hello_msg>("hetsgd::worker_hello_msg");
  cfg.add_message_type<worker_assignment_msg>("hetsgd::worker_assignment_msg");
  cfg.add_message_type<heartbeat_msg>("hetsgd::heartbeat_msg");
  cfg.add_message_type<reduce_request_msg>("hetsgd::reduce_request_msg");
}

}  // namespace hetsgd
