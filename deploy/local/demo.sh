#!/usr/bin/env bash
# The demo: brings up the local stack, builds and starts the services as their own processes, replays the
# DeepSeek-week dataset (news, app ranks, prices) through the three ingestors on one accelerated clock
# (SHOCKWAVE_REPLAY_SPEED, default one day per second, from SHOCKWAVE_REPLAY_FROM) with a progress line each
# second, then prints the report (the shock alert against the US open, the sell-off, evidence, the app-rank
# climb, lead-lag, where to query) and writes the chart to .stack/demo/chart.svg. Ctrl-C stops everything it
# started; `demo.sh stop` stops the services it left running.
#   SHOCKWAVE_API_ADDR       where the API listens (127.0.0.1:8080)
#   SHOCKWAVE_DEMO_STATE     pid files, logs/ and demo/ (the report and chart) (.stack)
#   SHOCKWAVE_DEMO_BIN_DIR   use the service binaries already built there instead of a release build
# The stack's own settings (SHOCKWAVE_DB_NAME, SHOCKWAVE_BROKER_PORT, DATABASE_URL, KAFKA_BROKERS) pass through
# to stack.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
state="${SHOCKWAVE_DEMO_STATE:-$root/.stack}"
API_ADDR="${SHOCKWAVE_API_ADDR:-127.0.0.1:8080}"
SPEED="${SHOCKWAVE_REPLAY_SPEED:-1d/s}"
# One clock for the three ingestors, from the dataset's first day: each stream arrives in history's order.
FROM="${SHOCKWAVE_REPLAY_FROM:-2024-12-20}"
DATA="data/deepseek-week"
SERVICES=(projector scorer alerter api)
INGESTORS=(ingest-news ingest-appranks ingest-prices)

TAG=demo
# shellcheck source=deploy/local/services.sh
source deploy/local/services.sh

if [ "${1:-}" = stop ]; then
  stop_services
  exit 0
fi

stack_up
export SHOCKWAVE_API_ADDR="$API_ADDR"
use_binaries SHOCKWAVE_DEMO_BIN_DIR

stop_services
mkdir -p "$state/logs"
trap 'echo; echo "[demo] interrupted; stopping what it started"; stop_services; exit 130' INT TERM
for name in "${SERVICES[@]}"; do
  start "$name" "$name"
done
sleep 2
assert_started "${SERVICES[@]}"

# One line per second while the replay runs, whenever something changed: how far history has got and what the
# pipeline has projected of it.
progress_line() {
  psql "$DATABASE_URL" -Atqc "SELECT 'history at ' || coalesce(to_char(max(occurred_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), '-')
      || ' UTC | articles ' || (SELECT count(*) FROM articles) || ' (scored ' || (SELECT count(DISTINCT article_id) FROM article_scores)
      || ') | price bars ' || (SELECT count(*) FROM price_bars) || ' | app ranks ' || (SELECT count(*) FROM app_ranks)
      || ' | shocks ' || (SELECT count(*) FROM shocks) FROM event_store" 2>/dev/null || true
}

echo "[demo] replaying $DATA at $SPEED from $FROM (news, app ranks and prices on one clock)"
replay() { # name args...
  local name="$1"
  shift
  # The prefixer ignores Ctrl-C and ends with the ingestor's output, so the ingestor's last lines (its shutdown)
  # are still shown; -u passes each line on at once.
  "$bin/$name" --replay-speed "$SPEED" --replay-from "$FROM" "$@" > >(trap '' INT; exec sed -u "s/^/[$name] /") 2>&1 &
  echo $! >"$state/$name.pid"
}
replay ingest-news "$DATA/news"
replay ingest-appranks "$DATA/appranks/ranks.csv"
replay ingest-prices "$DATA/market/deepseek-window-daily.csv"
last=""
while :; do
  running=0
  for name in "${INGESTORS[@]}"; do
    kill -0 "$(cat "$state/$name.pid")" 2>/dev/null && running=1
  done
  [ "$running" = 1 ] || break
  line="$(progress_line)"
  if [ -n "$line" ] && [ "$line" != "$last" ]; then
    echo "[demo] $line"
    last="$line"
  fi
  sleep 1
done
for name in "${INGESTORS[@]}"; do
  pid="$(cat "$state/$name.pid")"
  rm -f "$state/$name.pid"
  if ! wait "$pid"; then
    echo "[demo] $name failed; its output is above" >&2
    stop_services
    exit 1
  fi
done

# Settled: every article scored (by at least one model: a re-score adds more), the alerter's DeepSeek shock alert
# published and projected, every alert in its outbox published, and nothing changed for three seconds.
settled_state() {
  psql "$DATABASE_URL" -Atqc "SELECT CASE WHEN (SELECT count(*) FROM articles) > 0
        AND NOT EXISTS (SELECT 1 FROM articles a WHERE NOT EXISTS
              (SELECT 1 FROM article_scores s WHERE s.article_id = a.article_id))
        AND EXISTS (SELECT 1 FROM shocks WHERE subject = 'ai_efficiency' AND direction = 'negative')
        AND NOT EXISTS (SELECT 1 FROM alerts WHERE published_at IS NULL)
        AND (SELECT count(*) FROM alerts) = (SELECT count(*) FROM shock_events)
      THEN 'settled ' ELSE 'working ' END
      || (SELECT count(*) FROM event_store) || ' ' || (SELECT count(*) FROM article_scores) || ' '
      || (SELECT count(*) FROM alerts)" 2>/dev/null || true
}
echo "[demo] replay done; waiting for the pipeline to score everything and for the alerter's DeepSeek alert"
last="" steady=0 settled=0
for _ in $(seq 1 120); do
  state_now="$(settled_state)"
  if [ "${state_now%% *}" = settled ] && [ "$state_now" = "$last" ]; then
    steady=$((steady + 1))
    [ "$steady" -ge 3 ] && { settled=1; break; }
  else
    steady=0
  fi
  last="$state_now"
  sleep 1
done
if [ "$settled" != 1 ]; then
  echo "[demo] the pipeline did not settle within 120 s (last: ${last:-no database}); see $state/logs/" >&2
  exit 1
fi
line="$(progress_line)"
echo "[demo] $line"

url="http://$API_ADDR/v1/prices?ticker=NVDA&from=2025-01-23&to=2025-01-28"
body="$(curl -fsS "$url" 2>/dev/null || true)"
if ! python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if len(d["bars"]) >= 4 else 1)' "$body" 2>/dev/null; then
  echo "[demo] the API at $API_ADDR did not return NVDA's bars; see $state/logs/api.log" >&2
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
"$bin/shockwave" report "$state/demo"
cat <<MSG

[demo] the services keep running (logs in $state/logs/). Query them:
  curl '$url'
  curl 'http://$API_ADDR/v1/prices?ticker=%5ESOX&from=2025-01-13&to=2025-02-07'
  curl 'http://$API_ADDR/readyz'    curl 'http://$API_ADDR/metrics'
Stop with: deploy/local/demo.sh stop   (and the broker with: deploy/local/stack.sh down)
MSG
