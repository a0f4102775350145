#!/bin/sh
# Checks tools/plot.py on synthetic run directories: a complete one, header-only metrics.csv,
# missing events.jsonl, zero rounds, and nothing to plot; and its --compare mode on synthetic
# comparison directories: a complete one, one with a failed policy, synchronous policies only,
# more than 16 workers, and nothing plottable. Needs /usr/bin/python3 + matplotlib.
# Usage: tests/tools/test_plot.sh [REAL_RUN_DIR]   (optionally also plots a real run, or a real
# comparison if REAL_RUN_DIR holds comparison.json)
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
plot="/usr/bin/python3 $here/tools/plot.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

# A complete run: two workers, varying batches, a dropped contribution, target reached.
full="$tmp/full"; mkdir -p "$full"
printf 'time_s,samples_applied,test_accuracy,test_loss,version\n0.5,200,0.5,1.2,2\n1.0,400,0.7,0.9,4\n1.5,600,0.82,0.6,6\n' > "$full/metrics.csv"
cat > "$full/events.jsonl" <<'J'
{"type":"start","t":0.0,"policy":"dbs","workers":2}
{"type":"round","t":0.3,"round":1,"version":1,"reason":"all_arrived","participants":[0,1],"weights":[1,1],"staleness":[0,0],"worker_samples":[64,32],"samples":96,"train_loss":2.1}
{"type":"dropped","t":0.5,"worker":1,"reason":"stale","samples":32,"version":1}
{"type":"round","t":0.8,"round":2,"version":2,"reason":"all_arrived","participants":[0,1],"weights":[1,1],"staleness":[0,1],"worker_samples":[96,48],"samples":144,"train_loss":null}
{"type":"round","t":1.4,"round":3,"version":3,"reason":"timeout","participants":[0],"weights":[1],"staleness":[0],"worker_samples":[128],"samples":128,"train_loss":0.7}
not json
{"type":"end","t":1.5,"reason":"max_samples reached"}
J
cat > "$full/summary.json" <<'J'
{"policy":"dbs","clock":"simulated","model":"mlp","final_accuracy":0.82,"target_accuracy":0.8,
 "time_to_target_s":1.45,"elapsed_s":1.5,"utilization":0.5,
 "per_worker":[{"id":0,"speed":1.0,"samples":288},{"id":1,"speed":0.5,"samples":112}]}
J
out=$($plot "$full" 2>"$tmp/err"); rc=$?
check "complete run exits 0" '[ $rc -eq 0 ]'
for f in accuracy worker_samples loss; do
  check "complete run writes $f.png" '[ -s "$full/$f.png" ] && echo "$out" | grep -q "$f.png"'
done
check "bad JSON line is reported" 'grep -q "events.jsonl:6" "$tmp/err"'

# metrics.csv with only a header: accuracy.png skipped, the rest still made.
hdr="$tmp/header_only"; mkdir -p "$hdr"
cp "$full/events.jsonl" "$full/summary.json" "$hdr/"
head -1 "$full/metrics.csv" > "$hdr/metrics.csv"
$plot "$hdr" >/dev/null 2>"$tmp/err"; rc=$?
check "header-only metrics exits 0" '[ $rc -eq 0 ]'
check "header-only metrics names the file" 'grep -q "metrics.csv" "$tmp/err"'
check "header-only metrics skips accuracy.png" '[ ! -e "$hdr/accuracy.png" ] && [ -s "$hdr/worker_samples.png" ] && [ -s "$hdr/loss.png" ]'

# No events.jsonl: worker_samples.png skipped; loss.png from test loss alone.
noev="$tmp/no_events"; mkdir -p "$noev"
cp "$full/metrics.csv" "$noev/"
echo '{"policy":"ssgd","target_accuracy":0.9,"time_to_target_s":null,"per_worker":[]}' > "$noev/summary.json"
$plot "$noev" >/dev/null 2>"$tmp/err"; rc=$?
check "missing events exits 0" '[ $rc -eq 0 ]'
check "missing events names the file" 'grep -q "events.jsonl" "$tmp/err"'
check "missing events skips worker_samples.png" '[ ! -e "$noev/worker_samples.png" ] && [ -s "$noev/accuracy.png" ] && [ -s "$noev/loss.png" ]'

