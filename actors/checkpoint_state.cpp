#include "actors/checkpoint_state.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstring>

#include "actors/checkpoint_store.hpp"

namespace hetsgd {

namespace {

bool lasting(const std::string& kind) {
  return kind == "slowdown" || kind == "pause" || kind == "nan";
}

using nlohmann::json;

}  // namespace

fault_position fault_position_at(const std::vector<fault_spec>& faults, double at_s) {
  fault_position pos;
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const auto& f = faults[i];
    if (f.at_s > at_s)
      continue;
    pos.started.push_back(i);
    if (!lasting(f.kind) || (f.duration_s > 0.0 && f.at_s + f.duration_s <= at_s))
      pos.ended.push_back(i);
  }
  return pos;
}

std::vector<fault_spec> remaining_faults(const std::vector<fault_spec>& faults,
                                         const fault_position& pos, double resume_at_s) {
  auto has = [](const std::vector<std::size_t>& v, std::size_t i) {
    return std::find(v.begin(), v.end(), i) != v.end();
  };
  std::vector<fault_spec> out;
  for (std::size_t i = 0; i < faults.size(); ++i) {
    if (has(pos.ended, i))
      continue;
    auto f = faults[i];
    if (has(pos.started, i)) {
      // In progress: the worker it acted on is gone, so it acts again on the new incarnation.
      if (f.duration_s > 0.0)
        f.duration_s = std::max(0.0, f.at_s + f.duration_s - resume_at_s);
      f.at_s = resume_at_s;
      if (f.duration_s <= 0.0 && faults[i].duration_s > 0.0)
        continue;  // it ended exactly at the checkpoint
    }
    out.push_back(f);
  }
  return out;
}

json account_to_json(const run_account& a) {
  json workers = json::array();
  for (auto& w : a.workers) {
    json dropped = json::object();
    for (std::size_t r = 0; r < drop_reason_count; ++r)
      dropped[to_string(static_cast<drop_reason>(r))] = w.dropped[r];
    workers.push_back({{"id", w.id},
                       {"samples_computed", w.samples_computed},
                       {"samples_pushed", w.samples_pushed},
                       {"samples_applied", w.samples_applied},
                       {"dropped", dropped},
                       {"contributions", w.contributions},
                       {"push_latency_s", w.push_latency_s},
                       {"push_cpu_wait_s", w.push_cpu_wait_s},
                       {"incarnations", w.incarnations},
                       {"crashes", w.crashes},
                       {"failed", w.failed},
                       {"left", w.left},
                       {"micro_batches", w.micro_batches},
                       {"jobs", w.jobs},
                       {"compute_s", w.compute_s},
                       {"stretch_s", w.stretch_s},
                       {"idle_s", w.idle_s},
                       {"release_latency_s", w.release_latency_s},
                       {"release_cpu_wait_s", w.release_cpu_wait_s},
                       {"link", w.link}});
  }
  return {{"rounds", a.rounds},
          {"samples_applied", a.samples_applied},
          {"bytes_moved", a.bytes_moved},
          {"evaluations", a.evaluations},
          {"time_to_target_s", a.time_to_target_s ? json(*a.time_to_target_s) : json(nullptr)},
          {"aggregator_busy_s", a.aggregator_busy_s},
          {"aggregator_wall_s", a.aggregator_wall_s},
          {"straggler_changes", a.stragglers.changes},
          {"errors", a.errors},
          {"workers", workers}};
}

