#pragma once
/// What a policy carries from one round to the next, as named numbers, for checkpoints: a run
/// that resumes restores its policy from the state saved at the checkpoint. Pure std so that
/// policies stay free of any serialization library; the runtime writes it into the checkpoint
/// manifest as a JSON object.
///
/// Only state that spans rounds belongs here (ABS's K schedule, DBS's plan in force). What a
/// policy keeps about the round in progress (pending contributions, held workers, SSP clocks)
/// is not saved: workers resume as fresh incarnations, exactly as after a rejoin, and the policy
/// starts its first round after the resume from on_start.

#include <map>
#include <stdexcept>
#include <string>

namespace hetsgd {

using policy_state = std::map<std::string, double>;

/// s[key], or std::invalid_argument naming `who` and the missing key.
inline double state_value(const policy_state& s, const std::string& key, const std::string& who) {
  auto it = s.find(key);
  if (it == s.end())
    throw std::invalid_argument(who + ": saved state has no \"" + key + "\"");
  return it->second;
}

}  // namespace hetsgd