# Zero rounds, no summary: worker_samples.png skipped.
zero="$tmp/zero_rounds"; mkdir -p "$zero"
cp "$full/metrics.csv" "$zero/"
printf '{"type":"start","t":0.0}\n{"type":"end","t":0.1}\n' > "$zero/events.jsonl"
$plot "$zero" >/dev/null 2>"$tmp/err"; rc=$?
check "zero rounds exits 0" '[ $rc -eq 0 ] && [ ! -e "$zero/worker_samples.png" ] && [ -s "$zero/accuracy.png" ]'
check "zero rounds says so" 'grep -q "no round events" "$tmp/err"'

# Nothing to plot, or no such directory: non-zero.
empty="$tmp/empty"; mkdir -p "$empty"
$plot "$empty" >/dev/null 2>"$tmp/err"; rc=$?
check "empty directory exits non-zero" '[ $rc -ne 0 ] && grep -q "no plot could be made" "$tmp/err"'
$plot "$tmp/does_not_exist" >/dev/null 2>&1; rc=$?
check "missing directory exits non-zero" '[ $rc -ne 0 ]'
$plot "$empty" "$full" >/dev/null 2>&1; rc=$?
check "one good directory among bad ones exits 0" '[ $rc -eq 0 ]'

# ---------------------------------------------------------------- --compare

# run_dir POLICY DIR T_STEP STALENESS BATCHES: a small run directory for a comparison. Three
# rounds at T_STEP, 2T_STEP, 3T_STEP with workers 0 and 1, each given STALENESS ("a,b") and
# BATCHES ("a,b"); accuracy rising to 0.8.
run_dir() {
  mkdir -p "$2"
  printf 'time_s,samples_applied,test_accuracy,test_loss,version\n0.5,200,0.5,1.2,2\n1.0,400,0.7,0.9,4\n1.5,600,%s,0.6,6\n' \
    "$( [ "$1" = asgd ] && echo 0.85 || echo 0.8 )" > "$2/metrics.csv"
  : > "$2/events.jsonl"
  for k in 1 2 3; do
    printf '{"type":"round","t":%s,"round":%d,"participants":[0,1],"staleness":[%s],"worker_samples":[%s],"samples":96}\n' \
      "$(awk -v a="$3" -v k="$k" 'BEGIN { print a * k }')" "$k" "$4" "$5" >> "$2/events.jsonl"
  done
  printf '{"policy":"%s","clock":"simulated","target_accuracy":0.8,"utilization":0.5,"per_worker":[{"id":0,"speed":1.0},{"id":1,"speed":0.5}]}\n' \
    "$1" > "$2/summary.json"
}
# entry POLICY RUN_DIR ERROR(json) UTILIZATION(json): one element of comparison.json's list.
entry() {
  printf '{"policy":"%s","time_to_target_s":%s,"speedup_vs_ssgd":null,"speedup_vs_best_baseline":null,"final_accuracy":0.8,"utilization":%s,"rounds":3,"bytes_moved":1,"samples_dropped":0,"elapsed_s":1.5,"run_dir":"%s","error":%s}' \
    "$1" "$( [ "$3" = null ] && echo 1.5 || echo null )" "$4" "$2" "$3"
}
# describe DIR: runs the --compare mode with save() replaced by a recorder, printing
# "FILE: text" for each label, title, legend entry and annotation of each figure.
describe() {
  /usr/bin/python3 - "$here/tools" "$1" <<'PY'
import os, sys
sys.path.insert(0, sys.argv[1])
import plot
def record(fig, d, name):
    texts = [t.get_text() for t in fig.texts]
    for leg in fig.legends:
        texts += [t.get_text() for t in leg.get_texts()]
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        texts += [ax.get_xlabel(), ax.get_ylabel(), ax.get_title()]
        texts += [t.get_text() for t in ax.texts]
        texts += [t.get_text() for t in ax.get_xticklabels()]
        if ax.get_legend():
            texts += [t.get_text() for t in ax.get_legend().get_texts()]
    for t in texts:
        if t:
            print(f"{name}: " + " ".join(t.split()))
    plot.plt.close(fig)
    return os.path.join(d, name)
plot.save = record
plot.plot_comparison(sys.argv[2])
PY
}
has() { grep -qF -- "$2" "$1"; }

# A complete comparison: ssgd, asgd (asynchronous: stale contributions) and dbs, whose recorded
# run_dir is elsewhere (a moved comparison): found again as DIR/dbs.
cmp="$tmp/cmp"; mkdir -p "$cmp"
run_dir ssgd "$cmp/ssgd" 0.5 0,0 64,64
run_dir asgd "$cmp/asgd" 0.25 1,3 64,64
run_dir dbs "$cmp/dbs" 0.5 0,0 80,48
printf '{"clock":"simulated","target_accuracy":0.8,"policies":[%s,%s,%s]}\n' \
  "$(entry ssgd "$cmp/ssgd" null 0.4)" "$(entry asgd "$cmp/asgd" null 0.97)" \
  "$(entry dbs /elsewhere/dbs null 0.8)" > "$cmp/comparison.json"
