#include "apps/local_workers.hpp"

#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace hetsgd {

local_workers::local_workers(const std::string& self_exe, std::uint16_t port, int count,
                             const std::string& token, const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::strncmp(*e, "HETSGD_TOKEN=", 13) != 0)
      env.emplace_back(*e);
  env.push_back("HETSGD_TOKEN=" + token);
  std::vector<char*> envp;
  for (auto& e : env)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args{self_exe, "worker", "--connect",
                                "127.0.0.1:" + std::to_string(port), "--exit-with-parent"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  for (int i = 0; i < count; ++i) {
    pid_t pid = 0;
    if (posix_spawn(&pid, self_exe.c_str(), nullptr, nullptr, argv.data(), envp.data()) != 0) {
      finish(0.0);
      throw std::runtime_error("cannot start worker process " + std::to_string(i) + " (" +
                               self_exe + ")");
    }
    pids_.push_back(pid);
  }
}

int local_workers::finish(double grace_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace_s);
  int failed = 0;
  bool killed = false;
  while (!pids_.empty()) {
    for (auto it = pids_.begin(); it != pids_.end();) {
      int status = 0;
      const pid_t r = waitpid(*it, &status, WNOHANG);
      if (r == 0) {
        ++it;
        continue;
      }
      if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        ++failed;
      it = pids_.erase(it);
    }
    if (pids_.empty())
      break;
    if (!killed && std::chrono::steady_clock::now() >= deadline) {
      for (auto pid : pids_)
        kill(pid, SIGKILL);
      killed = true;
    }
    // Polling waitpid (it has no timeout); the children take a moment to stop.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return failed;
}

local_workers::~local_workers() {
  finish(0.0);
}

}  // namespace hetsgd
