#!/usr/bin/env bash
# The demo: brings up the local stack, builds and starts the services as their own processes, replays the
# DeepSeek-week dataset (news, app ranks, prices) through the three ingestors at an accelerated clock
# (SHOCKWAVE_REPLAY_SPEED, default one day per second), then prints the report (the shock alert against the US
# open, the sell-off, evidence, the app-rank climb, lead-lag, where to query) and writes the chart to
# .stack/demo/chart.svg. `demo.sh stop` stops the services.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
state="$root/.stack"
API_ADDR="${SHOCKWAVE_API_ADDR:-127.0.0.1:8080}"
SPEED="${SHOCKWAVE_REPLAY_SPEED:-1d/s}"
DATA="data/deepseek-week"
SERVICES=(projector scorer alerter api)

stop_services() {
  for name in "${SERVICES[@]}" ingest-news ingest-appranks ingest-prices; do
    if [ -f "$state/$name.pid" ]; then
      kill "$(cat "$state/$name.pid")" 2>/dev/null && echo "[demo] stopped $name" || true
      rm -f "$state/$name.pid"
    fi
  done
}

if [ "${1:-}" = stop ]; then
  stop_services
  exit 0
fi

bash deploy/local/stack.sh up
# shellcheck disable=SC1091
source "$state/env"
ORT_DYLIB_PATH="$(bash deploy/local/install-onnxruntime.sh)"
export ORT_DYLIB_PATH SHOCKWAVE_DATABASE_URL="$DATABASE_URL" SHOCKWAVE_KAFKA_BROKERS="$KAFKA_BROKERS" \
  SHOCKWAVE_API_ADDR="$API_ADDR"

echo "[demo] building the services (release)"
cargo build --release --quiet -p shockwave-ingest-prices -p shockwave-ingest-news -p shockwave-ingest-appranks \
  -p shockwave-projector -p shockwave-scorer -p shockwave-alerter -p shockwave-api -p shockwave-report
bin="$root/target/release"
export SHOCKWAVE_SCORER_BIN="$bin/scorer"

stop_services
mkdir -p "$state/logs"
start() { # name binary args...
  local name="$1" binary="$2"
  shift 2
  setsid -f bash -c 'echo $$ >"$1"; log="$2"; shift 2; exec "$@" >"$log" 2>&1 </dev/null' \
    _ "$state/$name.pid" "$state/logs/$name.log" "$bin/$binary" "$@"
}
for name in "${SERVICES[@]}"; do
  start "$name" "$name"
done
trap 'echo; stop_services; exit 130' INT TERM
sleep 2
for name in "${SERVICES[@]}"; do
  if ! kill -0 "$(cat "$state/$name.pid" 2>/dev/null)" 2>/dev/null; then
    echo "[demo] $name stopped at start-up; the end of .stack/logs/$name.log:" >&2
    grep -v '^ *[0-9]*: \|^ *at ' "$state/logs/$name.log" | tail -5 >&2
    stop_services
    exit 1
  fi
done

echo "[demo] replaying $DATA at $SPEED (news, app ranks and prices in parallel)"
"$bin/ingest-news" --replay-speed "$SPEED" "$DATA/news" 2>&1 | sed 's/^/[ingest-news] /' &
news=$!
"$bin/ingest-appranks" --replay-speed "$SPEED" "$DATA/appranks/ranks.csv" 2>&1 | sed 's/^/[ingest-appranks] /' &
ranks=$!
"$bin/ingest-prices" --replay-speed "$SPEED" "$DATA/market/deepseek-window-daily.csv" 2>&1 | sed 's/^/[ingest-prices] /' &
prices=$!
wait "$news" "$ranks" "$prices"

url="http://$API_ADDR/v1/prices?ticker=NVDA&from=2025-01-23&to=2025-01-28"
for _ in $(seq 1 150); do
  body="$(curl -fsS "$url" 2>/dev/null || true)"
  if [ -n "$body" ] && python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if len(d["bars"]) >= 4 else 1)' "$body" 2>/dev/null; then
    break
  fi
  sleep 0.2
done
if [ -z "${body:-}" ]; then
  echo "[demo] the API did not return NVDA's bars within 30 s; see .stack/logs/projector.log and api.log" >&2
  exit 1
fi
echo
echo "[demo] NVDA around the DeepSeek Monday, from the API:"
python3 - "$body" <<'PY'
import json, sys
bars = json.loads(sys.argv[1])["bars"]
prev = None
for b in bars:
    change = "" if prev is None else f"{(b['close'] / prev - 1) * 100:+.2f} %"
    print(f"  {b['period_start'][:10]}  close {b['close']:>8.2f}  {change}")
    prev = b["close"]
PY
echo
echo "[demo] waiting for the alerter's DeepSeek alert"
found=0
for _ in $(seq 1 300); do
  found="$(psql "$DATABASE_URL" -Atqc "SELECT count(*) FROM shocks WHERE subject = 'ai_efficiency' AND direction = 'negative'" 2>/dev/null || echo 0)"
  [ "${found:-0}" -gt 0 ] && break
  sleep 0.2
done
if [ "${found:-0}" -eq 0 ]; then
  echo "[demo] no ai_efficiency shock within 60 s; see .stack/logs/alerter.log" >&2
  exit 1
fi
echo
"$bin/report" "$state/demo"
cat <<MSG

[demo] the services keep running (logs in .stack/logs/). Query them:
  curl '$url'
  curl 'http://$API_ADDR/v1/prices?ticker=%5ESOX&from=2025-01-13&to=2025-02-07'
  curl 'http://$API_ADDR/readyz'    curl 'http://$API_ADDR/metrics'
Stop with: deploy/local/demo.sh stop   (and the broker with: deploy/local/stack.sh down)
MSG
