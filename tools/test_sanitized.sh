#!/usr/bin/env bash
# Builds hetsgd and its tests with sanitizers in a build directory of their own and runs ctest
# there with the checked-in suppression files (tests/sanitizers/*.supp).
#   tools/test_sanitized.sh asan BUILD JOBS   AddressSanitizer + UndefinedBehaviorSanitizer,
#                                             the whole suite (make test-asan, .ci/run)
#   tools/test_sanitized.sh tsan BUILD JOBS   ThreadSanitizer over the actor and end-to-end
#                                             tests (make test-tsan)
# Extra ctest arguments come from CTEST_ARGS (e.g. CTEST_ARGS="-R test_actors").
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: test_sanitized.sh asan|tsan BUILD JOBS}
build=${2:-build-$mode}
jobs=${3:-2}
# shellcheck source=tools/sanitizer_env.sh
source tools/sanitizer_env.sh
supp=$SANITIZER_SUPP

case "$mode" in
  asan)
    sanitizers="address;undefined"
    # halt_on_error: the first report fails the test that made it. detect_leaks: LeakSanitizer
    # at exit, with lsan.supp for what third-party libraries keep until exit on purpose.
    export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:strict_init_order=1:detect_stack_use_after_return=1:suppressions=$supp/asan.supp"
    # Processes start and run about 3x slower: tests with tight deadlines scale them.
    export HETSGD_TEST_TIME_SCALE=3
    selection=()
    ;;
  tsan)
    sanitizers="thread"
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp"
    export HETSGD_TEST_TIME_SCALE=10
    # The actors and whole runs are where threads meet (workers, evaluator, recorder, driver).
    selection=(-R "^(test_actors|test_e2e):")
    ;;
  *)
    echo "test_sanitized.sh: unknown mode '$mode' (asan or tsan)" >&2
    exit 2
    ;;
esac

start=$(date +%s)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DHETSGD_SANITIZE="$sanitizers" \
  -DHETSGD_BUILD_BENCH=OFF > "$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j"$jobs"
built=$(date +%s)
echo "test_sanitized: $mode build took $((built - start)) s"

cd "$build"
# shellcheck disable=SC2086  # CTEST_ARGS is a list of arguments
ctest --output-on-failure --timeout 1800 -j"$jobs" "${selection[@]}" ${CTEST_ARGS:-}
echo "test_sanitized: $mode tests took $(($(date +%s) - built)) s"