void account_from_json(const json& j, run_account& a, const std::string& where) {
  try {
    const auto& ws = j.at("workers");
    if (ws.size() != a.workers.size())
      throw checkpoint_error(where + ": accounting.workers: " + std::to_string(ws.size()) +
                             " workers, the run has " + std::to_string(a.workers.size()));
    a.rounds = j.at("rounds").get<std::uint64_t>();
    a.samples_applied = j.at("samples_applied").get<std::uint64_t>();
    a.bytes_moved = j.at("bytes_moved").get<std::uint64_t>();
    a.evaluations = j.at("evaluations").get<std::uint64_t>();
    if (!j.at("time_to_target_s").is_null())
      a.time_to_target_s = j.at("time_to_target_s").get<double>();
    a.aggregator_busy_s = j.at("aggregator_busy_s").get<double>();
    a.aggregator_wall_s = j.at("aggregator_wall_s").get<double>();
    a.stragglers.changes = j.at("straggler_changes").get<std::uint64_t>();
    a.errors = j.at("errors").get<std::vector<std::string>>();
    for (std::size_t i = 0; i < ws.size(); ++i) {
      const auto& s = ws[i];
      auto& w = a.workers[i];
      w.samples_computed = s.at("samples_computed").get<std::uint64_t>();
      w.samples_pushed = s.at("samples_pushed").get<std::uint64_t>();
      w.samples_applied = s.at("samples_applied").get<std::uint64_t>();
      for (std::size_t r = 0; r < drop_reason_count; ++r)
        w.dropped[r] =
          s.at("dropped").value(to_string(static_cast<drop_reason>(r)), std::uint64_t{0});
      w.contributions = s.at("contributions").get<std::uint64_t>();
      w.push_latency_s = s.at("push_latency_s").get<double>();
      w.push_cpu_wait_s = s.at("push_cpu_wait_s").get<double>();
      w.incarnations = s.at("incarnations").get<std::uint32_t>();
      w.booked = w.incarnations;
      w.crashes = s.at("crashes").get<std::uint32_t>();
      w.failed = s.at("failed").get<bool>();
      w.left = s.at("left").get<bool>();
      w.micro_batches = s.at("micro_batches").get<std::uint64_t>();
      w.jobs = s.at("jobs").get<std::uint64_t>();
      w.compute_s = s.at("compute_s").get<double>();
      w.stretch_s = s.at("stretch_s").get<double>();
      w.idle_s = s.at("idle_s").get<double>();
      w.release_latency_s = s.at("release_latency_s").get<double>();
      w.release_cpu_wait_s = s.at("release_cpu_wait_s").get<double>();
      w.link = s.at("link").get<link_counters>();
    }
  } catch (const json::exception& e) {
    throw checkpoint_error(where + ": accounting: " + e.what());
  }
}

std::shared_ptr<const resume_point> load_resume_point(const std::string& run_dir,
                                                      const std::string& config_hash,
                                                      std::int64_t parameters, std::int64_t workers,
                                                      std::size_t faults) {
  auto ck = read_checkpoint(run_dir);
  auto rp = std::make_shared<resume_point>();
  rp->manifest_path = ck.manifest_path;
  const auto& m = ck.manifest;
  const std::string& mp = ck.manifest_path;
  try {
    if (m.at("config_hash").get<std::string>() != config_hash)
      throw checkpoint_error(mp +
                             ": config_hash: the checkpoint was written for another "
                             "config.toml (hash " +
                             m.at("config_hash").get<std::string>() + ", " + run_dir +
                             "/config.toml now has " + config_hash +
                             "); the run's config must not change between legs");
    if (m.at("workers").get<std::int64_t>() != workers)
      throw checkpoint_error(mp + ": workers: " + m.at("workers").dump() +
                             ", the config has cluster.workers = " + std::to_string(workers));
    rp->sequence = m.at("sequence").get<std::uint64_t>();
    rp->version = m.at("version").get<std::uint64_t>();
    rp->resumes = m.at("rng").at("resumes").get<std::uint64_t>();
    for (auto key : {"policy_state", "batch_state", "accounting", "membership"})
      if (!m.at(key).is_object())
        throw checkpoint_error(mp + ": " + key + ": not an object");
    rp->elapsed_s = m.at("elapsed_s").get<double>();
    rp->live = m.at("membership").at("live").get<std::vector<worker_id>>();
    rp->faults.started = m.at("faults").at("started").get<std::vector<std::size_t>>();
    rp->faults.ended = m.at("faults").at("ended").get<std::vector<std::size_t>>();
    if (m.at("faults").at("count").get<std::size_t>() != faults)
      throw checkpoint_error(mp + ": faults.count: " + m.at("faults").at("count").dump() +
                             " entries, the config has " + std::to_string(faults));
  } catch (const nlohmann::json::exception& e) {
    throw checkpoint_error(mp + ": corrupt manifest: " + e.what());
  }
  auto tensor = [&](const std::string& name) {
    auto it = ck.blobs.find(name);
    if (it == ck.blobs.end())
      return at::Tensor();
    const auto expected = static_cast<std::size_t>(parameters) * sizeof(float);
    if (it->second.size() != expected)
      throw checkpoint_error(ck.tensor_path + ": " + name + " has " +
                             std::to_string(it->second.size() / sizeof(float)) +
                             " floats, the model has " + std::to_string(parameters) +
                             " parameters (another model.name?)");
    auto t = at::empty({parameters}, at::kFloat);
    std::memcpy(t.data_ptr<float>(), it->second.data(), expected);
    return t;
  };
  rp->weights = tensor("weights");
  if (!rp->weights.defined())
    throw checkpoint_error(ck.tensor_path + ": has no \"weights\" blob");
  rp->momentum = tensor("momentum");
  rp->manifest = std::move(ck.manifest);
  return rp;
}

}  // namespace hetsgd
