#!/bin/sh
# Checks tools/plot.py on synthetic run directories: a complete one, header-only metrics.csv,
# missing events.jsonl, zero rounds, and nothing to plot. Needs /usr/bin/python3 + matplotlib.
# Usage: tests/tools/test_plot.sh [REAL_RUN_DIR]   (optionally also plots a real run)
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

if [ $# -ge 1 ]; then
  $plot "$1"; rc=$?
  check "real run $1 exits 0" '[ $rc -eq 0 ]'
fi
[ -n "${KEEP_PLOTS:-}" ] && cp -r "$tmp"/. "$KEEP_PLOTS"/
exit $fail
