#pragma once
/// Child processes of a benchmark, always waited for with a deadline: a child that hangs (a
/// collective whose peer died, a stuck run) is killed, never waited on forever.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace hetsgd::bench {

/// Starts `args` (args[0] is the program path) with this process's environment; throws
/// std::runtime_error when it cannot be started.
pid_t spawn_child(const std::vector<std::string>& args);

/// The same, with the child's stdout and stderr appended to `log_path`.
pid_t spawn_child(const std::vector<std::string>& args, const std::string& log_path);

/// Waits for every child until `timeout` has passed, then SIGKILLs those still running. Returns
/// each child's exit status (128 + signal when killed by one; 124 when killed at the deadline),
/// in the order of `pids`.
std::vector<int> wait_children(const std::vector<pid_t>& pids, std::chrono::seconds timeout);

/// spawn_child + wait_children for one child.
int run_child(const std::vector<std::string>& args, std::chrono::seconds timeout);

}  // namespace hetsgd::bench
