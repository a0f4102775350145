#!/usr/bin/env bash
# Multi-process runs over loopback (cluster.mode = "processes"): an aggregator and worker
# processes train on real Fashion-MNIST; a worker killed with SIGKILL mid-run is booked exactly
# and a new process rejoins in its place; a worker with the wrong token is refused and logged;
# garbage sent to the aggregator's port does no harm; `hetsgd run` starts and reaps its own
# worker processes. Every wait has a deadline.
# Usage: test_processes.sh PATH/TO/hetsgd REPO_ROOT
set -u
BIN=$1
SRC=$2
TMP=$(mktemp -d)
[[ -n "${KEEP:-}" ]] && echo "keeping $TMP"
PY=/usr/bin/python3
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  [[ -n "${KEEP:-}" ]] || rm -rf "$TMP"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# A small, quick job: the MLP, 3 workers of speeds 1, 1, 0.5.
COMMON=(--set 'model.name="mlp"' --set cluster.workers=3 --set 'cluster.speeds=[1.0,1.0,0.5]'
        --set output.plots=false --set output.progress_every_s=0 --set train.eval_every_s=1.0
        --set cluster.request_timeout_s=60 --set cluster.heartbeat_timeout_s=3)

# start_aggregator NAME ARGS...: starts `hetsgd aggregator` with its output in $TMP/NAME.log,
# waits (60 s at most) for its "listening on" line, and sets PORT and AGG_PID.
start_aggregator() {
  local name=$1; shift
  "$BIN" aggregator "$@" > "$TMP/$name.log" 2>&1 &
  AGG_PID=$!
  pids+=("$AGG_PID")
  local line
  line=$(wait_line "$TMP/$name.log" "listening on" 1 60)
  PORT=""
  [[ $line =~ listening\ on\ 127\.0\.0\.1:([0-9]+) ]] && PORT=${BASH_REMATCH[1]}
  [[ -n $PORT ]] || fail "$name: aggregator did not listen: $(cat "$TMP/$name.log")"
}

start_worker() {  # start_worker LOG ARGS...: sets WPID
  local log=$1; shift
  "$BIN" worker --connect "127.0.0.1:$PORT" "$@" > "$TMP/$log" 2>&1 &
  WPID=$!
  pids+=("$WPID")
}

