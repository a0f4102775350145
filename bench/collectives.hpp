#pragma once
/// The collectives benchmark: an all-reduce sweep over message sizes, for hetsgd's Gloo path
/// (ranks are separate processes that meet through the aggregator's rendezvous store over CAF's
/// middleman) and for torch.distributed's gloo backend (bench/torch_allreduce.py), alternately
/// in the same run. Figures follow nccl-tests: algbw = bytes / time, busbw = algbw × 2(n−1)/n,
/// and a #wrong column from one reduction of known data per size.

#include <cstdint>
#include <string>
#include <vector>

namespace hetsgd::bench {

struct collectives_options {
  int ranks = 2;
  std::vector<std::int64_t> sizes{4096,    16384,   65536,    262144,
                                  1048576, 4194304, 16777216, 67108864};  ///< bytes
  int reps = 2;                  ///< alternating (hetsgd, torch) rounds; best time kept
  std::string backend = "gloo";  ///< hetsgd's collective backend under test
  std::string torch_script = "bench/torch_allreduce.py";  ///< "" skips the torch side
  std::string python = "/usr/bin/python3";
  int timeout_s = 300;  ///< per sweep; children are killed after it
  std::string commit = "unknown";
  std::string out;
};

/// Runs the sweeps and writes one JSON document to o.out; 0 on success.
int bench_collectives(const collectives_options& o, const std::string& self_exe);

/// One rank of hetsgd's sweep (a child of bench_collectives): joins the store at host:port,
/// reduces every size, and (rank 0) writes {"rows": [...]} to `out`.
int collective_rank(const std::string& host, int port, int rank, const collectives_options& o);

}  // namespace hetsgd::bench
