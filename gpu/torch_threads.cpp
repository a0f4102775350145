#include "gpu/torch_threads.hpp"

#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include <dlfcn.h>
#include <mutex>

namespace hetsgd {
namespace {

template <class F>
F lookup(const char* symbol) {
  return reinterpret_cast<F>(::dlsym(RTLD_DEFAULT, symbol));
}

}  // namespace

thread_pinning pin_compute_threads_to_one() {
  static std::mutex mutex;
  static bool interop_tried = false;
  static bool interop_ok = false;
  std::lock_guard<std::mutex> lock(mutex);
  thread_pinning result;
  at::set_num_threads(1);
  if (!interop_tried) {
    interop_tried = true;
    try {
      // Throws if inter-op parallelism already started or the count was already set.
      at::set_num_interop_threads(1);
      interop_ok = true;
    } catch (const c10::Error&) {
      interop_ok = at::get_num_interop_threads() == 1;
    }
  }
  result.interop_set = interop_ok;
  if (auto set = lookup<void (*)(int)>("openblas_set_num_threads")) {
    set(1);
    result.openblas_set = true;
  }
  return result;
}

void pin_this_thread_once() {
  thread_local bool pinned = false;
  if (!pinned) {
    pin_compute_threads_to_one();
    pinned = true;
  }
}

int openblas_threads() {
  if (auto get = lookup<int (*)()>("openblas_get_num_threads"))
    return get();
  return -1;
}

}  // namespace hetsgd
