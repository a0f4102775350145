# HETSGD_SANITIZE: a list of sanitizers for every target of this project (make test-asan,
# make test-tsan). Third-party libraries (LibTorch, CAF, Gloo) stay uninstrumented; what they
# report that is not ours is suppressed narrowly in tests/sanitizers/*.supp.
set(HETSGD_SANITIZE "" CACHE STRING "Sanitizers: address;undefined or thread (empty: none)")

if(HETSGD_SANITIZE)
  list(JOIN HETSGD_SANITIZE "," _hetsgd_sanitizers)
  # -O1 (after the build type's -O3, so it wins): the sanitizers' advice, and it compiles a file
  # that includes <torch/torch.h> in 63 s instead of 90 s here. -g1: line tables for the
  # reports at a fraction of full debug info's cost; frame pointers for the stacks. GCC's
  # -Wmaybe-uninitialized gives false positives on std::variant under the sanitizers.
  set(_hetsgd_sanitize_flags -fsanitize=${_hetsgd_sanitizers} -O1 -fno-omit-frame-pointer -g1)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    list(APPEND _hetsgd_sanitize_flags -Wno-maybe-uninitialized)
  endif()
  # UndefinedBehaviorSanitizer stays recoverable (GCC's default) so that tests/sanitizers/ubsan.supp
  # can silence CAF's own header code; UBSAN_OPTIONS=halt_on_error=1 (tools/test_sanitized.sh)
  # still stops the test at the first report that is not suppressed.
  add_compile_options(${_hetsgd_sanitize_flags})
  add_link_options(-fsanitize=${_hetsgd_sanitizers})
  # CUDA sources are compiled by nvcc, which knows none of these flags.
  set(HETSGD_WITH_CUDA OFF CACHE BOOL "" FORCE)
  message(STATUS "hetsgd: sanitizers ${_hetsgd_sanitizers} (CUDA backend off in this build)")
endif()

if(HETSGD_FUZZ)
  # Coverage feedback for libFuzzer in every library a fuzz target links; the targets themselves
  # link -fsanitize=fuzzer (tests/fuzz/CMakeLists.txt).
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "HETSGD_FUZZ needs clang (libFuzzer): configure with CXX=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
  set(HETSGD_WITH_CUDA OFF CACHE BOOL "" FORCE)
endif()
