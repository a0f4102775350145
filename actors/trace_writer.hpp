#pragma once
/// The run's timeline as a Chrome trace (trace.json, the "JSON array" form that chrome://tracing
/// and Perfetto open): one track per worker with its compute, idle, transfer and pause spans, and
/// the aggregator's track with round closes, evaluations and faults as instants. Times are the
/// run clock's (wall or virtual seconds), written in microseconds.
///
/// The file is an array written as events come: "[", events separated by ",\n", and "]" when the
/// run ends. A run killed before the end leaves the array open, which both viewers accept; a
/// resumed run reopens it and goes on.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <fstream>
#include <string>

namespace hetsgd {

class trace_writer {
 public:
  /// Opens `path` (truncated; with `append`, a previous run's array is continued). Throws
  /// std::runtime_error naming the file when it cannot be opened.
  trace_writer(const std::string& path, bool append);

  /// Names the track of worker `w` ("worker 3").
  void name_worker(std::uint32_t w);

  /// A span [begin_s, end_s] on worker `w`'s track, for what the worker does one at a time:
  /// compute, idle, discarded. Spans of zero length are left out.
  void span(std::uint32_t w, const std::string& what, double begin_s, double end_s);

  /// A span that may overlap others (an async event pair, drawn on rows of its own below the
  /// worker's track): transfers queued on a link (push, answer) and fault states (paused).
  void overlapping_span(std::uint32_t w, const std::string& what, double begin_s, double end_s);

  /// An instant at `t_s` on the aggregator's track (`worker` < 0) or a worker's, with `args`.
  void instant(const std::string& name, double t_s, int worker, nlohmann::json args = {});

  /// One events.jsonl line turned into an instant where it marks the timeline (round, evaluation,
  /// fault, membership, restart, dropped); others are ignored.
  void from_event(const nlohmann::json& event);

  /// Ends the array: the file is complete JSON.
  void close();

  std::uint64_t events_written() const { return written_; }

 private:
  void write(const nlohmann::json& e);

  std::ofstream out_;
  std::uint64_t written_ = 0;
  std::uint64_t next_async_id_ = 1;
  bool first_ = true;
  bool closed_ = false;
};

}  // namespace hetsgd
