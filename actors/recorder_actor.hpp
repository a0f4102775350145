#pragma once
/// The recorder: the writer of a run directory's logs (checkpoints are the aggregator's, written
/// at round boundaries by checkpoint_store). events.jsonl gets one JSON object
/// per line as events happen (flushed, so a crash loses nothing already logged), metrics.csv one
/// row per evaluation, summary.json once at the end. Runs on its own thread: file I/O blocks.

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <string>

namespace hetsgd {

/// Opens the files in `dir` (which must exist). Throws std::runtime_error naming the file if
/// one cannot be opened. `append`: a resumed run continues events.jsonl and metrics.csv.
caf::actor spawn_recorder(caf::actor_system& sys, const std::string& dir, bool append = false);

}  // namespace hetsgd
