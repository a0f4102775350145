#include "actors/recorder_actor.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "actors/atoms.hpp"
#include "actors/spawn_on_thread.hpp"
#include "actors/trace_writer.hpp"

namespace hetsgd {

namespace {

struct recorder_state {
  std::shared_ptr<std::ofstream> events;
  std::shared_ptr<std::ofstream> metrics;
  std::string dir;
  std::shared_ptr<trace_writer> trace;                  ///< trace.json (null: output.trace = false)
  std::set<std::uint32_t> traced_workers;               ///< workers whose track is named already
  std::function<void(const nlohmann::json&)> on_event;  ///< the embedding program's subscriber
  std::vector<caf::actor> subscribers;  ///< actors that asked for the events (subscribe_atom)
  static inline const char* name = "hetsgd.recorder";
};

/// A run killed while writing a line leaves it torn: cut the file back to its last complete line,
/// so that the resumed run's lines start on a line of their own and every line parses.
void drop_torn_last_line(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size == 0)
    return;
  std::ifstream f(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto last = text.find_last_of('\n');
  const auto keep = last == std::string::npos ? 0 : last + 1;
  if (keep < text.size())
    std::filesystem::resize_file(path, keep, ec);
}

std::shared_ptr<std::ofstream> open_file(const std::string& path, bool append) {
  if (append)
    drop_torn_last_line(path);
  auto f = std::make_shared<std::ofstream>(
    path, std::ios::out | (append ? std::ios::app : std::ios::trunc));
  if (!*f)
    throw std::runtime_error("cannot open " + path + " for writing");
  return f;
}

/// Hands event `e` to the subscriber. One that throws is told about once, on stderr, and gets no
/// more events; the run and its files go on.
void deliver_to_subscriber(recorder_state& s, const nlohmann::json& e) {
  try {
    s.on_event(e);
  } catch (const std::exception& ex) {
    std::cerr << "hetsgd: the event subscriber (run_options::on_event) threw on a \""
              << e.value("type", "?") << "\" event: " << ex.what() << "; it gets no more events\n";
    s.on_event = nullptr;
  } catch (...) {
    std::cerr << "hetsgd: the event subscriber (run_options::on_event) threw a non-std exception;"
                 " it gets no more events\n";
    s.on_event = nullptr;
  }
}

caf::behavior recorder_actor(caf::stateful_actor<recorder_state>* self, std::string dir,
                             std::shared_ptr<std::ofstream> events,
                             std::shared_ptr<std::ofstream> metrics,
                             std::shared_ptr<trace_writer> trace, bool append,
                             std::function<void(const nlohmann::json&)> on_event) {
  auto& st = self->state;
  st.on_event = std::move(on_event);
  st.dir = std::move(dir);
  st.trace = std::move(trace);
  st.events = std::move(events);
  st.metrics = std::move(metrics);
  if (!append) {
    *st.metrics << "time_s,samples_applied,test_accuracy,test_loss,version\n";
    st.metrics->flush();
  }
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& subs = self->state.subscribers;
    subs.erase(std::remove_if(subs.begin(), subs.end(),
                              [&](const caf::actor& a) { return a.address() == dm.source; }),
               subs.end());
  });
  return {
    [=](subscribe_atom, const caf::actor& who) {
      if (!who)
        return;
      self->monitor(who);  // gone subscribers are forgotten
      self->state.subscribers.push_back(who);
    },
    [=](event_atom, const std::string& line) {
      auto& s = self->state;
      *s.events << line << '\n';
      s.events->flush();
      for (const auto& who : s.subscribers)
        self->send(who, event_atom::value, line);
      if (!s.trace && !s.on_event)
        return;
      auto e = nlohmann::json::parse(line, nullptr, false);
      if (e.is_discarded())
        return;
      if (s.trace)
        s.trace->from_event(e);
      if (s.on_event)
        deliver_to_subscriber(s, e);
    },
    [=](span_atom, std::uint32_t worker, const std::string& what, double begin_s, double end_s) {
      auto& s = self->state;
      if (!s.trace)
        return;
      if (s.traced_workers.insert(worker).second)
        s.trace->name_worker(worker);
      if (what == "compute" || what == "idle" || what == "discarded")
        s.trace->span(worker, what, begin_s, end_s);
      else  // transfers queue on a link, a pause spans whatever the worker was doing
        s.trace->overlapping_span(worker, what, begin_s, end_s);
    },
    [=](metric_atom, double t, std::uint64_t samples, double acc, double loss,
        std::uint64_t version) {
      *self->state.metrics << t << ',' << samples << ',' << acc << ',' << loss << ',' << version
                           << '\n';
      self->state.metrics->flush();
    },
    [=](summary_atom, const std::string& json) -> caf::result<bool> {
      auto path = self->state.dir + "/summary.json";
      std::ofstream f(path, std::ios::out | std::ios::trunc);
      f << json << '\n';
      f.close();
      self->state.events->flush();
      self->state.metrics->flush();
      if (self->state.trace)
        self->state.trace->close();
      if (!f)
        return caf::make_error(caf::sec::runtime_error, "cannot write " + path);
      return true;
    },
  };
}

}  // namespace

caf::actor spawn_recorder(caf::actor_system& sys, const std::string& dir, bool append, bool trace,
                          std::function<void(const nlohmann::json&)> on_event) {
  auto events = open_file(dir + "/events.jsonl", append);
  auto metrics = open_file(dir + "/metrics.csv", append);
  auto timeline = trace ? std::make_shared<trace_writer>(dir + "/trace.json", append) : nullptr;
  return spawn_on_own_thread(sys, recorder_actor, dir, events, metrics, timeline, append,
                             std::move(on_event));
}

}  // namespace hetsgd
