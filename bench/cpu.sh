#!/usr/bin/env bash
# Where the CPU goes per article on the co-located pipeline (bench/pipeline.sh: broker, Postgres, projector,
# scorer, API, all on this machine): loadgen publishes at one rate (BENCH_CPU_RATE articles/s, default 20, with
# bars at a fifth and ranks at a twentieth of it beside them) for BENCH_SECONDS (default 30) and waits until every
# article is scored and projected. Around that step it reads each process's user + system CPU time from /proc
# (Postgres: every server process; loadgen: `perf stat`), and `perf record` samples the scorer to split its time
# by library (ONNX Runtime's kernels, the scorer's own code with the tokenizer, librdkafka, libc, the kernel).
# Prints CPU milliseconds per published article by process, and the scorer's split.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rate="${BENCH_CPU_RATE:-20}"
export BENCH_SECONDS="${BENCH_SECONDS:-30}"
command -v perf >/dev/null || { echo "[cpu] needs perf (Debian: linux-perf)" >&2; exit 1; }
# shellcheck source=bench/pipeline.sh
source "$root/bench/pipeline.sh"

ticks="$(getconf CLK_TCK)"
# user + system clock ticks of the given pids that are still alive (fields 14 and 15 of /proc/PID/stat).
cpu_ticks() {
  local total=0 p t
  for p in "$@"; do
    t="$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}')" || continue
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
postgres_pids() { pgrep -x postgres || pgrep -f 'postgres:' || true; }
broker_pid="$(cat .stack/tansu-19110.pid)"

# A short warm-up (not measured): connections, the model's first runs, the topics' first segments.
BENCH_SECONDS=10 target/release/loadgen capacity 5 >/dev/null

declare -A before
for name in projector scorer_1 api; do pid="pid_$name"; before[$name]="$(cpu_ticks "${!pid}")"; done
before[broker]="$(cpu_ticks "$broker_pid")"
declare -A postgres_before
for p in $(postgres_pids); do postgres_before[$p]="$(cpu_ticks "$p")"; done

perf record -q -F 499 -g -p "$pid_scorer_1" -o "$logs/scorer.perf" >/dev/null 2>&1 &
perf_pid=$!
perf stat -x, -e task-clock -o "$logs/loadgen.stat" target/release/loadgen capacity "$rate" | tee "$logs/cpu-step.txt"
kill -INT "$perf_pid" && wait "$perf_pid" || true

declare -A after
for name in projector scorer_1 api; do pid="pid_$name"; after[$name]="$(cpu_ticks "${!pid}")"; done
after[broker]="$(cpu_ticks "$broker_pid")"
# Postgres by server process: what each one still alive spent since the first reading (a process that began
# during the step, from its start); one that ended during the step is missed.
before[postgres]=0
after[postgres]=0
for p in $(postgres_pids); do
  after[postgres]=$((after[postgres] + $(cpu_ticks "$p") - ${postgres_before[$p]:-0}))
done

published="$(awk -F'published=' '/published=/ {split($2, a, " "); n += a[1]} END {print n + 0}' "$logs/cpu-step.txt")"
[ "$published" -gt 0 ] || { echo "[cpu] loadgen published nothing" >&2; exit 1; }
loadgen_ms="$(awk -F, '/task-clock/ {print $1}' "$logs/loadgen.stat")"

echo
echo "CPU per published article at $rate articles/s for ${BENCH_SECONDS} s ($published articles, bars and ranks beside them)"
echo "| process | CPU ms per article | share |"
echo "|---|---|---|"
{
  for name in scorer_1 projector api broker postgres; do
    awk -v n="$name" -v d="$((after[$name] - before[$name]))" -v t="$ticks" -v p="$published" \
      'BEGIN { printf "%s %.3f\n", n, d * 1000 / t / p }'
  done
  awk -v ms="$loadgen_ms" -v p="$published" 'BEGIN { printf "loadgen %.3f\n", ms / p }'
} | awk '{ name[NR] = $1; ms[NR] = $2; total += $2 }
         END { for (i = 1; i <= NR; i++) printf "| %s | %.2f | %.0f %% |\n", name[i], ms[i], 100 * ms[i] / total;
               printf "| all | %.2f | 100 %% |\n", total }'

echo
echo "The scorer's samples by library (perf report --sort dso):"
perf report -i "$logs/scorer.perf" --no-children --sort dso --stdio 2>/dev/null \
  | awk '/^ +[0-9.]+%/ { printf "  %s %s\n", $1, $2 }' | head -12
