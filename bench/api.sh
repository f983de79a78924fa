#!/usr/bin/env bash
# API latency with wrk (Debian) on loopback over the demo week: for /v1/sentiment (day buckets, one month) and
# /v1/correlations, the most requests per second 8 connections get, and p50/p99 at about 500 requests per
# second (connections that each pause 20 ms between requests, bench/paced.lua, as many as the unpaced p50
# says make 500 per second; wrk reports the rate achieved). Runs the demo first (deploy/local/demo.sh: release
# build, services, replay) unless BENCH_API_URL points at a running API over the demo data; start that API
# with SHOCKWAVE_API_CACHE_MS=0 to measure the database path without the response cache. The aim: p99 under
# 20 ms at 500 requests per second.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
base="${BENCH_API_URL:-}"
if [ -z "$base" ]; then
  bash deploy/local/demo.sh >/dev/null
  base="http://${SHOCKWAVE_API_ADDR:-127.0.0.1:8080}"
fi
DURATION="${BENCH_DURATION:-20s}"
endpoints=(
  "sentiment|$base/v1/sentiment?topic=ai_efficiency&bucket=day&from=2025-01-01&to=2025-01-31"
  "correlations|$base/v1/correlations?topic=ai_efficiency&instrument=basket:ai_hardware&max_lag=5"
)
summary() { # wrk output -> "rate p50 p99"
  awk '/Requests\/sec/ {rate=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {print rate, p50, p99}'
}
printf '%-13s %-22s %10s %10s %10s\n' endpoint load "req/s" p50 p99
for entry in "${endpoints[@]}"; do
  name="${entry%%|*}" url="${entry#*|}"
  curl -fsS "$url" >/dev/null || { echo "[bench] $url does not answer 200" >&2; exit 1; }
  read -r rate p50 p99 < <(wrk -t2 -c8 -d"$DURATION" --latency "$url" | summary)
  printf '%-13s %-22s %10s %10s %10s\n' "$name" "max (8 connections)" "$rate" "$p50" "$p99"
  # wrk prints latencies as 812.00us, 4.57ms or 1.02s.
  p50_ms="$(awk -v v="$p50" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /[0-9]s$/) n *= 1000; print n }')"
  connections="$(awk -v l="$p50_ms" 'BEGIN { c = int(500 * (20 + l) / 1000 + 0.5); print (c < 1 ? 1 : c) }')"
  read -r rate p50 p99 < <(PACE_MS=20 wrk -t2 -c"$connections" -d"$DURATION" --latency -s bench/paced.lua "$url" | summary)
  printf '%-13s %-22s %10s %10s %10s\n' "$name" "paced, $connections connections" "$rate" "$p50" "$p99"
done
