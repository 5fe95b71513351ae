#!/usr/bin/env bash
# The ingest benchmark: starts chaukas-gateway (tests/bench/bench_config.yaml) and a null grpc++
# server (reference_server), drives them with h2load (gRPC) and wrk (HTTP), and prints a Markdown
# table of requests/s, events/s and p50/p99 latency per case, the gateway/reference ratio on
# unary gRPC, and the first targets. A benchmark, not a test: a missed target is printed, never
# an exit status.
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
#   BENCH_UNARY_CLIENTS / BENCH_UNARY_STREAMS   h2load -c / -m for gRPC unary (8 / 16)
#   BENCH_BATCH_CLIENTS / BENCH_BATCH_STREAMS   h2load -c / -m for gRPC batch (8 / 2)
#   BENCH_HTTP_THREADS / BENCH_HTTP_CONNECTIONS  wrk -t / -c (2 / 16)
#   BENCH_REFERENCE_ARGS     extra reference_server flags, e.g. "--mutex-deadlock-detection on"
#   BENCH_KEEP=1             keep the temporary directory (bodies, logs, h2load logs, the sink)
#
# Each gRPC case is measured with a fixed request count (sized from the warm-up's rate to last
# about BENCH_DURATION), so afterwards the gateway's accepted-events counter must have grown by
# exactly requests x events per request: gRPC errors travel as HTTP 200 + grpc-status trailers,
# which h2load counts as successes, and this check is what catches them.
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
else
  duration=${BENCH_DURATION:-10}
  warmup=${BENCH_WARMUP:-2}
  rounds=${BENCH_ROUNDS:-2}
fi
unary_clients=${BENCH_UNARY_CLIENTS:-8}
unary_streams=${BENCH_UNARY_STREAMS:-16}
batch_clients=${BENCH_BATCH_CLIENTS:-8}
batch_streams=${BENCH_BATCH_STREAMS:-2}
http_threads=${BENCH_HTTP_THREADS:-2}
http_connections=${BENCH_HTTP_CONNECTIONS:-16}

unary_target_ratio=0.5
batch_target_events_per_second=150000

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

# CPU seconds (user + system) a process has used so far.
process_cpu_seconds() {
  awk -v ticks="$clock_ticks" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13) / ticks }' \
    "/proc/$1/stat" 2> /dev/null || echo 0
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

