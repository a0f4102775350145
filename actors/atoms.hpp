#pragma once
/// Message tags of hetsgd's actor protocol (CAF 0.17 atoms: at most 10 characters).

#include <caf/atom.hpp>

namespace hetsgd {

using join_atom = caf::atom_constant<caf::atom("hs_join")>;  ///< worker → aggregator
/// worker → aggregator: send me the weights (and momentum) in full; my replica cannot step
using resync_atom = caf::atom_constant<caf::atom("hs_resync")>;
using compute_atom = caf::atom_constant<caf::atom("hs_comp")>;     ///< worker → itself
using stop_atom = caf::atom_constant<caf::atom("hs_stop")>;        ///< end a run / an actor
using tick_atom = caf::atom_constant<caf::atom("hs_tick")>;        ///< policy timer
using eval_atom = caf::atom_constant<caf::atom("hs_eval")>;        ///< evaluation timer
using deadline_atom = caf::atom_constant<caf::atom("hs_dline")>;   ///< run or start deadline
using progress_atom = caf::atom_constant<caf::atom("hs_prog")>;    ///< progress timer
using run_atom = caf::atom_constant<caf::atom("hs_run")>;          ///< driver starts the run
using done_atom = caf::atom_constant<caf::atom("hs_done")>;        ///< run finished
using batch_atom = caf::atom_constant<caf::atom("hs_batch")>;      ///< batch assignments
using report_atom = caf::atom_constant<caf::atom("hs_report")>;    ///< throughput report
using event_atom = caf::atom_constant<caf::atom("hs_event")>;      ///< recorder: event line
using metric_atom = caf::atom_constant<caf::atom("hs_metric")>;    ///< recorder: metrics row
using summary_atom = caf::atom_constant<caf::atom("hs_summary")>;  ///< recorder: summary
using upload_atom = caf::atom_constant<caf::atom("hs_upload")>;    ///< aggregator → worker
using plan_atom = caf::atom_constant<caf::atom("hs_plan")>;        ///< next batch plan, please
using fault_atom = caf::atom_constant<caf::atom("hs_fault")>;      ///< injector → worker
using probe_atom = caf::atom_constant<caf::atom("hs_probe")>;  ///< worker → aggregator: my push?
using link_atom = caf::atom_constant<caf::atom("hs_link")>;    ///< worker → itself: link delivery
using epoch_atom = caf::atom_constant<caf::atom("hs_epoch")>;  ///< aggregator → epoch listener
using span_atom = caf::atom_constant<caf::atom("hs_span")>;    ///< worker → recorder: timeline
using kv_set_atom = caf::atom_constant<caf::atom("hs_kvset")>;    ///< rendezvous store: set
using kv_get_atom = caf::atom_constant<caf::atom("hs_kvget")>;    ///< rendezvous store: get
using hello_atom = caf::atom_constant<caf::atom("hs_hello")>;     ///< worker process → front door
using watchdog_atom = caf::atom_constant<caf::atom("hs_watch")>;  ///< aggregator: heartbeat check
using status_atom = caf::atom_constant<caf::atom("hs_status")>;  ///< program → run: where are you?
using checkpoint_atom =
  caf::atom_constant<caf::atom("hs_ckpt")>;  ///< program → run: checkpoint now
using policy_atom = caf::atom_constant<caf::atom("hs_policy")>;  ///< program → run: change policy
using subscribe_atom = caf::atom_constant<caf::atom("hs_sub")>;  ///< program → run: send me events
using pause_atom = caf::atom_constant<caf::atom("hs_pause")>;  ///< program → run → workers: hold
using resume_atom = caf::atom_constant<caf::atom("hs_resume")>;  ///< program → run → workers: go on

}  // namespace hetsgd
