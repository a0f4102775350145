#pragma once
/// The recorder: the writer of a run directory's logs (checkpoints are the aggregator's, written
/// at round boundaries by checkpoint_store). events.jsonl gets one JSON object
/// per line as events happen (flushed, so a crash loses nothing already logged), metrics.csv one
/// row per evaluation, summary.json once at the end, and the timeline in trace.json. Runs on its
/// own thread: file I/O blocks.

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <string>

namespace hetsgd {

/// Opens the files in `dir` (which must exist). Throws std::runtime_error naming the file if
/// one cannot be opened. `append`: a resumed run continues events.jsonl, metrics.csv and
/// trace.json. `trace`: also write the timeline, trace.json (trace_writer.hpp), from the workers'
/// spans (span_atom) and the events. `on_event`, when set, is called with every event as it is
/// written, on the recorder's thread (run_options::on_event).
caf::actor spawn_recorder(caf::actor_system& sys, const std::string& dir, bool append = false,
                          bool trace = false,
                          std::function<void(const nlohmann::json&)> on_event = {});

}  // namespace hetsgd