# cpu_begin PID / cpu_end PID ELAPSED EVENTS CLIENT_NAME: CPU over the measured part of a case, of
# the server, of the load generator, and of everything else on the machine (other engineers'
# builds and benchmarks: they share these cores). cpu_end sets cpu_note and cpu_per_event, and
# keeps the largest "others" share in max_other_cores.
max_other_cores=0
cpu_begin() {
  cpu_server_before=$(process_cpu_seconds "$1")
  measure_children_cpu
  cpu_client_before=$children_cpu
  cpu_machine_before=$(machine_cpu_seconds)
}
cpu_end() {
  local pid=$1 elapsed=$2 events=$3 client=$4 server_after client_after machine_after other
  server_after=$(process_cpu_seconds "$pid")
  measure_children_cpu
  client_after=$children_cpu
  machine_after=$(machine_cpu_seconds)
  read -r cpu_note other < <(awk -v s="$elapsed" -v e="$events" -v client="$client" \
    -v server="$(awk -v a="$server_after" -v b="$cpu_server_before" 'BEGIN { print a - b }')" \
    -v loadgen="$(awk -v a="$client_after" -v b="$cpu_client_before" 'BEGIN { print a - b }')" \
    -v machine="$(awk -v a="$machine_after" -v b="$cpu_machine_before" 'BEGIN { print a - b }')" \
    'BEGIN {
      other = machine - server - loadgen
      if (other < 0) other = 0
      printf "server_%.2f_cores,_%.1f_µs_CPU/event;_%s_%.2f_cores;_others_%.2f_cores %.2f\n",
        server / s, server * 1e6 / e, client, loadgen / s, other / s, other / s }')
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

# grpc_case LABEL KEY SERVER(gateway|reference) ADDRESS METHOD BODY EVENTS CLIENTS STREAMS PID
grpc_case() {
  local label=$1 key=$2 server=$3 address=$4 method=$5 body=$6 events=$7 clients=$8 streams=$9
  local pid=${10}
  local url="http://$address/$grpc_service/$method"
  local common=(-c "$clients" -m "$streams" -H 'content-type: application/grpc' -H 'te: trailers'
    -d "$body")
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

  local before="" after=""
  [[ $server == gateway ]] && before=$(settled_accepted_events)
  cpu_begin "$pid"
  log "$label: $requests requests (-c $clients -m $streams)"
  if ! run_load "$out" h2load -n "$requests" "${common[@]}" --log-file="$hlog" "$url" ||
    ! kill -0 "$pid" 2> /dev/null; then
    load_failed "$label" "$key" "$server" "$pid" "$out"
    return 0
  fi
  local elapsed rps succeeded failed errored ok2xx
  elapsed=$(to_seconds "$(awk '/^finished in/ { sub(/,$/, "", $3); print $3 }' "$out")")
  cpu_end "$pid" "$elapsed" "$((requests * events))" h2load
  [[ $server == gateway ]] && after=$(settled_accepted_events)
  read -r succeeded failed errored < <(awk '/^requests:/ { print $8, $10, $12 }' "$out")
  # Successful calls only (h2load's own req/s counts failures too).
  rps=$(awk -v n="$succeeded" -v s="$elapsed" 'BEGIN { printf "%.1f", n / s }')
  ok2xx=$(awk '/^status codes:/ { print $3 }' "$out")
  local p50 p99
  read -r p50 p99 < <(h2load_percentiles "$hlog")

  local notes=()
  ((failed + errored > 0)) && notes+=("**$failed failed, $errored errored**")
  ((ok2xx != succeeded)) && notes+=("**only $ok2xx HTTP 2xx**")
  if [[ $server == gateway ]]; then
    if [[ -z $before || -z $after ]]; then
      warn "$label: no listener.*events_accepted counter in the gateway's /stats: cannot check that the calls succeeded"
      notes+=("**accepted count unknown**")
    else
      local accepted=$((after - before)) expected=$((succeeded * events))
      if ((accepted != expected)); then
        warn "$label: the gateway accepted $accepted events, expected $expected ($succeeded calls x $events): some gRPC calls failed (grpc-status != 0) although HTTP said 200"
        notes+=("**accepted $accepted of $expected events**")
      else
        notes+=("accepted $accepted/$expected")
      fi
    fi
  fi
  notes+=("$(awk -v c="$clients" -v m="$streams" -v s="$elapsed" -v n="$requests" \
    'BEGIN { printf "-c %d -m %d, %d calls in %.1fs", c, m, n, s }')" "$cpu_note")

  record_row "$label" "$key.$server" "$rps" "$events" "$p50" "$p99" "${notes[@]}"
}

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

# record_row LABEL KEY RPS EVENTS P50 P99 NOTES...: keeps the row of the best run per key.
record_row() {
  local label=$1 key=$2 rps=$3 events=$4 p50=$5 p99=$6
  shift 6
  local joined="" note
  for note in "$@"; do joined+=${joined:+; }$note; done
  local row
  row=$(awk -v l="$label" -v r="$rps" -v e="$events" -v p50="$p50" -v p99="$p99" -v n="$joined" \
    'BEGIN { printf "| %s | %.0f | %.0f | %s | %s | %s |", l, r, r * e, p50, p99, n }')
  log "$row"
  if [[ -z ${best[$key]:-} ]] || awk -v a="$rps" -v b="${best[$key]}" 'BEGIN { exit !(a > b) }'; then
    if [[ -n ${best[$key]:-} ]]; then
      row=${row% |}"; best of $rounds rounds |"
    fi
    best[$key]=$rps
    best_row[$key]=$row
  elif [[ ${best_row[$key]} != *"best of"* ]]; then
    best_row[$key]=${best_row[$key]% |}"; best of $rounds rounds |"
  fi
  if [[ " ${row_order[*]:-} " != *" $key "* ]]; then row_order+=("$key"); fi
}
row_order=()

# --- setup ---------------------------------------------------------------------------------------

log "work dir $work_dir"
"$bodies_bin" "$work_dir" > "$work_dir/bodies.txt" || die "make_bench_bodies failed"
sed 's/^/bench:   /' "$work_dir/bodies.txt" >&2

load_average=$(cut -d' ' -f1-3 /proc/loadavg)

# shellcheck disable=SC2086 # BENCH_REFERENCE_ARGS is a list of flags
"$reference_bin" --port 0 --port-file "$work_dir/reference.port" ${BENCH_REFERENCE_ARGS:-} > /dev/null 2> "$work_dir/reference.log" &
reference_pid=$!
started_pids+=("$reference_pid")
wait_for_file "$work_dir/reference.port" "$reference_pid" reference
reference_address="127.0.0.1:$(cat "$work_dir/reference.port")"
log "reference_server on $reference_address"

gateway_pid=""
if [[ -n $gateway_bin ]]; then
  CHAUKAS_BENCH_DIR=$work_dir "$gateway_bin" --config "$bench_src/bench_config.yaml" \
    --bound-addresses-file "$work_dir/gateway.addresses" --drain-timeout-ms 30000 \
    > "$work_dir/gateway.log" 2>&1 &
  gateway_pid=$!
  started_pids+=("$gateway_pid")
  wait_for_file "$work_dir/gateway.addresses" "$gateway_pid" gateway
  read -r gateway_grpc gateway_http admin_address < <("$python" -c '
import json, sys
a = json.load(open(sys.argv[1]))
print(a["grpc"], a["http"], a["admin"])' "$work_dir/gateway.addresses")
  log "chaukas-gateway grpc $gateway_grpc http $gateway_http admin $admin_address"
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

# --- report ----------------------------------------------------------------------------------------

echo
echo "## chaukas-gateway ingest benchmark"
echo
echo "$(nproc) cores; load average before the run $load_average; other processes used up to $max_other_cores cores during a case$(awk -v o="$max_other_cores" 'BEGIN { if (o >= 0.1) printf ": numbers are noisy" }')."
echo "Each case: ${warmup}s warm-up, then ~${duration}s measured; unary reference/gateway alternated $rounds× (best kept)."
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
