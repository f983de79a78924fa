#!/usr/bin/env bash
# The demo: brings up the local stack, builds and starts the services as their own processes, replays the
# DeepSeek-week prices through the pipeline and prints where to query. `demo.sh stop` stops the services.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
state="$root/.stack"
API_ADDR="${SHOCKWAVE_API_ADDR:-127.0.0.1:8080}"
PRICES="data/deepseek-week/market/deepseek-window-daily.csv"

stop_services() {
  for name in projector api; do
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
export SHOCKWAVE_DATABASE_URL="$DATABASE_URL" SHOCKWAVE_KAFKA_BROKERS="$KAFKA_BROKERS" SHOCKWAVE_API_ADDR="$API_ADDR"

echo "[demo] building the services (release)"
cargo build --release --quiet -p shockwave-ingest-prices -p shockwave-projector -p shockwave-api
bin="$root/target/release"

stop_services
mkdir -p "$state/logs"
start() { # name binary
  setsid -f bash -c 'echo $$ >"$1"; exec "$2" >"$3" 2>&1 </dev/null' _ "$state/$1.pid" "$bin/$2" "$state/logs/$1.log"
}
start projector projector
start api api
trap 'echo; stop_services; exit 130' INT TERM

echo "[demo] replaying $PRICES"
"$bin/ingest-prices" "$PRICES" 2>&1 | sed 's/^/[ingest-prices] /'

url="http://$API_ADDR/v1/prices?ticker=NVDA&from=2025-01-23&to=2025-01-28"
for _ in $(seq 1 150); do
  body="$(curl -fsS "$url" 2>/dev/null || true)"
  if [ -n "$body" ] && python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if len(d["bars"]) >= 4 else 1)' "$body" 2>/dev/null; then
    break
  fi
  sleep 0.2
done
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
cat <<MSG

[demo] the services keep running (logs in .stack/logs/). Query them:
  curl '$url'
  curl 'http://$API_ADDR/v1/prices?ticker=%5ESOX&from=2025-01-13&to=2025-02-07'
  curl 'http://$API_ADDR/readyz'    curl 'http://$API_ADDR/metrics'
Stop with: deploy/local/demo.sh stop   (and the broker with: deploy/local/stack.sh down)
MSG
