#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan + libFuzzer)
# and runs each for FUZZ_SECONDS (default 60), starting from its checked-in seed corpus.
#   tools/fuzz.sh BUILD [TARGET...]      targets: config faults messages (default: all three)
# New inputs go to runs/fuzz/TARGET/corpus, never into the checked-in corpus. A crash, leak,
# timeout or broken property stops that target: its input is saved as runs/fuzz/TARGET/crash-*
# and the script fails, naming the file. Copy it to tests/fuzz/regressions/TARGET/ once fixed:
# ctest then replays it in every build (fuzz_replay_TARGET).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
shift || true
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(config faults messages)
seconds=${FUZZ_SECONDS:-60}
jobs=${JOBS:-2}

CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DHETSGD_FUZZ=ON \
  -DHETSGD_SANITIZE="address;undefined" -DHETSGD_BUILD_BENCH=OFF > "$build.configure.log" 2>&1 \
  || { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j"$jobs" --target "${targets[@]/#/fuzz_}"

# shellcheck source=tools/sanitizer_env.sh
source tools/sanitizer_env.sh
export ASAN_OPTIONS="suppressions=$SANITIZER_SUPP/asan.supp"
export OPENBLAS_NUM_THREADS=1

failed=()
summary=()
for t in "${targets[@]}"; do
  out=runs/fuzz/$t
  mkdir -p "$out/corpus"
  echo "fuzz: $t for $seconds s (log: $out/fuzz.log)"
  # -timeout: one input taking over 10 s counts as a hang; -rss_limit_mb: memory without bound
  # counts as a crash.
  if "$build/tests/fuzz/fuzz_$t" "$out/corpus" "tests/fuzz/corpus/$t" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$out/" > "$out/fuzz.log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/fuzz.log" | grep -o '[0-9]*$')
    cov=$(grep -o 'cov: [0-9]*' "$out/fuzz.log" | tail -1 | grep -o '[0-9]*')
    summary+=("$t: ${runs:-?} inputs, coverage ${cov:-?} edges, no crash")
  else
    failed+=("$t")
    echo "fuzz: $t FAILED:" >&2
    grep -E 'ERROR|fuzz property broken|Test unit written' "$out/fuzz.log" | head -5 >&2 || true
  fi
done
printf 'fuzz: %s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: failed: ${failed[*]} (inputs under runs/fuzz/TARGET/; replay one with" \
       "$build/tests/fuzz/fuzz_TARGET FILE)" >&2
  exit 1
fi
