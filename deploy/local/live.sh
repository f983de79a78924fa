#!/usr/bin/env bash
# Runs shockwave live: the local stack, the services, and the three ingestors polling the default sources
# (deploy/config/: news feeds, Apple charts, Yahoo daily bars; none needs an account), with a progress line every
# SHOCKWAVE_LIVE_PROGRESS_SECS seconds (10) whenever something changed: how many configured sources have
# delivered, articles (scored), price bars, app ranks and shocks. Ctrl-C stops everything it started;
# `live.sh stop` stops what an earlier run left running.
#   SHOCKWAVE_NEWS_FEEDS        news feeds file (deploy/config/news-feeds.json)
#   SHOCKWAVE_APPRANKS_CHARTS   app charts file (deploy/config/app-charts.json)
#   SHOCKWAVE_PRICES_POLL       prices poll file (deploy/config/prices-yahoo.json; prices-alpaca.json with keys)
#   SHOCKWAVE_API_ADDR          where the API listens (127.0.0.1:8080)
#   SHOCKWAVE_LIVE_STATE        pid files and logs/ (.stack/live)
#   SHOCKWAVE_LIVE_BIN_DIR      use the service binaries already built there instead of a release build
# The stack's own settings (SHOCKWAVE_DB_NAME, SHOCKWAVE_BROKER_PORT, DATABASE_URL, KAFKA_BROKERS) pass through
# to stack.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
state="${SHOCKWAVE_LIVE_STATE:-$root/.stack/live}"
API_ADDR="${SHOCKWAVE_API_ADDR:-127.0.0.1:8080}"
EVERY="${SHOCKWAVE_LIVE_PROGRESS_SECS:-10}"
NEWS="${SHOCKWAVE_NEWS_FEEDS:-deploy/config/news-feeds.json}"
CHARTS="${SHOCKWAVE_APPRANKS_CHARTS:-deploy/config/app-charts.json}"
PRICES="${SHOCKWAVE_PRICES_POLL:-deploy/config/prices-yahoo.json}"
SERVICES=(projector scorer alerter api)
INGESTORS=(ingest-news ingest-appranks ingest-prices)
TAG=live
# shellcheck source=deploy/local/services.sh
source deploy/local/services.sh

if [ "${1:-}" = stop ]; then
  stop_services
  exit 0
fi

count() { # file key: how many entries the JSON file lists under key
  python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))[sys.argv[2]]))' "$1" "$2"
}
feeds="$(count "$NEWS" feeds)" charts="$(count "$CHARTS" charts)" tickers="$(count "$PRICES" instruments)"

stack_up
export SHOCKWAVE_API_ADDR="$API_ADDR"
use_binaries SHOCKWAVE_LIVE_BIN_DIR
stop_services
mkdir -p "$state/logs"
trap 'echo; echo "[live] stopping what it started"; stop_services; exit 0' INT TERM
for name in "${SERVICES[@]}"; do
  start "$name" "$name"
done
start ingest-news ingest-news --poll "$NEWS"
start ingest-appranks ingest-appranks --poll "$CHARTS"
start ingest-prices ingest-prices --poll "$PRICES"
sleep 2
assert_started "${SERVICES[@]}" "${INGESTORS[@]}"
echo "[live] polling $feeds news feeds, $charts app charts and $tickers tickers; logs in $state/logs/, API on http://$API_ADDR"

progress_line() {
  psql "$DATABASE_URL" -Atqc "SELECT 'sources with data: feeds ' || (SELECT count(DISTINCT feed_id) FROM articles) || '/$feeds'
      || ', charts ' || (SELECT count(DISTINCT (country, chart)) FROM app_ranks) || '/$charts'
      || ', tickers ' || (SELECT count(DISTINCT ticker) FROM price_bars) || '/$tickers'
      || ' | articles ' || (SELECT count(*) FROM articles) || ' (scored ' || (SELECT count(DISTINCT article_id) FROM article_scores)
      || ') | price bars ' || (SELECT count(*) FROM price_bars) || ' | app ranks ' || (SELECT count(*) FROM app_ranks)
      || ' | shocks ' || (SELECT count(*) FROM shocks)" 2>/dev/null || true
}

last=""
while :; do
  for name in "${SERVICES[@]}" "${INGESTORS[@]}"; do
    if ! kill -0 "$(cat "$state/$name.pid" 2>/dev/null)" 2>/dev/null; then
      echo "[live] $name stopped; the end of $state/logs/$name.log:" >&2
      tail -5 "$state/logs/$name.log" >&2
      stop_services
      exit 1
    fi
  done
  line="$(progress_line)"
  if [ -n "$line" ] && [ "$line" != "$last" ]; then
    echo "[live] $(date -u +%H:%M:%S) $line"
    last="$line"
  fi
  sleep "$EVERY"
done
