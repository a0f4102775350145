#include "bench/child_process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace hetsgd::bench {

namespace {

pid_t spawn_with(const std::vector<std::string>& args, const posix_spawn_file_actions_t* io) {
  std::vector<char*> argv;
  for (const auto& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (args.empty() || posix_spawn(&pid, argv[0], io, nullptr, argv.data(), environ) != 0)
    throw std::runtime_error("cannot start " + (args.empty() ? std::string("(nothing)") : args[0]));
  return pid;
}

}  // namespace

pid_t spawn_child(const std::vector<std::string>& args) {
  return spawn_with(args, nullptr);
}

pid_t spawn_child(const std::vector<std::string>& args, const std::string& log_path) {
  posix_spawn_file_actions_t io;
  posix_spawn_file_actions_init(&io);
  posix_spawn_file_actions_addopen(&io, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&io, STDOUT_FILENO, STDERR_FILENO);
  try {
    const auto pid = spawn_with(args, &io);
    posix_spawn_file_actions_destroy(&io);
    return pid;
  } catch (...) {
    posix_spawn_file_actions_destroy(&io);
    throw;
  }
}

std::vector<int> wait_children(const std::vector<pid_t>& pids, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<int> status(pids.size(), -1);
  std::size_t running = pids.size();
  bool killed = false;
  while (running > 0) {
    for (std::size_t i = 0; i < pids.size(); ++i) {
      if (status[i] >= 0)
        continue;
      int st = 0;
      const pid_t r = waitpid(pids[i], &st, WNOHANG);
      if (r == pids[i] || r < 0) {
        status[i] = r < 0 ? 127 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (killed && r == pids[i] && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
          status[i] = 124;
        --running;
      }
    }
    if (running == 0)
      break;
    if (!killed && std::chrono::steady_clock::now() >= deadline) {
      for (std::size_t i = 0; i < pids.size(); ++i)
        if (status[i] < 0)
          kill(pids[i], SIGKILL);
      killed = true;
    }
    // Polling, not synchronization: waitpid has no timeout, and the children take seconds.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return status;
}

int run_child(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  return wait_children({spawn_child(args)}, timeout).front();
}

}  // namespace hetsgd::bench
