#include "actors/straggler_report.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace hetsgd {

straggler_report::straggler_report(std::size_t workers, double alpha, double factor)
    : alpha_(alpha),
      factor_(factor),
      history_(workers),
      ewma_s_(workers, 0.0),
      ewma_per_sample_(workers, 0.0),
      active_(workers, false),
      fresh_(workers, true) {
  if (!(alpha > 0.0 && alpha <= 1.0))
    throw std::invalid_argument("straggler report: alpha must be in (0, 1], got " +
                                std::to_string(alpha));
  if (!(factor > 1.0))
    throw std::invalid_argument("straggler report: factor must be > 1, got " +
                                std::to_string(factor));
}

std::vector<straggler_change> straggler_report::on_step(worker_id w, double step_s,
                                                        std::uint64_t samples) {
  if (w >= history_.size() || samples == 0 || !(step_s >= 0.0) || !std::isfinite(step_s))
    return {};
  const double per_sample = step_s / static_cast<double>(samples);
  if (fresh_[w]) {
    ewma_s_[w] = step_s;
    ewma_per_sample_[w] = per_sample;
    fresh_[w] = false;
  } else {
    ewma_s_[w] += alpha_ * (step_s - ewma_s_[w]);
    ewma_per_sample_[w] += alpha_ * (per_sample - ewma_per_sample_[w]);
  }
  auto& h = history_[w];
  h.min_s = h.steps == 0 ? step_s : std::min(h.min_s, step_s);
  h.max_s = h.steps == 0 ? step_s : std::max(h.max_s, step_s);
  h.steps += 1;
  if (h.recent.size() < median_window) {
    h.recent.push_back(step_s);
  } else {
    h.recent[h.next] = step_s;
    h.next = (h.next + 1) % median_window;
  }
  active_[w] = true;
  return reassess();
}

std::vector<straggler_change> straggler_report::forget(worker_id w) {
  if (w >= history_.size())
    return {};
  active_[w] = false;
  fresh_[w] = true;  // a rejoining incarnation starts its EWMAs afresh; its history stays
  return reassess();
}

std::vector<straggler_change> straggler_report::reassess() {
  std::vector<double> rates;
  std::optional<worker_id> slowest;
  for (worker_id w = 0; w < history_.size(); ++w) {
    if (!active_[w])
      continue;
    rates.push_back(ewma_per_sample_[w]);
    if (!slowest || ewma_per_sample_[w] > ewma_per_sample_[*slowest])
      slowest = w;
  }
  std::optional<worker_id> next;
  if (rates.size() >= 2) {
    // Runs on every contribution: a linear-time selection, not a sort.
    const std::size_t n = rates.size();
    std::nth_element(rates.begin(), rates.begin() + n / 2, rates.end());
    double median = rates[n / 2];
    if (n % 2 == 0)
      median = 0.5 * (median + *std::max_element(rates.begin(), rates.begin() + n / 2));
    if (ewma_per_sample_[*slowest] > factor_ * median)
      next = slowest;
  }
  std::vector<straggler_change> changes;
  if (next == current_)
    return changes;
  if (current_)
    changes.push_back({*current_, false});
  if (next)
    changes.push_back({*next, true});
  current_ = next;
  return changes;
}

step_time_stats straggler_report::stats(worker_id w) const {
  step_time_stats s;
  if (w >= history_.size() || history_[w].steps == 0)
    return s;
  const auto& h = history_[w];
  auto sorted = h.recent;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  s.steps = h.steps;
  s.min_s = h.min_s;
  s.max_s = h.max_s;
  s.median_s = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  s.ewma_s = ewma_s_[w];
  s.ewma_s_per_sample = ewma_per_sample_[w];
  return s;
}

}  // namespace hetsgd
