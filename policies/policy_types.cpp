#include "policies/policy_types.hpp"

#include <algorithm>
#include <iterator>

namespace hetsgd {

bool membership_view::contains(worker_id w) const {
  return std::binary_search(live.begin(), live.end(), w);
}

std::vector<worker_id> membership_view::joined_since(const std::vector<worker_id>& known) const {
  std::vector<worker_id> joined;
  std::set_difference(live.begin(), live.end(), known.begin(), known.end(),
                      std::back_inserter(joined));
  return joined;
}

std::vector<dropped_contribution> drop_departed(std::map<worker_id, contribution_meta>& pending,
                                                const membership_view& members) {
  std::vector<dropped_contribution> gone;
  for (auto it = pending.begin(); it != pending.end();) {
    if (!members.contains(it->first)) {
      gone.push_back({it->second.id, drop_reason::crashed});
      it = pending.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

void release_joiners(round_decision& d, const std::vector<worker_id>& joined) {
  for (auto w : joined) {
    d.restart.erase(std::remove(d.restart.begin(), d.restart.end(), w), d.restart.end());
    if (std::find(d.release.begin(), d.release.end(), w) == d.release.end())
      d.release.push_back(w);
  }
}

void keep_members(std::vector<worker_id>& workers, const membership_view& members) {
  workers.erase(std::remove_if(workers.begin(), workers.end(),
                               [&](worker_id w) { return !members.contains(w); }),
                workers.end());
}

const char* to_string(close_reason r) {
  switch (r) {
    case close_reason::all_arrived: return "all_arrived";
    case close_reason::k_arrived: return "k_arrived";
    case close_reason::immediate: return "immediate";
    case close_reason::timeout: return "timeout";
    case close_reason::period: return "period";
    case close_reason::sample_target: return "sample_target";
    case close_reason::membership: return "membership";
  }
  return "unknown";
}

const char* to_string(drop_reason r) {
  switch (r) {
    case drop_reason::stale: return "stale";
    case drop_reason::crashed: return "crashed";
    case drop_reason::non_finite: return "non_finite";
    case drop_reason::late: return "late";
    case drop_reason::restarted: return "restarted";
    case drop_reason::invalid: return "invalid";
    case drop_reason::collective: return "collective";
  }
  return "unknown";
}

const char* to_string(payload_kind k) {
  switch (k) {
    case payload_kind::gradient_sum: return "gradient_sum";
    case payload_kind::model_delta: return "model_delta";
    case payload_kind::model: return "model";
  }
  return "unknown";
}

const char* to_string(transfer_kind k) {
  switch (k) {
    case transfer_kind::all_reduce: return "all_reduce";
    case transfer_kind::point_to_point: return "point_to_point";
  }
  return "unknown";
}

const char* to_string(worker_mode m) {
  switch (m) {
    case worker_mode::push_and_wait: return "push_and_wait";
    case worker_mode::local_steps: return "local_steps";
    case worker_mode::continuous: return "continuous";
    case worker_mode::delayed_local: return "delayed_local";
  }
  return "unknown";
}

}  // namespace hetsgd
