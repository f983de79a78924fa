# The co-located pipeline the benchmarks drive, sourced by bench/load.sh and bench/cpu.sh: a broker of its own
# (port 19110), a fresh database `shockwave_load`, release builds of the projector, the scorer, the API and
# loadgen, and those three services started and ready (pids in pid_projector, pid_scorer_1, pid_api; every pid in
# `pids`, stopped on exit with the broker). Logs go to .stack/load/.
# shellcheck shell=bash
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export SHOCKWAVE_BROKER_PORT=19110
unset KAFKA_BROKERS SHOCKWAVE_KAFKA_BROKERS  # this bench always uses its own broker
logs="$root/.stack/load"
rm -rf .stack/tansu-19110 "$logs" && mkdir -p "$logs"
bash deploy/local/stack.sh up
# shellcheck disable=SC1091
source .stack/env-19110
export ORT_DYLIB_PATH="${ORT_DYLIB_PATH:-$(bash deploy/local/install-onnxruntime.sh)}"
server="${DATABASE_URL%/*}"
export DATABASE_URL="$server/shockwave_load"
psql "$server/postgres" -qc 'drop database if exists shockwave_load with (force)' -qc 'create database shockwave_load' >/dev/null

echo "[bench] building release binaries"
cargo build --release --quiet --bin projector --bin scorer --bin api --bin loadgen

pids=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; bash deploy/local/stack.sh down; }
trap stop_all EXIT
api_port=18080
export BENCH_API_URL="http://127.0.0.1:$api_port"
# Scorers run at nice SHOCKWAVE_SCORER_NICE (default 10, as deploy/local/services.sh starts them): a backlogged
# scorer takes every core it can, and the broker, the projector and Postgres need their share for articles to
# stay visible while scores lag.
scorer_nice="${SHOCKWAVE_SCORER_NICE:-10}"
service() { # name binary admin-port [env...]
  local name="$1" bin="$2" port="$3" niceness=0; shift 3
  [[ "$name" == scorer-* ]] && niceness="$scorer_nice"
  env SHOCKWAVE_DATABASE_URL="$DATABASE_URL" SHOCKWAVE_KAFKA_BROKERS="$KAFKA_BROKERS" \
    SHOCKWAVE_ADMIN_ADDR="127.0.0.1:$port" "$@" nice -n "$niceness" "target/release/$bin" >"$logs/$name.log" 2>&1 &
  pids+=("$!")
  eval "pid_${name//-/_}=$!"
}
wait_ready() { # url
  for _ in $(seq 1 300); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "[bench] $1 never became ready" >&2; exit 1
}
service projector projector 19211
wait_ready http://127.0.0.1:19211/readyz  # it creates the topics; the others start on them
service scorer-1 scorer 19212
service api api 19213 SHOCKWAVE_API_ADDR="127.0.0.1:$api_port"
wait_ready http://127.0.0.1:19212/readyz
wait_ready "$BENCH_API_URL/readyz"

