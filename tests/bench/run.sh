#!/usr/bin/env bash
# The ingest benchmark: starts chaukas-gateway (tests/bench/bench_config.yaml) and a null grpc++
# server (reference_server), drives them with h2load (gRPC) and wrk (HTTP), and prints a Markdown
# table of requests/s, events/s and p50/p99 latency per case, the gateway/reference ratio on
# unary gRPC, and the first targets. Then upstream forwarding: a second chaukas-gateway
# (tests/bench/upstream_config.yaml) forwards to the same reference_server over a `protocol:
# grpc` cluster, against nginx's grpc_pass in front of it as the pass-through baseline, with the
# upstream calls the gateway's batching needed, and latency at half the gateway's maximum rate
# (paced_client), and what tenant_auth + rate_limit cost that gateway (tests/bench/auth_config.yaml,
# in back-to-back pairs). A benchmark, not a test: a missed target is printed, never an exit status.
#
# usage: tests/bench/run.sh BUILD_DIR        (make bench builds build/bench in Release and runs it)
#
# Environment (all optional):
#   BENCH_QUICK=1            about one minute in all: short cases, one reference/gateway round
#   BENCH_DURATION=S         seconds per measured case (default 10, quick 3)
#   BENCH_WARMUP=S           seconds of warm-up per case, also used to size the run (default 2,
#                            quick 1)
#   BENCH_ROUNDS=N           reference/gateway unary alternations; the best of each is used
#                            (default 2, quick 1)
#   BENCH_AUTH_ROUNDS=N      back-to-back pairs of the grpc-cluster gateway without and with
#                            tenant_auth + rate_limit (default 4, quick 2)
#   BENCH_UNARY_CLIENTS / BENCH_UNARY_STREAMS   h2load -c / -m for gRPC unary (8 / 16)
#   BENCH_BATCH_CLIENTS / BENCH_BATCH_STREAMS   h2load -c / -m for gRPC batch (8 / 2)
#   BENCH_HTTP_THREADS / BENCH_HTTP_CONNECTIONS  wrk -t / -c (2 / 16)
#   BENCH_PACED_MAX_IN_FLIGHT  paced_client --max-in-flight for the half-load latency rows (1000)
#   BENCH_REFERENCE_ARGS     extra reference_server flags, e.g. "--mutex-deadlock-detection on"
#   BENCH_NGINX_WORKERS=N    nginx worker_processes (default auto: one per core)
#   BENCH_KEEP=1             keep the temporary directory (bodies, logs, h2load logs, the sink)
#
# Each gRPC case is measured with a fixed request count (sized from the warm-up's rate to last
# about BENCH_DURATION), so afterwards the gateway's accepted-events counter must have grown by
# exactly requests x events per request: gRPC errors travel as HTTP 200 + grpc-status trailers,
# which h2load counts as successes, and this check is what catches them. Calls to the reference
# (directly or through nginx) are checked the same way against its own counts (--count-file).
set -euo pipefail

