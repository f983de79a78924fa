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
RATES="${BENCH_RATES:-10 20 30 40 60 80 100}"
export BENCH_SECONDS="${BENCH_SECONDS:-30}"
# shellcheck source=bench/pipeline.sh
source "$root/bench/pipeline.sh"

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
