#pragma once
/// How much memory a run needs and the machine has, so that a cluster too large for this
/// machine is refused before it starts (and wall.json can report what a run used).

#include <cstdint>
#include <optional>
#include <string>

namespace hetsgd {

/// Estimated bytes of one worker: about `copies_per_worker` copies of the model's parameters
/// (model, gradients, the job's weights, the push in flight, flattened buffers), the indices of
/// its data shard, and a fixed part for the actor and the model's modules.
std::uint64_t worker_memory_bytes(std::int64_t parameters, std::int64_t train_samples,
                                  std::int64_t workers);

/// Bytes the kernel says can be allocated without swapping (MemAvailable), if known.
std::optional<std::uint64_t> available_memory_bytes();

/// The process's peak resident set (VmHWM), bytes; 0 if unknown.
std::uint64_t peak_rss_bytes();

/// "1.5 GiB", "320 MiB".
std::string bytes_text(std::uint64_t bytes);

}  // namespace hetsgd
