#include "actors/trace_writer.hpp"

#include <cmath>
#include <filesystem>
#include <stdexcept>

namespace hetsgd {
namespace {

using nlohmann::json;

constexpr int process_id = 1;
constexpr int aggregator_track = 0;

/// Track of worker `w`: the aggregator is 0.
int track_of(std::uint32_t w) {
  return static_cast<int>(w) + 1;
}

/// Run-clock seconds → trace microseconds, to the nanosecond.
double micros(double seconds) {
  return std::round(seconds * 1e9) / 1e3;
}

/// A previous run's closed array: cut its "]" (and the newline after it) so that the resumed
/// run's events continue it. Returns whether the file already holds events.
bool reopen_array(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size == 0)
    return false;
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto end = text.find_last_not_of(" \n\r\t");
  if (end != std::string::npos && text[end] == ']')
    std::filesystem::resize_file(path, end, ec);
  return text.find('{') != std::string::npos;
}

}  // namespace

trace_writer::trace_writer(const std::string& path, bool append) {
  const bool continuing = append && reopen_array(path);
  out_.open(path, std::ios::out | (continuing ? std::ios::app : std::ios::trunc));
  if (!out_)
    throw std::runtime_error("cannot open " + path + " for writing");
  if (continuing) {
    first_ = false;
    return;
  }
  out_ << "[\n";
  write({{"name", "process_name"},
         {"ph", "M"},
         {"pid", process_id},
         {"args", {{"name", "hetsgd run"}}}});
  write({{"name", "thread_name"},
         {"ph", "M"},
         {"pid", process_id},
         {"tid", aggregator_track},
         {"args", {{"name", "aggregator"}}}});
}

void trace_writer::write(const json& e) {
  if (closed_)
    return;
  out_ << (first_ ? "" : ",\n") << e.dump();
  first_ = false;
  ++written_;
}

void trace_writer::name_worker(std::uint32_t w) {
  write({{"name", "thread_name"},
         {"ph", "M"},
         {"pid", process_id},
         {"tid", track_of(w)},
         {"args", {{"name", "worker " + std::to_string(w)}}}});
  // Workers sort below the aggregator, in id order.
  write({{"name", "thread_sort_index"},
         {"ph", "M"},
         {"pid", process_id},
         {"tid", track_of(w)},
         {"args", {{"sort_index", track_of(w)}}}});
}

void trace_writer::span(std::uint32_t w, const std::string& what, double begin_s, double end_s) {
  if (!(end_s > begin_s))
    return;
  write({{"name", what},
         {"cat", what},
         {"ph", "X"},
         {"pid", process_id},
         {"tid", track_of(w)},
         {"ts", micros(begin_s)},
         {"dur", micros(end_s) - micros(begin_s)}});
}

void trace_writer::overlapping_span(std::uint32_t w, const std::string& what, double begin_s,
                                    double end_s) {
  if (!(end_s > begin_s))
    return;
  // Async begin/end pairs match by (cat, id); ids are unique within the file.
  const auto id = next_async_id_++;
  json e = {
    {"name", what},       {"cat", what},          {"ph", "b"}, {"id", id}, {"pid", process_id},
    {"tid", track_of(w)}, {"ts", micros(begin_s)}};
  write(e);
  e["ph"] = "e";
  e["ts"] = micros(end_s);
  write(e);
}

void trace_writer::instant(const std::string& name, double t_s, int worker, json args) {
  json e = {{"name", name},
            {"ph", "i"},
            {"s", "t"},
            {"pid", process_id},
            {"tid", worker < 0 ? aggregator_track : track_of(static_cast<std::uint32_t>(worker))},
            {"ts", micros(t_s)}};
  if (!args.empty())
    e["args"] = std::move(args);
  write(e);
}

void trace_writer::from_event(const json& e) {
  const auto type = e.value("type", std::string());
  const double t = e.value("t", 0.0);
  const int worker =
    e.contains("worker") && e["worker"].is_number_integer() ? e["worker"].get<int>() : -1;
  if (type == "round") {
    instant("round " + std::to_string(e.value("round", 0)) + " (" + e.value("reason", "") + ")", t,
            -1,
            {{"participants", e.value("participants", json::array())},
             {"samples", e.value("samples", 0)},
             {"version", e.value("version", 0)}});
  } else if (type == "evaluation") {
    instant("evaluation", t, -1, {{"accuracy", e.value("accuracy", 0.0)}});
  } else if (type == "fault") {
    instant(e.value("kind", std::string("fault")) + " " + e.value("phase", ""), t, worker);
  } else if (type == "membership") {
    instant(e.value("change", std::string("membership")), t, worker);
  } else if (type == "restart" || type == "dropped") {
    instant(type, t, worker,
            {{"reason", e.value("reason", "")}, {"samples", e.value("samples", 0)}});
  }
}

void trace_writer::close() {
  if (closed_)
    return;
  out_ << "\n]\n";
  out_.flush();
  closed_ = true;
}

}  // namespace hetsgd