# wait_line FILE REGEX COUNT SECONDS: prints the COUNT-th line of FILE matching REGEX once it is
# there (the file may not exist yet); exit 1 at the deadline. It polls the file: tail -F | grep
# would outlive grep whenever SIGPIPE is ignored.
wait_line() {
  "$PY" - "$@" <<'PYEOF'
import re, sys, time
path, pattern, count, limit = sys.argv[1], re.compile(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
deadline = time.monotonic() + limit
while True:
    try:
        hits = [l for l in open(path, errors="replace") if pattern.search(l)]
    except FileNotFoundError:
        hits = []
    if len(hits) >= count:
        print(hits[count - 1], end="")
        sys.exit(0)
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(0.05)  # polling the file for the condition, with the deadline above
PYEOF
}

wait_for() {  # wait_for PID SECONDS: the exit status, or 124 after killing it at the deadline
  local pid=$1 limit=$2
  timeout "$limit" tail --pid="$pid" -f /dev/null || { kill -9 "$pid" 2>/dev/null; return 124; }
  wait "$pid"
}

check_summary() {  # check_summary RUN_DIR NAME: accuracy above chance, exact accounting
  "$PY" - "$1/summary.json" "$2" <<'PYEOF' || fail "$2: summary checks"
import json, sys
s = json.load(open(sys.argv[1])); name = sys.argv[2]
ok = True
def check(cond, what):
    global ok
    if not cond:
        print(f"FAIL: {name}: {what}"); ok = False
check(s["final_accuracy"] > 0.5, f"final accuracy {s['final_accuracy']} not above chance")
lhs = s["samples_computed"]
rhs = s["samples_applied"] + s["samples_dropped"] + s["samples_in_flight_at_end"]
check(lhs == rhs, f"accounting: computed {lhs} != applied + dropped + in flight {rhs}")
sys.exit(0 if ok else 1)
PYEOF
}

# 1. An aggregator and 3 worker processes each: ssgd and abs with their tensors through the
#    aggregator, dbs and abs_sgd (workers that never stop computing) with their rounds summed
#    by a Gloo all-reduce.
for case in ssgd:local abs:local dbs:gloo abs_sgd:gloo; do
  policy=${case%%:*}
  transport=${case##*:}
  start_aggregator "$policy" "$SRC/config/examples/default.toml" "${COMMON[@]}" \
    --set "policy.name=\"$policy\"" --set "cluster.transport=\"$transport\"" \
    --set train.max_samples=45000 --out "$TMP/run_$policy"
  w=()
  for i in 0 1 2; do start_worker "${policy}_w$i.log"; w+=("$WPID"); done
  wait_for "$AGG_PID" 180; rc=$?
  [[ $rc -eq 0 ]] || fail "$policy: aggregator exit $rc: $(cat "$TMP/$policy.log")"
  for i in 0 1 2; do
    wait_for "${w[$i]}" 30 || fail "$policy: worker process $i: $(cat "$TMP/${policy}_w$i.log")"
  done
  check_summary "$TMP/run_$policy" "$policy"
  grep -q '"change":"joined"' "$TMP/run_$policy/events.jsonl" || fail "$policy: no membership event"
done

# 2. One worker killed with SIGKILL mid-run; a new process takes its place and contributes; then
#    another is frozen (SIGSTOP), found by the heartbeat deadline, thawed, and joins again.
start_aggregator kill "$SRC/config/examples/default.toml" "${COMMON[@]}" \
  --set train.max_samples=150000 --out "$TMP/run_kill"
w=()
for i in 0 1 2; do start_worker "kill_w$i.log"; w+=("$WPID"); done
# Mid-run: after the 20th round has closed.
wait_line "$TMP/run_kill/events.jsonl" '"type":"round"' 20 60 > /dev/null || fail "kill: no rounds"
victim=${w[2]}
kill -9 "$victim"
victim_id=$(grep -o 'as worker [0-9]*' "$TMP/kill_w2.log" | grep -o '[0-9]*$')
wait_line "$TMP/run_kill/events.jsonl" '"change":"left"' 1 60 > /dev/null \
  || fail "kill: the loss was not seen"
start_worker kill_w3.log; w+=("$WPID")
wait_line "$TMP/run_kill/events.jsonl" '"change":"rejoined"' 1 60 > /dev/null || fail "kill: no rejoin"
# A frozen worker (SIGSTOP) keeps its socket open: only the heartbeat deadline finds it.
frozen=${w[0]}
frozen_id=$(grep -o 'as worker [0-9]*' "$TMP/kill_w0.log" | head -1 | grep -o '[0-9]*$')
left_re="\"change\":\"left\".*\"worker\":$frozen_id}"
rejoin_re="\"change\":\"rejoined\".*\"worker\":$frozen_id}"
left_before=$(grep -c "$left_re" "$TMP/run_kill/events.jsonl")
rejoin_before=$(grep -c "$rejoin_re" "$TMP/run_kill/events.jsonl")
kill -STOP "$frozen"
# Found by the application heartbeat or by CAF's connection timeout, whichever is first.
wait_line "$TMP/run_kill/events.jsonl" "$left_re" $((left_before + 1)) 30 > /dev/null \
  || fail "freeze: the frozen worker $frozen_id was not detected"
kill -CONT "$frozen"
# Thawed, it finds itself cut off and joins again.
wait_line "$TMP/run_kill/events.jsonl" "$rejoin_re" $((rejoin_before + 1)) 30 > /dev/null \
  || fail "freeze: the thawed worker did not rejoin: $(cat "$TMP/kill_w0.log")"
wait_for "$AGG_PID" 240; rc=$?
[[ $rc -eq 0 ]] || fail "kill: aggregator exit $rc: $(cat "$TMP/kill.log")"
check_summary "$TMP/run_kill" kill
grep -q "as worker $victim_id" "$TMP/kill_w3.log" || fail "kill: the new process did not take id $victim_id: $(cat "$TMP/kill_w3.log")"
"$PY" - "$TMP/run_kill" "$victim_id" <<'PYEOF' || fail "kill: crash accounting and rejoin"
import json, sys
run, victim = sys.argv[1], int(sys.argv[2])
s = json.load(open(run + "/summary.json"))
w = next(x for x in s["per_worker"] if x["id"] == victim)
events = [json.loads(l) for l in open(run + "/events.jsonl")]
rejoined = [e["t"] for e in events if e.get("type") == "membership" and e.get("worker") == victim
            and e.get("change") == "rejoined"][:1]
ok = True
if s["rejected_messages"] != 0:
    print("FAIL: rejected_messages", s["rejected_messages"]); ok = False
if w["crashes"] < 1 or w["incarnations"] < 2:
    print("FAIL: crashes", w["crashes"], "incarnations", w["incarnations"]); ok = False
if not rejoined:
    print("FAIL: no rejoined event"); ok = False
else:
    after = [e for e in events if e.get("type") == "round" and e["t"] > rejoined[0]
             and victim in e.get("participants", [])]
    if not after:
        print("FAIL: the rejoined worker never contributed"); ok = False
dropped = [e for e in events if e.get("type") == "dropped" and e.get("worker") == victim
           and e.get("reason") == "crashed"]
if not dropped:
    print("FAIL: no crashed-dropped event for the killed worker"); ok = False
sys.exit(0 if ok else 1)
PYEOF

# 3. The wrong token is refused and logged; garbage on the port does no harm; the right token
#    gets in and the run completes.
start_aggregator token "$SRC/config/examples/default.toml" "${COMMON[@]}" \
  --set cluster.workers=1 --set 'cluster.speeds=[1.0]' --set train.max_samples=20000 \
  --token s3cret --out "$TMP/run_token"
start_worker bad_token.log --token wrong
wait_for "$WPID" 30; rc=$?
[[ $rc -eq 2 ]] || fail "wrong token: worker exit $rc, want 2: $(cat "$TMP/bad_token.log")"
grep -q "wrong token" "$TMP/bad_token.log" || fail "wrong token: the worker is not told why"
# Not CAF's protocol at all: the middleman drops the connection, the aggregator keeps running.
head -c 4096 /dev/urandom > "/dev/tcp/127.0.0.1/$PORT" 2>/dev/null
printf 'GET / HTTP/1.0\r\n\r\n' > "/dev/tcp/127.0.0.1/$PORT" 2>/dev/null
start_worker good_token.log --token s3cret
wait_for "$WPID" 120 || fail "right token: worker failed: $(cat "$TMP/good_token.log")"
wait_for "$AGG_PID" 120; rc=$?
[[ $rc -eq 0 ]] || fail "token: aggregator exit $rc: $(cat "$TMP/token.log")
  worker: $(cat "$TMP/good_token.log")
  last events: $(tail -n 5 "$TMP/run_token/events.jsonl" 2>&1)"
grep -q '"type":"refused"' "$TMP/run_token/events.jsonl" || fail "wrong token: refusal not in events.jsonl"
grep -q "refused a worker" "$TMP/token.log" || fail "wrong token: refusal not on the aggregator's stderr"
grep -q 's3cret' "$TMP/run_token/config.toml" && fail "the token was written to config.toml"

# 3b. Mutual TLS (libcaf_openssl): a CA and one certificate it signed, made here with the openssl
#     tool. `hetsgd run` starts its workers with the aggregator's certificate and trains over
#     TLS; a worker without TLS, or with a certificate from another CA, never gets in, and bad
#     files are refused with exit 2 naming the key or flag.
if "$BIN" info | grep -q "^tls: compiled in" && command -v openssl > /dev/null; then
  mkcert() {  # mkcert DIR: DIR/ca.pem, DIR/node.pem, DIR/node.key
    mkdir -p "$1"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
      -subj /CN=hetsgd-test-ca -keyout "$1/ca.key" -out "$1/ca.pem" > /dev/null 2>&1 &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=hetsgd-node \
      -keyout "$1/node.key" -out "$1/node.csr" > /dev/null 2>&1 &&
    openssl x509 -req -in "$1/node.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" -CAcreateserial \
      -days 1 -out "$1/node.pem" > /dev/null 2>&1
  }
  mkcert "$TMP/pki" || fail "tls: could not make test certificates"
  mkcert "$TMP/other_pki" || fail "tls: could not make the other CA"
  TLS_SETS=(--set "cluster.tls_cert=\"$TMP/pki/node.pem\"" --set "cluster.tls_key=\"$TMP/pki/node.key\""
            --set "cluster.tls_ca=\"$TMP/pki/ca.pem\"")
  timeout 180 "$BIN" run "$SRC/config/examples/default.toml" "${COMMON[@]}" "${TLS_SETS[@]}" \
    --set 'cluster.mode="processes"' --set train.max_samples=20000 --out "$TMP/run_tls" \
    > "$TMP/tls.log" 2>&1
  rc=$?
  [[ $rc -eq 0 ]] || fail "tls: run with worker processes: exit $rc: $(cat "$TMP/tls.log")"
  check_summary "$TMP/run_tls" "tls"
  # An aggregator over TLS; a plain worker and one with another CA's certificate are both kept
  # out (each gives up after --reconnect), then a worker with the right files trains.
  start_aggregator tls_agg "$SRC/config/examples/default.toml" "${COMMON[@]}" "${TLS_SETS[@]}" \
    --set cluster.workers=1 --set 'cluster.speeds=[1.0]' --set train.max_samples=10000 \
    --out "$TMP/run_tls_agg"
  timeout 60 "$BIN" worker --connect "127.0.0.1:$PORT" --reconnect 2 > "$TMP/tls_plain.log" 2>&1
  rc=$?
  [[ $rc -eq 1 ]] || fail "tls: a plain worker: exit $rc, want 1: $(cat "$TMP/tls_plain.log")"
  grep -qF "the aggregator may require TLS" "$TMP/tls_plain.log" \
    || fail "tls: a plain worker is not told why: $(cat "$TMP/tls_plain.log")"
  timeout 60 "$BIN" worker --connect "127.0.0.1:$PORT" --reconnect 2 \
    --tls-cert "$TMP/other_pki/node.pem" --tls-key "$TMP/other_pki/node.key" \
    --tls-ca "$TMP/other_pki/ca.pem" > "$TMP/tls_other.log" 2>&1
  rc=$?
  [[ $rc -eq 1 ]] || fail "tls: another CA's worker: exit $rc, want 1: $(cat "$TMP/tls_other.log")"
  start_worker tls_good.log --tls-cert "$TMP/pki/node.pem" --tls-key "$TMP/pki/node.key" \
    --tls-ca "$TMP/pki/ca.pem"
  wait_for "$WPID" 120 || fail "tls: the right worker failed: $(cat "$TMP/tls_good.log")"
  wait_for "$AGG_PID" 120; rc=$?
  [[ $rc -eq 0 ]] || fail "tls: aggregator exit $rc: $(cat "$TMP/tls_agg.log")"
  check_summary "$TMP/run_tls_agg" "tls aggregator"
  grep -c '"change":"joined"' "$TMP/run_tls_agg/events.jsonl" | grep -qx 1 \
    || fail "tls: someone other than the right worker joined"
  # Bad files: named, exit 2, nothing started.
  timeout 60 "$BIN" worker --connect 127.0.0.1:1 --tls-cert "$TMP/pki/node.pem" \
    --tls-key "$TMP/pki/ca.key" --tls-ca "$TMP/pki/ca.pem" > "$TMP/tls_badkey.log" 2>&1
  rc=$?
  [[ $rc -eq 2 ]] || fail "tls: mismatched key: exit $rc, want 2"
  grep -qF -- "--tls-key: $TMP/pki/ca.key does not match the certificate" "$TMP/tls_badkey.log" \
    || fail "tls: mismatched key: $(cat "$TMP/tls_badkey.log")"
  timeout 60 "$BIN" run "$SRC/config/examples/default.toml" "${COMMON[@]}" \
    --set 'cluster.mode="processes"' --set "cluster.tls_cert=\"$TMP/pki/node.pem\"" \
    --out "$TMP/run_tls_half" > "$TMP/tls_half.log" 2>&1
  rc=$?
  [[ $rc -eq 2 ]] || fail "tls: certificate without key: exit $rc, want 2"
  grep -qF "cluster.tls_key: TLS needs a certificate, its key and the CA file" "$TMP/tls_half.log" \
    || fail "tls: certificate without key: $(cat "$TMP/tls_half.log")"
else
  echo "tls: not compiled in or no openssl tool here; TLS cases skipped"
fi

# 4. `hetsgd run` with cluster.mode = "processes" starts its workers and leaves none behind.
timeout 180 "$BIN" run "$SRC/config/examples/default.toml" "${COMMON[@]}" \
  --set 'cluster.mode="processes"' --set train.max_samples=30000 --out "$TMP/run_local" \
  > "$TMP/local.log" 2>&1
rc=$?
[[ $rc -eq 0 ]] || fail "run with worker processes: exit $rc: $(cat "$TMP/local.log")"
check_summary "$TMP/run_local" "run (processes)"
pgrep -f "worker --connect 127.0.0.1:.* --exit-with-parent" > /dev/null \
  && fail "run left worker processes behind"

# 4b. SIGUSR1 pauses a run with worker processes and the next one resumes it. The pause lasts
#     longer than cluster.request_timeout_s (6 s here): the workers' push deadlines wait while
#     paused and their heartbeats go on, so nobody fails or is expelled, and the run ends well.
#     That setting is also the deadline for the workers' first join, which 3 s missed when the
#     test ran beside another heavy one (three processes loading LibTorch and the data set).
#     Under the sanitizers (HETSGD_TEST_TIME_SCALE, tools/test_sanitized.sh) a process starts
#     several times slower, so both the deadline and the pause scale with it.
scale=${HETSGD_TEST_TIME_SCALE:-1}
"$BIN" run "$SRC/config/examples/default.toml" "${COMMON[@]}" \
  --set 'cluster.mode="processes"' --set 'cluster.transport="gloo"' \
  --set cluster.request_timeout_s=$((6 * scale)) --set train.max_samples=30000 --out "$TMP/run_pause" \
  > "$TMP/pause.log" 2>&1 &
run_pid=$!
pids+=("$run_pid")
wait_line "$TMP/run_pause/events.jsonl" '"type":"round"' 20 90 > /dev/null || fail "pause: no rounds"
kill -USR1 "$run_pid"
wait_line "$TMP/run_pause/events.jsonl" '"action":"pause"' 1 30 > /dev/null || fail "pause: no pause"
# The pause under test lasts 8 s, 2 s past the deadline: this sleep is its length, not a wait
# for something to happen.
sleep $((8 * scale))
kill -USR1 "$run_pid"
wait_line "$TMP/run_pause/events.jsonl" '"action":"resume"' 1 30 > /dev/null || fail "pause: no resume"
wait_for "$run_pid" 180; rc=$?
[[ $rc -eq 0 ]] || fail "pause: exit $rc: $(cat "$TMP/pause.log")"
grep -q "hetsgd: paused (send SIGUSR1 again to resume)" "$TMP/pause.log" || fail "pause: not told"
check_summary "$TMP/run_pause" "pause"
"$PY" - "$TMP/run_pause" "$((8 * scale))" <<'PYEOF' || fail "pause: events and summary"
import json, sys
run = sys.argv[1]
s = json.load(open(run + "/summary.json"))
events = [json.loads(l) for l in open(run + "/events.jsonl")]
ok = True
def check(cond, what):
    global ok
    if not cond:
        print("FAIL: pause:", what); ok = False
pause_s = float(sys.argv[2])  # how long the test held the pause
check(s["pauses"] == 1 and s["paused_s"] >= pause_s, f"pauses {s['pauses']}, paused_s {s['paused_s']}")
kinds = [e["type"] for e in events]
check("worker_failed" not in kinds, "a worker failed while paused")
end_at = next(i for i, e in enumerate(events) if e["type"] == "end")  # workers leave after it
check(not [e for e in events[:end_at] if e["type"] == "membership" and e["change"] == "left"],
      "a worker was expelled while paused")
pause_at = next(i for i, e in enumerate(events) if e["type"] == "control" and e["action"] == "pause")
resume_at = next(i for i, e in enumerate(events) if e["type"] == "control" and e["action"] == "resume")
paused_rounds = [e for e in events[pause_at:resume_at] if e["type"] == "round"]
check(len(paused_rounds) <= 1, f"{len(paused_rounds)} rounds closed while paused")
check(any(e["type"] == "round" for e in events[resume_at:]), "no round after the resume")
sys.exit(0 if ok else 1)
PYEOF

# 5. One process, the workers' rounds summed by Gloo over loopback instead of in memory, under
#    every policy whose rounds take every worker. local_sgd and wp_sgd average models with
#    weights (each worker scales its own before the sum): an unweighted sum of 3 models would
#    not learn.
for policy in ssgd abs_sgd local_sgd wp_sgd; do
  timeout 180 "$BIN" run "$SRC/config/examples/default.toml" "${COMMON[@]}" \
    --set "policy.name=\"$policy\"" --set 'cluster.transport="gloo"' \
    --set train.max_samples=30000 --out "$TMP/run_threads_gloo_$policy" \
    > "$TMP/threads_gloo_$policy.log" 2>&1
  rc=$?
  [[ $rc -eq 0 ]] || fail "threads + gloo, $policy: exit $rc: $(cat "$TMP/threads_gloo_$policy.log")"
  check_summary "$TMP/run_threads_gloo_$policy" "threads + gloo, $policy"
  grep -q '"type":"collective_failed"' "$TMP/run_threads_gloo_$policy/events.jsonl" \
    && fail "threads + gloo, $policy: an all-reduce failed on a quiet loopback"
  grep -q '"type":"round"' "$TMP/run_threads_gloo_$policy/events.jsonl" \
    || fail "threads + gloo, $policy: no round"
done

# 5b. Replicated optimizer: under ssgd with Gloo each worker takes the aggregator's SGD step
#     (momentum 0.9, weight decay) itself on the summed gradient. Its weights must hash to the
#     aggregator's every round (no resync), the weights must go down only once per worker, and
#     the trajectory must be exactly the one with the weights sent every round.
for replicate in true false; do
  timeout 180 "$BIN" run "$SRC/config/examples/default.toml" "${COMMON[@]}" \
    --set 'cluster.transport="gloo"' --set train.momentum=0.9 --set train.weight_decay=0.0005 \
    --set cluster.replicate_optimizer=$replicate --set train.max_samples=20000 \
    --out "$TMP/run_replicate_$replicate" > "$TMP/replicate_$replicate.log" 2>&1 \
    || fail "replicate_optimizer=$replicate: $(cat "$TMP/replicate_$replicate.log")"
done
"$PY" - "$TMP/run_replicate_true" "$TMP/run_replicate_false" <<'PYEOF' || fail "replicated optimizer"
import json, sys
on, off = (json.load(open(d + "/summary.json")) for d in sys.argv[1:3])
events = [json.loads(l) for l in open(sys.argv[1] + "/events.jsonl")]
model_bytes = 235146 * 4
ok = True
def check(cond, what):
    global ok
    if not cond:
        print("FAIL: replicated optimizer:", what); ok = False
check(not [e for e in events if e.get("type") == "resync"], "a replica had to ask for the weights")
# Replicas start their next job on their own step, before the release (start_early_job); the
# trajectory check below holds them to the weights sent every round, bit for bit.
early = sum(w["early_jobs"] for w in on["per_worker"])
check(early > on["rounds"] // 2, f"only {early} early jobs in {on['rounds']} rounds")
check(sum(w["early_jobs"] for w in off["per_worker"]) == 0, "early jobs without replicas")
check(on["rounds"] > 50, f"only {on['rounds']} rounds")
check(on["bytes_moved"] <= 2 * 3 * model_bytes,
      f"{on['bytes_moved']} bytes moved: the weights still go down every round")
check(off["bytes_moved"] >= off["rounds"] * model_bytes, "without replicas the weights must go down")
check(on["final_accuracy"] == off["final_accuracy"] and on["final_loss"] == off["final_loss"],
      f"trajectories differ: {on['final_accuracy']}/{on['final_loss']} vs "
      f"{off['final_accuracy']}/{off['final_loss']}")
sys.exit(0 if ok else 1)
PYEOF

# 5c. Hosted workers (cluster.hosted_workers = 1): worker 0 runs in the aggregator's process, the
#     other two are processes. The aggregator puts worker 0's gradient into its own rank of the
#     Gloo all-reduce (3 ranks, not 4); every round still takes all three workers, the two
#     replicas step without a resync, and only two worker processes are started.
timeout 180 "$BIN" run "$SRC/config/examples/default.toml" "${COMMON[@]}" \
  --set 'cluster.mode="processes"' --set 'cluster.transport="gloo"' --set cluster.hosted_workers=1 \
  --set train.momentum=0.9 \
  --set train.max_samples=20000 --out "$TMP/run_hosted" > "$TMP/hosted.log" 2>&1 \
  || fail "hosted worker: $(cat "$TMP/hosted.log")"
grep -q "for 2 workers (1 more run here)" "$TMP/hosted.log" \
  || fail "hosted worker: not 2 worker processes: $(head -5 "$TMP/hosted.log")"
check_summary "$TMP/run_hosted" "hosted worker"
"$PY" - "$TMP/run_hosted" <<'PYEOF' || fail "hosted worker: rounds"
import json, sys
s = json.load(open(sys.argv[1] + "/summary.json"))
events = [json.loads(l) for l in open(sys.argv[1] + "/events.jsonl")]
rounds = [e for e in events if e.get("type") == "round"]
ok = True
def check(cond, what):
    global ok
    if not cond:
        print("FAIL: hosted worker:", what); ok = False
check(len(rounds) > 50, f"only {len(rounds)} rounds")
check(all(sorted(r["participants"]) == [0, 1, 2] for r in rounds), "a round without every worker")
check(not [e for e in events if e.get("type") in ("resync", "collective_failed")],
      "a replica resynced or an all-reduce failed")
check(s["rejected_messages"] == 0, f"{s['rejected_messages']} pushes rejected")
check(all(w["samples"] > 0 for w in s["per_worker"]), "a worker computed nothing")
sys.exit(0 if ok else 1)
PYEOF

# 6. A worker that cannot reach any aggregator gives up after --reconnect seconds.
timeout 30 "$BIN" worker --connect 127.0.0.1:1 --reconnect 1 > "$TMP/noagg.log" 2>&1
rc=$?
[[ $rc -eq 1 ]] || fail "no aggregator: worker exit $rc, want 1"
grep -q "cannot reach the aggregator" "$TMP/noagg.log" || fail "no aggregator: message: $(cat "$TMP/noagg.log")"

# 7. Two hosts: the aggregator in one network namespace, two workers in another, joined by a
#    veth pair (10.231.N.1 and .2). Beyond loopback: a token is required, and the rounds are
#    summed by Gloo across the two "hosts". Needs root and `ip netns`; skipped otherwise.
NS_A=hetsgd_a_$$
NS_B=hetsgd_b_$$
netns_cleanup() { ip netns del "$NS_A" 2> /dev/null; ip netns del "$NS_B" 2> /dev/null; }
if [[ $(id -u) -eq 0 ]] && command -v ip > /dev/null && ip netns add "$NS_A" 2> /dev/null; then
  trap 'netns_cleanup; cleanup' EXIT
  NET=10.231.$(( $$ % 250 ))
  ip netns add "$NS_B" &&
  ip link add "va$$" type veth peer name "vb$$" &&
  ip link set "va$$" netns "$NS_A" && ip link set "vb$$" netns "$NS_B" &&
  ip -n "$NS_A" addr add "$NET.1/24" dev "va$$" && ip -n "$NS_B" addr add "$NET.2/24" dev "vb$$" &&
  ip -n "$NS_A" link set "va$$" up && ip -n "$NS_B" link set "vb$$" up &&
  ip -n "$NS_A" link set lo up && ip -n "$NS_B" link set lo up \
    || fail "netns: could not set up the two namespaces"
  ip netns exec "$NS_A" "$BIN" aggregator "$SRC/config/examples/default.toml" "${COMMON[@]}" \
    --set cluster.workers=2 --set 'cluster.speeds=[1.0,0.5]' --set 'cluster.transport="gloo"' \
    --set train.max_samples=20000 --listen "$NET.1:0" --token netns-secret \
    --out "$TMP/run_netns" > "$TMP/netns_agg.log" 2>&1 &
  AGG_PID=$!
  pids+=("$AGG_PID")
  line=$(wait_line "$TMP/netns_agg.log" "listening on" 1 60)
  NPORT=""
  [[ $line =~ listening\ on\ [0-9.]+:([0-9]+) ]] && NPORT=${BASH_REMATCH[1]}
  [[ -n $NPORT ]] || fail "netns: aggregator did not listen: $(cat "$TMP/netns_agg.log")"
  w=()
  for i in 0 1; do
    ip netns exec "$NS_B" "$BIN" worker --connect "$NET.1:$NPORT" --token netns-secret \
      --host "$NET.2" > "$TMP/netns_w$i.log" 2>&1 &
    w+=("$!"); pids+=("$!")
  done
  wait_for "$AGG_PID" 180; rc=$?
  [[ $rc -eq 0 ]] || fail "netns: aggregator exit $rc: $(cat "$TMP/netns_agg.log")"
  for i in 0 1; do
    wait_for "${w[$i]}" 30 || fail "netns: worker $i: $(cat "$TMP/netns_w$i.log")"
  done
  check_summary "$TMP/run_netns" "netns"
  grep -q '"type":"collective_failed"' "$TMP/run_netns/events.jsonl" \
    && fail "netns: an all-reduce across the namespaces failed"
  grep -q "joined from" "$TMP/netns_agg.log" || fail "netns: no worker joined"
  netns_cleanup
else
  echo "netns: needs root and ip netns; the two-host case is skipped"
fi

if [[ $failures -gt 0 ]]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all process tests passed"