if (($# != 1)); then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
bench_src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=/usr/bin/python3 # the first python3 on PATH may be another interpreter

quick=${BENCH_QUICK:-0}
if [[ $quick == 1 ]]; then
  duration=${BENCH_DURATION:-3}
  warmup=${BENCH_WARMUP:-1}
  rounds=${BENCH_ROUNDS:-1}
  auth_rounds=${BENCH_AUTH_ROUNDS:-2}
else
  duration=${BENCH_DURATION:-10}
  warmup=${BENCH_WARMUP:-2}
  rounds=${BENCH_ROUNDS:-2}
  auth_rounds=${BENCH_AUTH_ROUNDS:-4}
fi
unary_clients=${BENCH_UNARY_CLIENTS:-8}
unary_streams=${BENCH_UNARY_STREAMS:-16}
batch_clients=${BENCH_BATCH_CLIENTS:-8}
batch_streams=${BENCH_BATCH_STREAMS:-2}
http_threads=${BENCH_HTTP_THREADS:-2}
paced_max_in_flight=${BENCH_PACED_MAX_IN_FLIGHT:-1000}
http_connections=${BENCH_HTTP_CONNECTIONS:-16}

unary_target_ratio=0.5
batch_target_events_per_second=150000
upstream_unary_target_ratio=1.5 # gateway with a grpc cluster / nginx grpc_pass, unary calls/s
upstream_batching_target=50     # client calls per upstream call, at least
auth_cost_target_percent=5      # tenant_auth + rate_limit, of the gateway's unary calls/s

grpc_service=chaukas.spec.client.v1.ChaukasClientService

log() { echo "bench: $*" >&2; }
warn() { printf '\nbench: WARNING: %s\n\n' "$*" >&2; }
die() {
  echo "bench: $*" >&2
  exit 1
}

for tool in h2load wrk curl; do
  command -v "$tool" > /dev/null || die "$tool not found: run bash scripts/setup.sh --bench"
done
[[ -x $python ]] || die "$python not found"

# The first existing path among the arguments.
find_binary() {
  local path
  for path in "$@"; do
    if [[ -x $path ]]; then
      echo "$path"
      return 0
    fi
  done
  return 1
}
reference_bin=$(find_binary "$build_dir/tests/bench/reference_server" "$build_dir/bin/reference_server") ||
  die "reference_server not built in $build_dir (ninja -C $build_dir reference_server)"
bodies_bin=$(find_binary "$build_dir/tests/bench/make_bench_bodies" "$build_dir/bin/make_bench_bodies") ||
  die "make_bench_bodies not built in $build_dir (ninja -C $build_dir make_bench_bodies)"
gateway_bin=$(find_binary "$build_dir/bin/chaukas-gateway" "$build_dir/gateway/chaukas-gateway") || gateway_bin=""
paced_bin=$(find_binary "$build_dir/tests/bench/paced_client" "$build_dir/bin/paced_client") || paced_bin=""
nginx_bin=$(command -v nginx || find_binary /usr/sbin/nginx) || nginx_bin=""

# --- processes and cleanup ---------------------------------------------------------------------

work_dir=$(mktemp -d "${TMPDIR:-/tmp}/chaukas-bench.XXXXXX")
started_pids=()

stop_process() { # pid: SIGTERM, then SIGKILL after 10 s
  local pid=$1 i
  kill -TERM "$pid" 2> /dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
}

forget_pid() { # pid: no longer ours to stop
  local kept=() pid
  for pid in "${started_pids[@]}"; do [[ $pid == "$1" ]] || kept+=("$pid"); done
  started_pids=("${kept[@]}")
}

cleanup() {
  local pid
  for pid in "${started_pids[@]}"; do stop_process "$pid"; done
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then
    log "kept $work_dir"
  else
    rm -rf "$work_dir"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a load generator in the background and waits for it, so a signal to this script runs the
# cleanup at once instead of after the load generator finishes. Output goes to $1.
run_load() {
  local output=$1
  shift
  "$@" > "$output" 2>&1 &
  local pid=$!
  started_pids+=("$pid")
  local status=0
  wait "$pid" || status=$?
  forget_pid "$pid"
  return "$status"
}

# Waits up to 30 s for a file to appear while the process lives.
wait_for_file() {
  local file=$1 pid=$2 name=$3 i
  for ((i = 0; i < 300; i++)); do
    [[ -s $file ]] && return 0
    kill -0 "$pid" 2> /dev/null || die "$name exited before it was ready; its log: $(tail -n 20 "$work_dir/$name.log")"
    sleep 0.1
  done
  die "$name not ready after 30 s; its log: $(tail -n 20 "$work_dir/$name.log")"
}

clock_ticks=$(getconf CLK_TCK)

# CPU seconds (user + system) a process and its child processes (nginx's workers) have used so
# far; 0 without a PID.
process_cpu_seconds() {
  [[ -n ${1:-} ]] || {
    echo 0
    return
  }
  local pid
  for pid in "$1" $(pgrep -P "$1"); do cat "/proc/$pid/stat" 2> /dev/null; done |
    awk -v ticks="$clock_ticks" '{ sub(/^.*\) /, ""); total += $12 + $13 }
      END { printf "%.3f\n", total / ticks }'
}

# Sets children_cpu to the CPU seconds (user + system) of every waited-for child of this shell so
# far. `times` must run in this shell, not in a $(...) subshell, to see them.
children_cpu=0
measure_children_cpu() {
  times > "$work_dir/times"
  children_cpu=$(awk 'NR == 2 {
    total = 0
    for (i = 1; i <= 2; i++) { split($i, p, "m"); sub(/s$/, "", p[2]); total += p[1] * 60 + p[2] }
    printf "%.3f\n", total }' "$work_dir/times")
}

# CPU seconds the whole machine has spent in processes (user, nice, system) or lost to the host
# (steal) so far. Interrupt and softirq time are left out: loopback networking for our own load
# lands there, and is not noise.
machine_cpu_seconds() {
  awk -v ticks="$clock_ticks" '$1 == "cpu" { printf "%.3f\n", ($2 + $3 + $4 + $9) / ticks; exit }' \
    /proc/stat
}

# cpu_begin PID [UPSTREAM_PID] / cpu_end PID ELAPSED EVENTS CLIENT_NAME [UPSTREAM_PID]: CPU over
# the measured part of a case, of the server, of its upstream (the reference behind nginx or a
# gateway's grpc cluster), of the load generator, and of everything else on the machine (other
# engineers' builds and benchmarks: they share these cores). cpu_end sets cpu_note and
# server_us_per_event (the server's CPU µs per event), and keeps the largest "others" share in
# max_other_cores.
max_other_cores=0
cpu_begin() {
  cpu_server_before=$(process_cpu_seconds "$1")
  cpu_upstream_before=$(process_cpu_seconds "${2:-}")
  measure_children_cpu
  cpu_client_before=$children_cpu
  cpu_machine_before=$(machine_cpu_seconds)
}
cpu_end() {
  local pid=$1 elapsed=$2 events=$3 client=$4 upstream_pid=${5:-}
  local server_after upstream_after client_after machine_after other
  server_after=$(process_cpu_seconds "$pid")
  upstream_after=$(process_cpu_seconds "$upstream_pid")
  measure_children_cpu
  client_after=$children_cpu
  machine_after=$(machine_cpu_seconds)
  read -r cpu_note other server_us_per_event < <(awk -v s="$elapsed" -v e="$events" -v client="$client" \
    -v server="$(awk -v a="$server_after" -v b="$cpu_server_before" 'BEGIN { print a - b }')" \
    -v upstream="$(awk -v a="$upstream_after" -v b="$cpu_upstream_before" 'BEGIN { print a - b }')" \
    -v has_upstream="${upstream_pid:+1}" \
    -v loadgen="$(awk -v a="$client_after" -v b="$cpu_client_before" 'BEGIN { print a - b }')" \
    -v machine="$(awk -v a="$machine_after" -v b="$cpu_machine_before" 'BEGIN { print a - b }')" \
    'BEGIN {
      other = machine - server - upstream - loadgen
      if (other < 0) other = 0
      printf "server_%.2f_cores,_%.1f_µs_CPU/event;", server / s, server * 1e6 / e
      if (has_upstream) printf "_upstream_%.2f_cores;", upstream / s
      printf "_%s_%.2f_cores;_others_%.2f_cores %.2f %.3f\n", client, loadgen / s, other / s,
        other / s, server * 1e6 / e }')
  cpu_note=${cpu_note//_/ }
  if awk -v a="$other" -v b="$max_other_cores" 'BEGIN { exit !(a > b) }'; then
    max_other_cores=$other
  fi
}

# --- the gateway's accepted-events counter -----------------------------------------------------

admin_address=""

# Sum of listener.<name>.events_accepted over the listeners (the tenant.* series count the same
# events again, so only listener.* lines are summed); empty when the counter is missing.
accepted_events() {
  curl -sf --max-time 5 "http://$admin_address/stats" |
    awk -F': ' '$1 ~ /^listener\./ && $1 ~ /events_accepted/ { sum += $2; found = 1 }
      END { if (found) printf "%.0f\n", sum }'
}

# The counter once it stops moving (requests of a finished run may still be finishing).
settled_accepted_events() {
  local previous current i
  previous=$(accepted_events)
  for ((i = 0; i < 50; i++)); do
    sleep 0.2
    current=$(accepted_events)
    [[ $current == "$previous" ]] && break
    previous=$current
  done
  echo "$previous"
}

# --- the reference's counts ---------------------------------------------------------------------

# The reference's counts so far, "client_calls client_events server_calls server_events
# healthz_calls": SIGUSR1 makes it rewrite its --count-file. Empty when it does not answer.
reference_counts() {
  local file=$work_dir/reference.counts i
  rm -f "$file"
  kill -USR1 "$reference_pid" 2> /dev/null || return 0
  for ((i = 0; i < 250; i++)); do
    if [[ -s $file ]]; then
      awk '{ count[$1] = $2 } END { print count["client_calls"], count["client_events"],
        count["server_calls"], count["server_events"], count["healthz_calls"] }' "$file"
      return 0
    fi
    sleep 0.02
  done
}

# The counts once they stop moving (a gateway's last batches may still be on their way).
settled_reference_counts() {
  local previous current i
  previous=$(reference_counts)
  for ((i = 0; i < 50; i++)); do
    sleep 0.2
    current=$(reference_counts)
    [[ $current == "$previous" ]] && break
    previous=$current
  done
  echo "$previous"
}

# --- checks on a case, appending to the caller's `notes` -----------------------------------------

# check_accepted LABEL BEFORE AFTER EXPECTED: the gateway's accepted-events counter grew by exactly
# EXPECTED. Sets accepted_delta (empty when unknown).
check_accepted() {
  local label=$1 before=$2 after=$3 expected=$4
  accepted_delta=""
  if [[ -z $before || -z $after ]]; then
    warn "$label: no listener.*events_accepted counter in the gateway's /stats: cannot check that the calls succeeded"
    notes+=("**accepted count unknown**")
    return
  fi
  accepted_delta=$((after - before))
  if ((accepted_delta != expected)); then
    warn "$label: the gateway accepted $accepted_delta events, expected $expected: some gRPC calls failed (grpc-status != 0) although HTTP said 200"
    notes+=("**accepted $accepted_delta of $expected events**")
  else
    notes+=("accepted $accepted_delta/$expected")
  fi
}

# check_reference_received LABEL COUNTS_BEFORE COUNTS_AFTER EXPECTED: the reference's client
# service (called directly or through nginx) received exactly EXPECTED events.
check_reference_received() {
  local label=$1 expected=$4 received
  if [[ -z $2 || -z $3 ]]; then
    warn "$label: the reference did not report its counts"
    notes+=("**reference counts unknown**")
    return
  fi
  received=$(($(echo "$3" | cut -d' ' -f2) - $(echo "$2" | cut -d' ' -f2)))
  if ((received != expected)); then
    warn "$label: the reference received $received events, expected $expected: some gRPC calls failed (grpc-status != 0) although HTTP said 200"
    notes+=("**reference received $received of $expected events**")
  else
    notes+=("reference received $received/$expected")
  fi
}

# check_forwarded LABEL COUNTS_BEFORE COUNTS_AFTER ACCEPTED CLIENT_CALLS: every event the gateway
# accepted reached the reference's server service (counted once the counts stop moving). Sets
# upstream_calls_per_1000 (upstream calls per 1000 client calls; empty when unknown).
check_forwarded() {
  local label=$1 accepted=$4 client_calls=$5 calls events
  upstream_calls_per_1000=""
  if [[ -z $2 || -z $3 ]]; then
    warn "$label: the reference did not report its counts: upstream calls unknown"
    notes+=("**upstream counts unknown**")
    return
  fi
  calls=$(($(echo "$3" | cut -d' ' -f3) - $(echo "$2" | cut -d' ' -f3)))
  events=$(($(echo "$3" | cut -d' ' -f4) - $(echo "$2" | cut -d' ' -f4)))
  upstream_calls_per_1000=$(awk -v u="$calls" -v c="$client_calls" \
    'BEGIN { if (c > 0) printf "%.2f", 1000 * u / c }')
  local summary
  summary=$(awk -v u="$calls" -v e="$events" -v c="$client_calls" 'BEGIN {
    printf "upstream %d calls = %.2f per 1000 client calls, %.0f events per call", u,
      (c > 0 ? 1000 * u / c : 0), (u > 0 ? e / u : 0) }')
  if [[ -z $accepted || $events != "$accepted" ]]; then
    warn "$label: the upstream received $events events, but the gateway accepted ${accepted:-?}: not every event reached the upstream"
    notes+=("$summary" "**upstream received $events of ${accepted:-?} events**")
  else
    notes+=("$summary" "all $events delivered")
  fi
}

# --- result rows ---------------------------------------------------------------------------------

declare -A best # "case" -> best requests/s over the rounds
declare -A best_row

# p50 and p99 in ms of h2load --log-file (tab-separated: start µs, status, duration µs).
h2load_percentiles() {
  "$python" - "$1" << 'EOF'
import sys
durations = []
with open(sys.argv[1]) as log:
    for line in log:
        fields = line.split("\t")
        if len(fields) >= 3:
            durations.append(int(fields[2]))
durations.sort()
def percentile(p):
    if not durations:
        return float("nan")
    return durations[min(len(durations) - 1, int(p / 100.0 * len(durations)))] / 1000.0
print(f"{percentile(50):.2f} {percentile(99):.2f}")
EOF
}

# seconds from an h2load/wrk duration like 10.01s, 523.4ms, 812us
to_seconds() {
  awk -v d="$1" 'BEGIN {
    if (d ~ /us$/) { sub(/us$/, "", d); print d / 1e6 }
    else if (d ~ /ms$/) { sub(/ms$/, "", d); print d / 1e3 }
    else if (d ~ /m$/) { sub(/m$/, "", d); print d * 60 }
    else { sub(/s$/, "", d); print d + 0 } }'
}

# milliseconds from a wrk latency like 1.23ms, 812.00us, 1.02s
to_ms() {
  awk -v d="$1" 'BEGIN {
    if (d ~ /us$/) { sub(/us$/, "", d); printf "%.2f\n", d / 1e3 }
    else if (d ~ /ms$/) { sub(/ms$/, "", d); printf "%.2f\n", d }
    else if (d ~ /m$/) { sub(/m$/, "", d); printf "%.2f\n", d * 60000 }
    else { sub(/s$/, "", d); printf "%.2f\n", d * 1000 } }'
}

# Per gateway (SERVER name) besides the current one: its admin address, and a header every call
# to it carries (gateway_upstream_auth's API key).
declare -A admin_of header_of

# grpc_case LABEL KEY SERVER ADDRESS METHOD BODY EVENTS CLIENTS STREAMS PID [UPSTREAM_PID]
# SERVER: reference (called directly), gateway (file sink), nginx (grpc_pass to the reference),
# gateway_upstream (grpc cluster to the reference) or gateway_upstream_auth (the same behind
# tenant_auth and rate_limit); UPSTREAM_PID: the reference behind the last three.
grpc_case() {
  local label=$1 key=$2 server=$3 address=$4 method=$5 body=$6 events=$7 clients=$8 streams=$9
  local pid=${10} upstream_pid=${11:-}
  # Bash scoping: the accepted-events functions called from here see this admin_address.
  local admin_address=${admin_of[$server]:-$admin_address}
  local url="http://$address/$grpc_service/$method"
  local common=(-c "$clients" -m "$streams" -H 'content-type: application/grpc' -H 'te: trailers'
    -d "$body")
  [[ -n ${header_of[$server]:-} ]] && common+=(-H "${header_of[$server]}")
  local out="$work_dir/$key.$server.out" hlog="$work_dir/$key.$server.h2load.log"

  [[ -n ${crashed[$server]:-} ]] && return 0
  log "$label: warm-up ${warmup}s"
  if ! run_load "$out.warmup" h2load -D "$warmup" "${common[@]}" "$url" ||
    ! kill -0 "$pid" 2> /dev/null; then
    load_failed "$label" "$key" "$server" "$pid" "$out.warmup"
    return 0
  fi
  local warm_rate requests
  warm_rate=$(awk '/^finished in/ { print $4 }' "$out.warmup")
  requests=$(awk -v r="${warm_rate:-0}" -v d="$duration" -v q=$((clients * streams)) \
    'BEGIN { n = int(r * d); if (n < 20 * q) n = 20 * q; print n }')

  local before="" after="" counts_before="" counts_after=""
  [[ $server == gateway* ]] && before=$(settled_accepted_events)
  [[ $server != gateway ]] && counts_before=$(settled_reference_counts)
  cpu_begin "$pid" "$upstream_pid"
  log "$label: $requests requests (-c $clients -m $streams)"
  if ! run_load "$out" h2load -n "$requests" "${common[@]}" --log-file="$hlog" "$url" ||
    ! kill -0 "$pid" 2> /dev/null; then
    load_failed "$label" "$key" "$server" "$pid" "$out"
    return 0
  fi
  local elapsed rps succeeded failed errored ok2xx
  elapsed=$(to_seconds "$(awk '/^finished in/ { sub(/,$/, "", $3); print $3 }' "$out")")
  cpu_end "$pid" "$elapsed" "$((requests * events))" h2load "$upstream_pid"
  [[ $server == gateway* ]] && after=$(settled_accepted_events)
  [[ $server != gateway ]] && counts_after=$(settled_reference_counts)
  read -r succeeded failed errored < <(awk '/^requests:/ { print $8, $10, $12 }' "$out")
  # Successful calls only (h2load's own req/s counts failures too).
  rps=$(awk -v n="$succeeded" -v s="$elapsed" 'BEGIN { printf "%.1f", n / s }')
  ok2xx=$(awk '/^status codes:/ { print $3 }' "$out")
  local p50 p99
  read -r p50 p99 < <(h2load_percentiles "$hlog")

  local notes=()
  ((failed + errored > 0)) && notes+=("**$failed failed, $errored errored**")
  ((ok2xx != succeeded)) && notes+=("**only $ok2xx HTTP 2xx**")
  [[ $server == gateway* ]] && check_accepted "$label" "$before" "$after" "$((succeeded * events))"
  if [[ $server == reference || $server == nginx ]]; then
    check_reference_received "$label" "$counts_before" "$counts_after" "$((succeeded * events))"
  elif [[ $server == gateway_upstream* ]]; then
    check_forwarded "$label" "$counts_before" "$counts_after" "$accepted_delta" "$succeeded"
  fi
  notes+=("$(awk -v c="$clients" -v m="$streams" -v s="$elapsed" -v n="$requests" \
    'BEGIN { printf "-c %d -m %d, %d calls in %.1fs", c, m, n, s }')" "$cpu_note")

  record_row "$label" "$key.$server" "$rps" "$events" "$p50" "$p99" "${notes[@]}"
  if [[ $server == gateway_upstream && $recorded_best == 1 ]]; then
    upstream_per_1000[$key.$server]=$upstream_calls_per_1000
  fi
  rps_rounds[$key.$server]+=" $rps"
  cpu_per_event_rounds[$key.$server]+=" $server_us_per_event"
}
declare -A upstream_per_1000 # "case.server" -> upstream calls per 1000 client calls, best round
# "case.server" -> calls/s, and the server's CPU µs per event, of each round in order
declare -A rps_rounds cpu_per_event_rounds

# paced_case LABEL KEY SERVER ADDRESS RATE PID: unary IngestEvent calls at RATE calls/s from
# paced_client, for latency at a given load. SERVER: reference or gateway_upstream (whose upstream
# is the reference).
paced_case() {
  local label=$1 key=$2 server=$3 address=$4 rate=$5 pid=$6 upstream_pid=""
  local out="$work_dir/$key.$server.paced.out"
  [[ $server == gateway_upstream ]] && upstream_pid=$reference_pid
  [[ -n ${crashed[$server]:-} ]] && return 0

  local before="" after="" counts_before counts_after
  [[ $server == gateway_upstream ]] && before=$(settled_accepted_events)
  counts_before=$(settled_reference_counts)
  cpu_begin "$pid" "$upstream_pid"
  log "$label: ${warmup}s warm-up + ${duration}s at $rate calls/s"
  if ! run_load "$out" "$paced_bin" --target "$address" --method "/$grpc_service/IngestEvent" \
    --body "$work_dir/unary.grpc" --rate "$rate" --warmup "$warmup" --duration "$duration" \
    --connections "$unary_clients" --max-in-flight "$paced_max_in_flight" ||
    ! kill -0 "$pid" 2> /dev/null; then
    load_failed "$label" "$key" "$server" "$pid" "$out"
    return 0
  fi
  local line calls ok failed skipped achieved p50 p99 total_ok
  line=$(grep '^calls=' "$out")
  read -r calls ok failed skipped achieved p50 p99 total_ok < <(echo "$line" | awk '{
    for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    print v["calls"], v["ok"], v["failed"], v["skipped"], v["rate"], v["p50_ms"], v["p99_ms"],
      v["total_ok"] }')
  cpu_end "$pid" "$(awk -v w="$warmup" -v d="$duration" 'BEGIN { print w + d }')" "$total_ok" \
    paced_client "$upstream_pid"
  [[ $server == gateway_upstream ]] && after=$(settled_accepted_events)
  counts_after=$(settled_reference_counts)

  local notes=()
  ((failed > 0)) && notes+=("**$failed failed: $(grep 'first failed' "$out" | head -c 200)**")
  ((skipped > 0)) && notes+=("**$skipped skipped: $paced_max_in_flight calls were in flight**")
  # The checks cover the warm-up's calls too: the counters cannot tell them apart.
  if [[ $server == gateway_upstream ]]; then
    check_accepted "$label" "$before" "$after" "$total_ok"
    check_forwarded "$label" "$counts_before" "$counts_after" "$accepted_delta" "$total_ok"
  else
    check_reference_received "$label" "$counts_before" "$counts_after" "$total_ok"
  fi
  notes+=("paced_client $rate calls/s for ${duration}s over $unary_clients connections, ≤ $paced_max_in_flight in flight; $ok of $calls calls OK" "$cpu_note")
  record_row "$label" "$key.$server" "$achieved" 1 "$p50" "$p99" "${notes[@]}"
  paced_p50[$key.$server]=$p50
  paced_p99[$key.$server]=$p99
}
declare -A paced_p50 paced_p99 # "case.server" -> ms

# http_case LABEL KEY ADDRESS PATH BODY CONTENT_TYPE EVENTS PID
http_case() {
  local label=$1 key=$2 address=$3 path=$4 body=$5 content_type=$6 events=$7 pid=$8
  local url="http://$address$path" script="$work_dir/$key.lua" out="$work_dir/$key.wrk.out"
  cat > "$script" << EOF
-- POST the benchmark body as the Chaukas SDK does.
local file = assert(io.open("$body", "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "$content_type"
wrk.headers["User-Agent"] = "chaukas-sdk/0.1.0 (bench)"
EOF
  local common=(-t "$http_threads" -c "$http_connections" -s "$script")

  [[ -n ${crashed[gateway]:-} ]] && return 0
  log "$label: warm-up ${warmup}s"
  if ! run_load "$out.warmup" wrk "${common[@]}" -d "${warmup}s" "$url" ||
    ! kill -0 "$pid" 2> /dev/null; then
    load_failed "$label" "$key" gateway "$pid" "$out.warmup"
    return 0
  fi
  local before after
  before=$(settled_accepted_events)
  cpu_begin "$pid"
  log "$label: ${duration}s (-t $http_threads -c $http_connections)"
  if ! run_load "$out" wrk "${common[@]}" -d "${duration}s" --latency "$url" ||
    ! kill -0 "$pid" 2> /dev/null; then
    load_failed "$label" "$key" gateway "$pid" "$out"
    return 0
  fi
  local completed elapsed rps non2xx socket_errors p50 p99
  read -r completed elapsed < <(awk '/requests in/ { sub(/,$/, "", $4); print $1, $4 }' "$out")
  elapsed=$(to_seconds "$elapsed")
  cpu_end "$pid" "$elapsed" "$((completed * events))" wrk
  after=$(settled_accepted_events)
  non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
  non2xx=${non2xx:-0}
  # 2xx responses only (wrk's own Requests/sec counts every response).
  rps=$(awk -v n="$((completed - non2xx))" -v s="$elapsed" 'BEGIN { printf "%.1f", n / s }')
  socket_errors=$(awk '/Socket errors:/ { sub(/^.*Socket errors: /, ""); print }' "$out")
  p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")

  local notes=()
  if ((non2xx > 0)); then
    local code
    code=$(curl -s --max-time 5 -o "$work_dir/$key.answer" -w '%{http_code}' \
      -H "Content-Type: $content_type" --data-binary "@$body" "$url" || true)
    warn "$label: $non2xx of $completed responses were not 2xx; one more now: HTTP $code $(head -c 300 "$work_dir/$key.answer")"
    notes+=("**$non2xx of $completed responses not 2xx**")
  fi
  [[ -n $socket_errors ]] && notes+=("**socket errors: $socket_errors**")
  if [[ -z $before || -z $after ]]; then
    warn "$label: no listener.*events_accepted counter in the gateway's /stats"
    notes+=("**accepted count unknown**")
  else
    # wrk runs for a time, not a count: requests in flight when it stops (at most one per
    # connection) may have been accepted without being counted by wrk.
    local accepted=$((after - before)) low=$(((completed - non2xx) * events))
    local high=$(((completed + http_connections) * events))
    if ((accepted < low || accepted > high)); then
      warn "$label: the gateway accepted $accepted events, expected $low..$high"
      notes+=("**accepted $accepted, expected $low..$high**")
    else
      notes+=("accepted $accepted ≥ $low")
    fi
  fi
  notes+=("$(awk -v t="$http_threads" -v c="$http_connections" -v s="$elapsed" -v n="$completed" \
    'BEGIN { printf "wrk -t %d -c %d, %d requests in %.1fs", t, c, n, s }')" "$cpu_note")

  record_row "$label" "$key.gateway" "$rps" "$events" "$p50" "$p99" "${notes[@]}"
}

# load_failed LABEL KEY SERVER PID OUTPUT: records why a case has no numbers. A server that died
# is marked in `crashed` and skipped from then on.
declare -A crashed
load_failed() {
  local label=$1 key=$2 server=$3 pid=$4 output=$5 why
  if ! kill -0 "$pid" 2> /dev/null; then
    local status=0
    wait "$pid" 2> /dev/null || status=$?
    forget_pid "$pid"
    crashed[$server]=1
    why="$server DIED (exit status $status$( ((status > 128)) && echo ", signal $((status - 128))"))"
    warn "$label: $why; the end of its log:"$'\n'"$(tail -n 5 "$work_dir/$server.log" 2> /dev/null)"
  else
    why="load generator failed: $(tail -n 3 "$output" | tr '\n' ' ')"
    warn "$label: $why"
  fi
  rows_failed+=("| $label | - | - | - | - | **$why** |")
}
rows_failed=()

# record_row LABEL KEY RPS EVENTS P50 P99 NOTES...: keeps the row of the best run per key; sets
# recorded_best to 1 when this run is the best so far.
record_row() {
  local label=$1 key=$2 rps=$3 events=$4 p50=$5 p99=$6
  shift 6
  local joined="" note
  for note in "$@"; do joined+=${joined:+; }$note; done
  local row
  row=$(awk -v l="$label" -v r="$rps" -v e="$events" -v p50="$p50" -v p99="$p99" -v n="$joined" \
    'BEGIN { printf "| %s | %.0f | %.0f | %s | %s | %s |", l, r, r * e, p50, p99, n }')
  log "$row"
  recorded_best=0
  if [[ -z ${best[$key]:-} ]] || awk -v a="$rps" -v b="${best[$key]}" 'BEGIN { exit !(a > b) }'; then
    if [[ -n ${best[$key]:-} ]]; then
      row=${row% |}"; best of $rounds rounds |"
    fi
    best[$key]=$rps
    best_row[$key]=$row
    recorded_best=1
  elif [[ ${best_row[$key]} != *"best of"* ]]; then
    best_row[$key]=${best_row[$key]% |}"; best of $rounds rounds |"
  fi
  if [[ " ${row_order[*]:-} " != *" $key "* ]]; then row_order+=("$key"); fi
}
row_order=()

# --- starting the servers under test -------------------------------------------------------------

# start_gateway NAME CONFIG: starts chaukas-gateway on CONFIG (logging to $work_dir/NAME.log) and
# waits until it listens. Sets started_gateway_pid and its addresses started_grpc, started_http,
# started_admin.
start_gateway() {
  local name=$1 config=$2
  "$gateway_bin" --config "$config" --bound-addresses-file "$work_dir/$name.addresses" \
    --drain-timeout-ms 30000 > "$work_dir/$name.log" 2>&1 &
  started_gateway_pid=$!
  started_pids+=("$started_gateway_pid")
  wait_for_file "$work_dir/$name.addresses" "$started_gateway_pid" "$name"
  read -r started_grpc started_http started_admin < <("$python" -c '
import json, sys
a = json.load(open(sys.argv[1]))
print(a["grpc"], a["http"], a["admin"])' "$work_dir/$name.addresses")
  log "chaukas-gateway ($name) grpc $started_grpc http $started_http admin $started_admin"
}

# start_nginx UPSTREAM: starts nginx in the foreground as a plain gRPC pass-through proxy
# (grpc_pass) to UPSTREAM (host:port), with its config, pid file, error log and temporary paths
# in $work_dir/nginx. Stopping its master (SIGTERM) stops its workers. Sets nginx_pid and
# nginx_address, or leaves nginx_pid empty after a warning when nginx does not start.
start_nginx() {
  local upstream=$1 prefix=$work_dir/nginx attempt port i
  mkdir -p "$prefix"
  nginx_pid=""
  # The port is one the OS says is free; another process may take it before nginx binds it,
  # hence the attempts.
  for ((attempt = 1; attempt <= 3; attempt++)); do
    port=$("$python" -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
    cat > "$prefix/nginx.conf" << EOF
# nginx as a plain gRPC pass-through proxy in front of reference_server: the baseline of the
# upstream-forwarding cases of tests/bench/run.sh (generated; BENCH_KEEP=1 keeps it).
worker_processes ${BENCH_NGINX_WORKERS:-auto};
pid $prefix/nginx.pid;
error_log $prefix/error.log warn;
events {
  worker_connections 4096;
}
http {
  access_log off;
  client_body_temp_path $prefix/client_body;
  proxy_temp_path $prefix/proxy;
  fastcgi_temp_path $prefix/fastcgi;
  uwsgi_temp_path $prefix/uwsgi;
  scgi_temp_path $prefix/scgi;
  # h2load keeps its connections for the whole case; nginx's default (1000 requests) would
  # close them under it.
  keepalive_requests 1000000;
  upstream reference {
    server $upstream;
    # nginx sends one call at a time per upstream HTTP/2 connection: without a pool of kept
    # connections every call would open a new one, which no deployment does.
    keepalive 256;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$port http2;
    location / {
      grpc_pass grpc://reference;
    }
  }
}
EOF
    "$nginx_bin" -p "$prefix" -c "$prefix/nginx.conf" -g 'daemon off;' > "$work_dir/nginx.log" 2>&1 &
    nginx_pid=$!
    started_pids+=("$nginx_pid")
    # The master writes its pid file once it listens.
    for ((i = 0; i < 100; i++)); do
      if [[ -s $prefix/nginx.pid ]]; then
        nginx_address=127.0.0.1:$port
        log "nginx $("$nginx_bin" -v 2>&1 | sed 's/^nginx version: //') grpc_pass on $nginx_address"
        return 0
      fi
      kill -0 "$nginx_pid" 2> /dev/null || break
      sleep 0.1
    done
    stop_process "$nginx_pid"
    forget_pid "$nginx_pid"
    nginx_pid=""
    warn "nginx did not start on 127.0.0.1:$port: $(cat "$work_dir/nginx.log" "$prefix/error.log" 2> /dev/null | tail -n 3)"
  done
}

# --- setup ---------------------------------------------------------------------------------------

log "work dir $work_dir"
"$bodies_bin" "$work_dir" > "$work_dir/bodies.txt" || die "make_bench_bodies failed"
sed 's/^/bench:   /' "$work_dir/bodies.txt" >&2

load_average=$(cut -d' ' -f1-3 /proc/loadavg)

# shellcheck disable=SC2086 # BENCH_REFERENCE_ARGS is a list of flags
"$reference_bin" --port 0 --port-file "$work_dir/reference.port" \
  --count-file "$work_dir/reference.counts" ${BENCH_REFERENCE_ARGS:-} \
  > /dev/null 2> "$work_dir/reference.log" &
reference_pid=$!
started_pids+=("$reference_pid")
wait_for_file "$work_dir/reference.port" "$reference_pid" reference
reference_address="127.0.0.1:$(cat "$work_dir/reference.port")"
log "reference_server on $reference_address"

gateway_pid=""
if [[ -n $gateway_bin ]]; then
  CHAUKAS_BENCH_DIR=$work_dir start_gateway gateway "$bench_src/bench_config.yaml"
  gateway_pid=$started_gateway_pid
  gateway_grpc=$started_grpc
  gateway_http=$started_http
  admin_address=$started_admin
  [[ -n $(accepted_events) ]] ||
    warn "the gateway's /stats has no listener.*events_accepted line: the success checks will not work"
else
  warn "$build_dir/bin/chaukas-gateway is not built: measuring the reference only"
fi

# --- the cases -----------------------------------------------------------------------------------

for ((round = 1; round <= rounds; round++)); do
  grpc_case "reference gRPC IngestEvent (unary)" unary reference "$reference_address" IngestEvent \
    "$work_dir/unary.grpc" 1 "$unary_clients" "$unary_streams" "$reference_pid"
  if [[ -n $gateway_pid ]]; then
    grpc_case "gateway gRPC IngestEvent (unary)" unary gateway "$gateway_grpc" IngestEvent \
      "$work_dir/unary.grpc" 1 "$unary_clients" "$unary_streams" "$gateway_pid"
  fi
done

grpc_case "reference gRPC IngestEventBatch ×100" batch100 reference "$reference_address" \
  IngestEventBatch "$work_dir/batch100.grpc" 100 "$batch_clients" "$batch_streams" "$reference_pid"
if [[ -n $gateway_pid ]]; then
  grpc_case "gateway gRPC IngestEventBatch ×100" batch100 gateway "$gateway_grpc" \
    IngestEventBatch "$work_dir/batch100.grpc" 100 "$batch_clients" "$batch_streams" "$gateway_pid"
  http_case "gateway HTTP x-protobuf batch ×20 (SDK)" http_pb20 "$gateway_http" /v1/events/batch \
    "$work_dir/batch20.pb" application/x-protobuf 20 "$gateway_pid"
  http_case "gateway HTTP JSON batch ×20" http_json20 "$gateway_http" /v1/events/batch \
    "$work_dir/batch20.json" application/json 20 "$gateway_pid"
fi

# --- the sink: stop the gateway (it drains and flushes) and count what the file holds ----------

sink_line=""
if [[ -n ${crashed[gateway]:-} ]]; then
  sink_line="sink: not checked: **the gateway crashed** (BENCH_KEEP=1 keeps its log)"
elif [[ -n $gateway_pid ]]; then
  total_accepted=$(settled_accepted_events)
  stop_process "$gateway_pid"
  forget_pid "$gateway_pid"
  if [[ -f $work_dir/events.pb ]]; then
    read -r records sink_bytes < <("$python" - "$work_dir/events.pb" << 'EOF'
import mmap, sys
records = 0
with open(sys.argv[1], "rb") as f:
    size = f.seek(0, 2)
    if size == 0:
        print(0, 0); sys.exit()
    data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    pos = 0
    while pos < size:
        length = shift = 0
        while True:
            byte = data[pos]; pos += 1
            length |= (byte & 0x7F) << shift; shift += 7
            if byte < 0x80: break
        pos += length
        records += 1
print(records, size)
EOF
    )
    sink_line="sink: $work_dir/events.pb holds $records varint-delimited events ($sink_bytes bytes); the gateway accepted ${total_accepted:-?}"
    if [[ $records != "${total_accepted:-}" ]]; then
      warn "the sink holds $records events but the gateway accepted ${total_accepted:-?}"
      sink_line+="  **MISMATCH**"
    fi
  else
    warn "no sink file $work_dir/events.pb"
    sink_line="sink: **no file written**"
  fi
fi

# --- upstream forwarding: nginx grpc_pass and a gateway grpc cluster, both to the reference -------

# Unary rounds alternate nginx and the gateway so they share the machine's noise; nginx is then
# stopped, and the half-load latency cases run at half the gateway's best unary rate.
forward_line=""
if [[ -n $gateway_bin && -z ${crashed[reference]:-} ]]; then
  nginx_pid=""
  if [[ -n $nginx_bin ]]; then
    start_nginx "$reference_address"
  else
    warn "nginx not found: no grpc_pass baseline (bash scripts/setup.sh --bench installs it)"
  fi
  CHAUKAS_BENCH_UPSTREAM=$reference_address start_gateway gateway_upstream \
    "$bench_src/upstream_config.yaml"
  upstream_gateway_pid=$started_gateway_pid
  upstream_gateway_grpc=$started_grpc
  admin_address=$started_admin # the accepted-events checks read this gateway from now on

  # The same gateway behind tenant_auth and rate_limit, with an API key configured by its hash
  # as a user would.
  bench_key=chk_$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')
  bench_key_sha256=$(printf '%s' "$bench_key" | "$gateway_bin" hash-key) ||
    die "chaukas-gateway hash-key failed"
  CHAUKAS_BENCH_UPSTREAM=$reference_address CHAUKAS_BENCH_KEY_SHA256=$bench_key_sha256 \
    start_gateway gateway_upstream_auth "$bench_src/auth_config.yaml"
  auth_gateway_pid=$started_gateway_pid
  auth_gateway_grpc=$started_grpc
  admin_of[gateway_upstream_auth]=$started_admin
  header_of[gateway_upstream_auth]="authorization: Bearer $bench_key"
  read -r _ _ forward_calls_before forward_events_before _ <<< "$(settled_reference_counts)"

  for ((round = 1; round <= rounds; round++)); do
    if [[ -n $nginx_pid ]]; then
      grpc_case "nginx grpc_pass → reference, IngestEvent (unary)" unary nginx "$nginx_address" \
        IngestEvent "$work_dir/unary.grpc" 1 "$unary_clients" "$unary_streams" "$nginx_pid" \
        "$reference_pid"
    fi
    grpc_case "gateway → grpc cluster → reference, IngestEvent (unary)" unary gateway_upstream \
      "$upstream_gateway_grpc" IngestEvent "$work_dir/unary.grpc" 1 "$unary_clients" \
      "$unary_streams" "$upstream_gateway_pid" "$reference_pid"
  done
  if [[ -n $nginx_pid ]]; then
    stop_process "$nginx_pid"
    forget_pid "$nginx_pid"
  fi

  # What tenant_auth + rate_limit cost: the gateway without and with them in back-to-back pairs,
  # swapping places every pair, so that neither always runs first. After nginx stopped: a case
  # right after an nginx case ran up to a quarter slower, whichever gateway it was.
  for ((round = 1; round <= auth_rounds; round++)); do
    gateways=(gateway_upstream gateway_upstream_auth)
    ((round % 2 == 0)) && gateways=(gateway_upstream_auth gateway_upstream)
    for server in "${gateways[@]}"; do
      if [[ $server == gateway_upstream ]]; then
        grpc_case "gateway → grpc cluster → reference, IngestEvent (unary, in pairs)" unary_pair \
          gateway_upstream "$upstream_gateway_grpc" IngestEvent "$work_dir/unary.grpc" 1 \
          "$unary_clients" "$unary_streams" "$upstream_gateway_pid" "$reference_pid"
      else
        grpc_case "gateway + tenant_auth + rate_limit → grpc cluster → reference, IngestEvent (unary, in pairs)" \
          unary_pair gateway_upstream_auth "$auth_gateway_grpc" IngestEvent \
          "$work_dir/unary.grpc" 1 "$unary_clients" "$unary_streams" "$auth_gateway_pid" \
          "$reference_pid"
      fi
    done
  done

  grpc_case "gateway → grpc cluster → reference, IngestEventBatch ×100" batch100 gateway_upstream \
    "$upstream_gateway_grpc" IngestEventBatch "$work_dir/batch100.grpc" 100 "$batch_clients" \
    "$batch_streams" "$upstream_gateway_pid" "$reference_pid"

  # Half the gateway's maximum is what the issue asks for. On two cores the paced grpc++ client
  # needs most of a core at that rate, so the machine is saturated there and queueing in the
  # kernel and the client shows in p99; the quarter-load pair shows the gateway's own cost.
  declare -A paced_rate=()
  if [[ -z $paced_bin ]]; then
    warn "paced_client not built in $build_dir (ninja -C $build_dir paced_client): no latency rows"
  elif [[ -n ${best[unary.gateway_upstream]:-} ]]; then
    for load in half quarter; do
      divisor=2
      [[ $load == quarter ]] && divisor=4
      paced_rate[$load]=$(awk -v r="${best[unary.gateway_upstream]}" -v d="$divisor" \
        'BEGIN { printf "%d", r / d }')
      paced_case "reference IngestEvent at $load the gateway's max (paced)" "paced_$load" \
        reference "$reference_address" "${paced_rate[$load]}" "$reference_pid"
      paced_case "gateway → grpc cluster → reference, IngestEvent at $load its max (paced, async)" \
        "paced_$load" gateway_upstream "$upstream_gateway_grpc" "${paced_rate[$load]}" \
        "$upstream_gateway_pid"
    done
  fi

  # Stopped with SIGTERM, the gateway drains and flushes: everything it accepted must then have
  # reached the reference.
  if [[ -z ${crashed[gateway_upstream]:-} && -z ${crashed[gateway_upstream_auth]:-} ]]; then
    forward_accepted=$(settled_accepted_events)
    auth_accepted=$(admin_address=${admin_of[gateway_upstream_auth]} settled_accepted_events)
    for pid in "$upstream_gateway_pid" "$auth_gateway_pid"; do
      stop_process "$pid"
      forget_pid "$pid"
    done
    read -r _ _ forward_calls_after forward_events_after _ <<< "$(settled_reference_counts)"
    forward_events=$((forward_events_after - forward_events_before))
    forward_accepted=$((${forward_accepted:-0} + ${auth_accepted:-0}))
    forward_line="upstream: after the two grpc-cluster gateways stopped (drained), the reference had received $forward_events events in $((forward_calls_after - forward_calls_before)) IngestEventBatch calls; the gateways accepted $forward_accepted"
    if [[ $forward_events != "$forward_accepted" ]]; then
      warn "the upstream received $forward_events events but the gateways accepted $forward_accepted: events were lost on the way"
      forward_line+="  **MISMATCH**"
    fi
  else
    forward_line="upstream: not checked: **a grpc-cluster gateway crashed** (BENCH_KEEP=1 keeps its log)"
  fi
fi

# --- report ----------------------------------------------------------------------------------------

echo
echo "## chaukas-gateway ingest benchmark"
echo
echo "$(nproc) cores; load average before the run $load_average; other processes used up to $max_other_cores cores during a case$(awk -v o="$max_other_cores" 'BEGIN { if (o >= 0.1) printf ": numbers are noisy" }')."
echo "Each case: ${warmup}s warm-up, then ~${duration}s measured; unary reference/gateway and nginx/gateway alternated $rounds× (best kept); the gateway without and with tenant_auth + rate_limit in $auth_rounds back-to-back pairs."
echo
echo "| case | requests/s | events/s | p50 ms | p99 ms | notes |"
echo "|---|---:|---:|---:|---:|---|"
for key in "${row_order[@]}"; do
  echo "${best_row[$key]}"
done
for row in "${rows_failed[@]}"; do echo "$row"; done
echo
[[ -n $sink_line ]] && echo "$sink_line" && echo

if [[ -n ${best[unary.gateway]:-} && -n ${best[unary.reference]:-} ]]; then
  awk -v g="${best[unary.gateway]}" -v r="${best[unary.reference]}" -v t="$unary_target_ratio" 'BEGIN {
    ratio = g / r
    printf "gateway/reference on gRPC unary: %.0f / %.0f calls/s = **%.2f×**\n\n", g, r, ratio
    printf "- target unary ≥ %.1f× the reference: %s (%.2f×)\n", t, (ratio >= t ? "PASS" : "MISS"), ratio }'
  if [[ -n ${best[batch100.reference]:-} && -n ${best[batch100.gateway]:-} ]]; then
    batch_events=$(awk -v g="${best[batch100.gateway]}" 'BEGIN { printf "%.0f", g * 100 }')
    awk -v e="$batch_events" -v t="$batch_target_events_per_second" 'BEGIN {
      printf "- target gRPC batch ingest ≥ %d events/s into the protobuf file sink: %s (%d events/s)\n",
        t, (e >= t ? "PASS" : "MISS"), e }'
    awk -v g="${best[batch100.gateway]}" -v r="${best[batch100.reference]}" 'BEGIN {
      printf "- (info) gateway/reference on gRPC batch ×100: %.2f×\n", g / r }'
  fi
else
  echo "gateway/reference ratio: not measured (no gateway)"
fi


if [[ -n ${best[unary.gateway_upstream]:-} ]]; then
  echo
  [[ -n $forward_line ]] && echo "$forward_line" && echo
  if [[ -n ${best[unary.nginx]:-} ]]; then
    awk -v g="${best[unary.gateway_upstream]}" -v n="${best[unary.nginx]}" \
      -v t="$upstream_unary_target_ratio" 'BEGIN {
      ratio = g / n
      printf "gateway (grpc cluster)/nginx grpc_pass on gRPC unary: %.0f / %.0f calls/s = **%.2f×**\n\n",
        g, n, ratio
      printf "- target unary through the gateway ≥ %.1f× nginx grpc_pass: %s (%.2f×)\n", t,
        (ratio >= t ? "PASS" : "MISS"), ratio }'
  else
    echo "- target unary through the gateway ≥ ${upstream_unary_target_ratio}× nginx grpc_pass: not measured (no nginx)"
  fi
  if [[ -n ${rps_rounds[unary_pair.gateway_upstream_auth]:-} ]]; then
    # Per round (the two gateways ran back to back), what the filters cost in calls/s and in
    # CPU per call; the median over the rounds.
    "$python" - "$auth_cost_target_percent" "${rps_rounds[unary_pair.gateway_upstream]}" \
      "${rps_rounds[unary_pair.gateway_upstream_auth]}" \
      "${cpu_per_event_rounds[unary_pair.gateway_upstream]}" \
      "${cpu_per_event_rounds[unary_pair.gateway_upstream_auth]}" << 'EOF'
import statistics, sys
target = float(sys.argv[1])
plain, auth, plain_cpu, auth_cpu = ([float(x) for x in arg.split()] for arg in sys.argv[2:6])
rounds = min(len(plain), len(auth))
costs = [100 * (1 - auth[i] / plain[i]) for i in range(rounds)]
cpu = [100 * (auth_cpu[i] / plain_cpu[i] - 1) for i in range(rounds)]
cost = statistics.median(costs)
print(f"- target tenant_auth + rate_limit cost < {target:g}% of the gateway's unary calls/s: "
      f"{'PASS' if cost < target else 'MISS'} (median of {rounds} back-to-back pairs: **{cost:.1f}%**; "
      f"pairs {', '.join(f'{c:+.1f}%' for c in costs)})")
print(f"- (info) gateway CPU per unary call with tenant_auth + rate_limit: median {statistics.median(cpu):+.1f}% "
      f"({', '.join(f'{a:.1f} vs {p:.1f} µs' for a, p in zip(auth_cpu, plain_cpu))})")
EOF
  fi
  per_1000=${upstream_per_1000[unary.gateway_upstream]:-}
  if [[ -n $per_1000 ]]; then
    awk -v p="$per_1000" -v t="$upstream_batching_target" 'BEGIN {
      fewer = (p > 0 ? 1000 / p : 1e9)
      printf "- target ≥ %d× fewer upstream calls than client calls (unary at full load): %s (%.1f upstream calls per 1000 client calls = %.0f× fewer)\n",
        t, (fewer >= t ? "PASS" : "MISS"), p, fewer }'
  else
    echo "- target ≥ ${upstream_batching_target}× fewer upstream calls than client calls: not measured (no upstream counts)"
  fi
  if [[ -n ${upstream_per_1000[batch100.gateway_upstream]:-} ]]; then
    echo "- (info) IngestEventBatch ×100 through the gateway: ${upstream_per_1000[batch100.gateway_upstream]} upstream calls per 1000 client calls"
  fi
  for load in half quarter; do
    key=paced_$load
    if [[ -n ${paced_p50[$key.gateway_upstream]:-} && -n ${paced_p50[$key.reference]:-} ]]; then
      awk -v load="$load" -v rate="${paced_rate[$load]}" \
        -v g50="${paced_p50[$key.gateway_upstream]}" -v g99="${paced_p99[$key.gateway_upstream]}" \
        -v r50="${paced_p50[$key.reference]}" -v r99="${paced_p99[$key.reference]}" 'BEGIN {
        printf "- (info) latency the gateway adds in async mode at %d calls/s (%s its max), against the reference called directly at the same rate: p50 %.3f − %.3f = **%+.3f ms**, p99 %.3f − %.3f = **%+.3f ms**\n",
          rate, load, g50, r50, g50 - r50, g99, r99, g99 - r99 }'
    fi
  done
fi
