#!/usr/bin/env bash
# Projector throughput on 1,000,000 synthetic events of mixed types, replay time, the reading side alone, two projector
# shards side by side, and the same rows through a plain COPY (the ceiling of this Postgres), on a fresh broker of its own
# (port 19094). Prints the figures.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export SHOCKWAVE_BROKER_PORT=19094
unset KAFKA_BROKERS SHOCKWAVE_KAFKA_BROKERS  # this bench always uses its own broker
rm -rf .stack/tansu-19094
bash deploy/local/stack.sh up
trap 'bash deploy/local/stack.sh down' EXIT
# shellcheck disable=SC1091
source .stack/env-19094
cargo build --release --quiet -p shockwave-projector --bin projector-bench
./target/release/projector-bench
