#pragma once
/// `hetsgd run` with cluster.mode = "processes": the aggregator runs in this process and starts
/// its N workers as child processes (`hetsgd worker --connect 127.0.0.1:PORT`). They are in this
/// process's care: each dies with its parent (PR_SET_PDEATHSIG, so a killed `hetsgd run` leaves
/// no orphans), and at the end they are waited for with a deadline, then killed.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hetsgd {

class local_workers {
 public:
  /// Starts `count` copies of `self_exe worker --connect 127.0.0.1:port --exit-with-parent`,
  /// with `token` in their environment (HETSGD_TOKEN), never on their command line, and
  /// `extra` arguments after those (e.g. the TLS files).
  local_workers(const std::string& self_exe, std::uint16_t port, int count,
                const std::string& token, const std::vector<std::string>& extra = {});
  /// Waits up to `grace_s` for every child to exit on its own, then SIGKILLs the rest. Returns
  /// how many did not exit with status 0 (killed ones included).
  int finish(double grace_s);
  ~local_workers();

 private:
  std::vector<pid_t> pids_;
};

}  // namespace hetsgd