out=$($plot --compare "$cmp" 2>"$tmp/err"); rc=$?
check "compare exits 0" '[ $rc -eq 0 ]'
for f in accuracy batch_sizes utilization staleness; do
  check "compare writes compare_$f.png" '[ -s "$cmp/compare_$f.png" ] && echo "$out" | grep -q "wrote $cmp/compare_$f.png"'
done
check "compare of complete runs warns of nothing" '[ ! -s "$tmp/err" ]'
check "compare leaves single-run plots alone" '[ ! -e "$cmp/ssgd/accuracy.png" ]'
describe "$cmp" > "$tmp/desc" 2>"$tmp/err"
check "accuracy: a legend entry per policy" 'has "$tmp/desc" "compare_accuracy.png: ssgd (target at 1.50 s)" && has "$tmp/desc" "compare_accuracy.png: asgd (" && has "$tmp/desc" "compare_accuracy.png: dbs ("'
check "accuracy: target line and axes" 'has "$tmp/desc" "compare_accuracy.png: target accuracy 0.8" && has "$tmp/desc" "compare_accuracy.png: virtual time (s)" && has "$tmp/desc" "compare_accuracy.png: test accuracy"'
check "accuracy: identical curves are pointed out" 'has "$tmp/desc" "compare_accuracy.png: dbs (target at 1.50 s; same curve as ssgd)"'
check "batch sizes: a panel per policy" 'for p in ssgd asgd dbs; do grep -qx "compare_batch_sizes.png: $p" "$tmp/desc" || exit 1; done'
check "batch sizes: workers named, axes labelled" 'has "$tmp/desc" "compare_batch_sizes.png: worker 1 (speed 0.5)" && has "$tmp/desc" "compare_batch_sizes.png: samples per round" && has "$tmp/desc" "compare_batch_sizes.png: virtual time (s)"'
check "batch sizes: equal batches are pointed out, unequal not" '[ "$(grep -c "compare_batch_sizes.png: all workers 64 samples" "$tmp/desc")" -eq 2 ]'
check "utilization: value labels and axes" 'has "$tmp/desc" "compare_utilization.png: 0.97" && has "$tmp/desc" "compare_utilization.png: 0.40" && has "$tmp/desc" "compare_utilization.png: utilization (fraction of cluster capacity)"'
check "staleness: asynchronous policy only" 'has "$tmp/desc" "compare_staleness.png: asgd: 6 contributions, max 3" && ! grep -q "compare_staleness.png: ssgd" "$tmp/desc" && ! grep -q "compare_staleness.png: dbs" "$tmp/desc"'
check "staleness: axes labelled" 'has "$tmp/desc" "compare_staleness.png: staleness (versions)" && has "$tmp/desc" "compare_staleness.png: contributions"'

# A failed policy: error set, no run directory. Its slot is kept and labelled; the rest plotted.
bad="$tmp/cmp_failed"; mkdir -p "$bad"
run_dir ssgd "$bad/ssgd" 0.5 0,0 64,64
run_dir asgd "$bad/asgd" 0.25 1,3 64,64
printf '{"clock":"real","target_accuracy":0.8,"policies":[%s,%s,%s]}\n' \
  "$(entry ssgd "$bad/ssgd" null 0.4)" "$(entry backup "$bad/backup" '"policy.backup.k: 9 is more than cluster.workers (2)"' null)" \
  "$(entry asgd "$bad/asgd" null 0.97)" > "$bad/comparison.json"
out=$($plot --compare "$bad" 2>"$tmp/err"); rc=$?
check "failed policy: exits 0" '[ $rc -eq 0 ]'
check "failed policy: all four plots written" '[ "$(echo "$out" | grep -c "^wrote .*compare_")" -eq 4 ]'
check "failed policy: warning names it and its directory" 'grep "backup" "$tmp/err" | grep -q "$bad/backup"'
describe "$bad" > "$tmp/desc" 2>/dev/null
check "failed policy: named in the accuracy legend" 'has "$tmp/desc" "compare_accuracy.png: backup (failed)"'
check "failed policy: real clock labels time (s)" 'has "$tmp/desc" "compare_accuracy.png: time (s)" && ! has "$tmp/desc" "virtual time"'
check "failed policy: utilization gap labelled" 'has "$tmp/desc" "compare_utilization.png: backup" && has "$tmp/desc" "compare_utilization.png: failed"'
check "failed policy: batch panel says why" 'has "$tmp/desc" "compare_batch_sizes.png: backup (failed)" && has "$tmp/desc" "compare_batch_sizes.png: failed: policy.backup.k"'

