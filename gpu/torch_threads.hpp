#pragma once
/// \file
/// Thread settings of the compute libraries, for one-core-per-worker runs.

namespace hetsgd {

/// What pin_compute_threads_to_one managed to do.
struct thread_pinning {
  /// torch::set_num_interop_threads(1) took effect. It can be set only once per process and
  /// only before any inter-op work started; a later call leaves it as it was.
  bool interop_set = false;
  /// OpenBLAS was found in the process (dlsym of openblas_set_num_threads) and set to 1 thread.
  /// False with another BLAS, or with an OpenBLAS loaded later than this call.
  bool openblas_set = false;
};

/// Makes the calling process's compute libraries use one thread: torch intra-op threads
/// (torch::set_num_threads(1)), inter-op threads (once, when still possible) and OpenBLAS
/// threads (OPENBLAS_NUM_THREADS is read when the library loads, before main, so setting the
/// variable from inside the program is too late; the function is called instead). Without this,
/// an OpenBLAS worker uses about 1.6 cores whatever torch says. Safe to call repeatedly and from
/// several threads. Call it before starting compute threads; with LibTorch's OpenMP back end a
/// thread that already ran parallel torch work keeps its own OpenMP setting until it calls this
/// function itself, so a worker thread may simply call it first thing.
thread_pinning pin_compute_threads_to_one();

/// Calls pin_compute_threads_to_one() once per calling thread (cheap after the first call).
/// OpenMP's thread count is per thread: a thread that never pinned itself (a CAF scheduler
/// thread running the aggregator, say) would fork a team of spinning OpenMP threads on every
/// tensor op and steal the workers' cores.
void pin_this_thread_once();

/// OpenBLAS's current thread count, or -1 when OpenBLAS is not in the process.
int openblas_threads();

}  // namespace hetsgd
