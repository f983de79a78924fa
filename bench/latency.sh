#!/usr/bin/env bash
# End-to-end latency at fixed rates on the co-located pipeline (bench/pipeline.sh): for each rate in
# BENCH_LATENCY_RATES (articles/s, default "10 30"), loadgen publishes for BENCH_SECONDS (default 60) and probes
# every BENCH_PROBE_EVERY-th article (default 5) through the API: publish to acknowledged, to visible and to scored
# (p50, p99, max). Settings under test go in the environment (SHOCKWAVE_KAFKA_FETCH_WAIT_MS, ...): the services
# inherit it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rates="${BENCH_LATENCY_RATES:-10 30}"
export BENCH_SECONDS="${BENCH_SECONDS:-60}" BENCH_PROBE_EVERY="${BENCH_PROBE_EVERY:-5}"
# shellcheck source=bench/pipeline.sh
source "$root/bench/pipeline.sh"

# A short warm-up (not measured): connections, the model's first runs, the topics' first segments.
BENCH_SECONDS=10 target/release/loadgen capacity 5 >/dev/null
for rate in $rates; do
  target/release/loadgen latency "$rate"
  sleep 5
done