# A partial run: metrics.csv missing in one run directory; only what needs it is skipped.
rm "$bad/asgd/metrics.csv"
out=$($plot --compare "$bad" 2>"$tmp/err"); rc=$?
check "missing metrics.csv: exits 0, names the file" '[ $rc -eq 0 ] && grep -q "$bad/asgd/metrics.csv" "$tmp/err"'
check "missing metrics.csv: staleness still plotted" 'echo "$out" | grep -q compare_staleness.png'

# Synchronous policies only: no staleness plot, a note, still exit 0.
sync="$tmp/cmp_sync"; mkdir -p "$sync"
run_dir ssgd "$sync/ssgd" 0.5 0,0 64,64
printf '{"clock":"simulated","target_accuracy":0.8,"policies":[%s]}\n' "$(entry ssgd "$sync/ssgd" null 0.4)" > "$sync/comparison.json"
out=$($plot --compare "$sync" 2>"$tmp/err"); rc=$?
check "synchronous only: exits 0 without compare_staleness.png" '[ $rc -eq 0 ] && [ ! -e "$sync/compare_staleness.png" ] && [ -s "$sync/compare_accuracy.png" ]'
check "synchronous only: a note says so" 'grep -q "note: no asynchronous policy.*compare_staleness.png" "$tmp/err"'

# More than 16 workers: bands rather than one line per worker.
many="$tmp/cmp_many"; mkdir -p "$many"
run_dir abs_sgd "$many/abs_sgd" 0.5 1,1 64,64
: > "$many/abs_sgd/events.jsonl"
ids=$(seq -s, 0 19); ones=$(seq 0 19 | sed 's/.*/1/' | paste -sd,); sizes=$(seq 0 19 | sed 's/.*/3*&+8/' | bc | paste -sd,)
for k in 1 2 3; do
  printf '{"type":"round","t":%s,"participants":[%s],"staleness":[%s],"worker_samples":[%s]}\n' "$k" "$ids" "$ones" "$sizes" >> "$many/abs_sgd/events.jsonl"
done
printf '{"clock":"simulated","target_accuracy":0.8,"policies":[%s]}\n' "$(entry abs_sgd "$many/abs_sgd" null 0.9)" > "$many/comparison.json"
describe "$many" > "$tmp/desc" 2>/dev/null
check "many workers: bands, not one line each" 'has "$tmp/desc" "compare_batch_sizes.png: median worker" && has "$tmp/desc" "compare_batch_sizes.png: min – max over workers" && ! has "$tmp/desc" "worker 19"'
check "many workers: nonzero staleness makes abs_sgd asynchronous" 'has "$tmp/desc" "compare_staleness.png: abs_sgd: 60 contributions"'

# Nothing plottable: every policy failed; or no comparison.json at all. Non-zero exit.
none="$tmp/cmp_none"; mkdir -p "$none"
printf '{"clock":"simulated","target_accuracy":0.8,"policies":[%s,%s]}\n' \
  "$(entry ssgd "$none/ssgd" '"boom"' null)" "$(entry asgd "$none/asgd" '"boom"' null)" > "$none/comparison.json"
out=$($plot --compare "$none" 2>"$tmp/err"); rc=$?
check "nothing plottable: exits non-zero" '[ $rc -ne 0 ] && grep -q "no plot could be made" "$tmp/err"'
check "nothing plottable: writes nothing" '[ -z "$out" ] && [ -z "$(ls "$none"/*.png 2>/dev/null)" ]'
$plot --compare "$empty" >/dev/null 2>"$tmp/err"; rc=$?
check "no comparison.json: exits non-zero, names it" '[ $rc -ne 0 ] && grep -q "$empty/comparison.json" "$tmp/err"'
$plot --compare >/dev/null 2>&1; rc=$?
check "--compare without a directory: usage, exit 2" '[ $rc -eq 2 ]'

if [ $# -ge 1 ]; then
  if [ -f "$1/comparison.json" ]; then
    $plot --compare "$1"; rc=$?
    check "real comparison $1 exits 0" '[ $rc -eq 0 ]'
  else
    $plot "$1"; rc=$?
    check "real run $1 exits 0" '[ $rc -eq 0 ]'
  fi
fi
[ -n "${KEEP_PLOTS:-}" ] && cp -r "$tmp"/. "$KEEP_PLOTS"/
exit $fail
