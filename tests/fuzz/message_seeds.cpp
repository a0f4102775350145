// Writes the seed corpus of fuzz_messages: one encoded caf::message per file, of every message
// type that crosses the network, as the middleman would send it (with the atoms that head the
// control messages, and tensors of each wire dtype). Each sample is first checked to come back
// unchanged from its encoding, so this program is also a round-trip test of every type's
// inspect() (ctest message_seeds).
//   message_seeds DIR
#include <ATen/ATen.h>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/message.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "actors/atoms.hpp"
#include "actors/cluster_messages.hpp"
#include "actors/messages.hpp"
#include "tests/fuzz/wire_context.hpp"

using namespace hetsgd;

namespace {

std::vector<std::pair<std::string, caf::message>> samples() {
  const auto weights = at::arange(8, at::kFloat) * 0.5;
  job_msg job;
  job.version = 3;
  job.weights.value = weights;
  job.batch = 64;
  job.share_begin = 0.25;
  job.share_end = 0.5;
  job.apply_sum = true;
  job.momentum.value = at::zeros({8}, at::kFloat);
  contribution_msg push;
  push.worker = 1;
  push.version = 3;
  push.samples = 64;
  push.compute_s = 0.01;
  push.payload.value = weights * -0.1;
  push.seq = 7;
  // Non-finite doubles travel as they are (a diverged loss, an unknown rate): CAF's own double
  // encoding never returned on infinity (tests/fuzz/regressions/messages).
  contribution_msg diverged = push;
  diverged.loss_sum = std::numeric_limits<double>::infinity();
  diverged.busy_s = -std::numeric_limits<double>::infinity();
  diverged.compute_s = std::numeric_limits<double>::quiet_NaN();
  contribution_msg collective_push = push;
  collective_push.payload.value = at::Tensor();
  collective_push.in_collective = true;
  worker_hello_msg hello;
  hello.token = "secret";
  hello.speed = 0.5;
  hello.host = "node-1";
  hello.pid = 4242;
  worker_assignment_msg assignment;
  assignment.id = 2;
  assignment.config_toml = "[cluster]\nworkers = 3\n";
  eval_request_msg eval;
  eval.version = 9;
  eval.weights.value = weights;
  reduce_request_msg reduce;
  heartbeat_msg beat;
  beat.worker = 2;
  beat.samples_computed = 640;
  return {
    {"job", caf::make_message(job)},
    {"push", caf::make_message(push)},
    {"push-in-collective", caf::make_message(collective_push)},
    {"push-non-finite", caf::make_message(diverged)},
    {"hello", caf::make_message(hello_atom::value, hello)},
    {"assignment", caf::make_message(assignment)},
    {"heartbeat", caf::make_message(beat)},
    {"reduce-request", caf::make_message(reduce)},
    {"probe", caf::make_message(probe_atom::value, worker_id{1}, std::uint64_t{7})},
    {"probe-reply", caf::make_message(probe_reply_msg{})},
    {"worker-stats", caf::make_message(worker_stats_msg{})},
    {"worker-failure", caf::make_message(worker_failure_msg{})},
    {"eval-request", caf::make_message(eval)},
    {"eval-result", caf::make_message(eval_result_msg{})},
    {"progress", caf::make_message(progress_msg{})},
    {"run-status", caf::make_message(run_status_msg{})},
    {"run-outcome", caf::make_message(run_outcome_msg{})},
    {"batch-plan", caf::make_message(batch_atom::value, batch_plan_msg{})},
    {"throughput", caf::make_message(report_atom::value, throughput_msg{})},
    {"tensor-double",
     caf::make_message(tensor_payload{at::arange(6, at::kDouble).reshape({2, 3})})},
    {"tensor-int64",
     caf::make_message(tensor_payload{at::tensor({std::int64_t{-5}, std::int64_t{7}})})},
    {"tensor-int32", caf::make_message(tensor_payload{at::tensor({-3, 4}, at::kInt)})},
    {"tensor-uint8", caf::make_message(tensor_payload{at::tensor({0, 255}, at::kByte)})},
    {"tensor-0d", caf::make_message(tensor_payload{at::scalar_tensor(2.5, at::kFloat)})},
    {"tensor-empty", caf::make_message(tensor_payload{at::empty({0, 3}, at::kFloat)})},
    {"tensor-undefined", caf::make_message(tensor_payload{})},
    {"stop", caf::make_message(stop_atom::value)},
  };
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: message_seeds DIR\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "message_seeds: %s: %s\n", dir.c_str(), ec.message().c_str());
    return 2;
  }
  auto& sys = fuzz::wire_system();
  int failures = 0;
  for (auto& [name, msg] : samples()) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    if (auto err = sink(msg)) {
      std::fprintf(stderr, "%s: does not encode: %s\n", name.c_str(), sys.render(err).c_str());
      ++failures;
      continue;
    }
    caf::message back;
    caf::binary_deserializer source{sys, buf};
    if (auto err = source(back)) {
      std::fprintf(stderr, "%s: does not decode: %s\n", name.c_str(), sys.render(err).c_str());
      ++failures;
      continue;
    }
    // The printed form names tensors by dtype and shape; the second encoding compares values.
    std::vector<char> again;
    caf::binary_serializer resink{sys, again};
    if (caf::to_string(back) != caf::to_string(msg) || resink(back) || again != buf) {
      std::fprintf(stderr, "%s: %s came back as %s\n", name.c_str(), caf::to_string(msg).c_str(),
                   caf::to_string(back).c_str());
      ++failures;
      continue;
    }
    std::ofstream out(dir / (name + ".bin"), std::ios::binary);
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  }
  if (failures > 0)
    return 1;
  std::printf("message_seeds: %zu messages written to %s\n", samples().size(), dir.c_str());
  return 0;
}
