#!/usr/bin/env bash
# Sustained load through the whole pipeline (tests/src/bin/loadgen.rs), release builds, on a broker of its own
# (port 19110) and a fresh database `shockwave_load`:
#   1. capacity: articles at rising rates (BENCH_RATES, each for BENCH_SECONDS), with bars and ranks beside them,
#      until the backlog (published but not yet scored and projected) ends a step above two seconds of traffic;
#   2. latency at half the highest sustained rate and at 100 articles/s: publish to visible in the API and to
#      scored in the API (p50, p99, max; every BENCH_PROBE_EVERY-th article probed);
#   3. both again with a second scorer in the same consumer group;
# and the peak resident memory (VmHWM) of each service. Logs go to .stack/load/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export SHOCKWAVE_BROKER_PORT=19110
unset KAFKA_BROKERS SHOCKWAVE_KAFKA_BROKERS  # this bench always uses its own broker
RATES="${BENCH_RATES:-10 20 30 40 60 80 100}"
export BENCH_SECONDS="${BENCH_SECONDS:-30}"
logs="$root/.stack/load"
rm -rf .stack/tansu-19110 "$logs" && mkdir -p "$logs"
bash deploy/local/stack.sh up
# shellcheck disable=SC1091
source .stack/env-19110
export ORT_DYLIB_PATH="${ORT_DYLIB_PATH:-$(bash deploy/local/install-onnxruntime.sh)}"
server="${DATABASE_URL%/*}"
export DATABASE_URL="$server/shockwave_load"
psql "$server/postgres" -qc 'drop database if exists shockwave_load with (force)' -qc 'create database shockwave_load' >/dev/null

echo "[load] building release binaries"
cargo build --release --quiet --bin projector --bin scorer --bin api --bin loadgen

pids=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; bash deploy/local/stack.sh down; }
trap stop_all EXIT
api_port=18080
export BENCH_API_URL="http://127.0.0.1:$api_port"
service() { # name binary admin-port [env...]
  local name="$1" bin="$2" port="$3"; shift 3
  env SHOCKWAVE_DATABASE_URL="$DATABASE_URL" SHOCKWAVE_KAFKA_BROKERS="$KAFKA_BROKERS" \
    SHOCKWAVE_ADMIN_ADDR="127.0.0.1:$port" "$@" "target/release/$bin" >"$logs/$name.log" 2>&1 &
  pids+=("$!")
  eval "pid_${name//-/_}=$!"
}
wait_ready() { # url
  for _ in $(seq 1 300); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "[load] $1 never became ready" >&2; exit 1
}
service projector projector 19211
wait_ready http://127.0.0.1:19211/readyz  # it creates the topics; the others start on them
service scorer-1 scorer 19212
service api api 19213 SHOCKWAVE_API_ADDR="127.0.0.1:$api_port"
wait_ready http://127.0.0.1:19212/readyz
wait_ready "$BENCH_API_URL/readyz"

peak_rss() { # name pid
  awk -v n="$1" '/VmHWM/ {printf "rss %s peak_mib=%.0f\n", n, $2 / 1024}' "/proc/$2/status"
}

run_round() { # label
  echo "== $1"
  # shellcheck disable=SC2086
  target/release/loadgen capacity $RATES | tee "$logs/capacity-$2.txt"
  best="$(awk -F= '/highest_sustained/ {print $2}' "$logs/capacity-$2.txt")"
  if [ "$best" != none ]; then
    half="$(awk -v r="$best" 'BEGIN { print r / 2 }')"
    BENCH_SECONDS=60 target/release/loadgen latency "$half"
  fi
  BENCH_SECONDS=60 target/release/loadgen latency 100
}

run_round "one scorer" 1
for name in projector scorer_1 api; do pid="pid_$name"; peak_rss "$name" "${!pid}"; done

service scorer-2 scorer 19214
wait_ready http://127.0.0.1:19214/readyz
# A short warm-up step (not reported) lets the group rebalance onto both scorers before the measured round.
BENCH_SECONDS=20 target/release/loadgen capacity 10 >/dev/null
run_round "two scorers (one consumer group)" 2
for name in projector scorer_1 scorer_2 api; do pid="pid_$name"; peak_rss "$name" "${!pid}"; done
