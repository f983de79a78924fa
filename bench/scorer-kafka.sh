#!/usr/bin/env bash
# Scorer throughput as a Kafka service, on a fresh broker of its own (port 19092), so earlier data on the
# shared broker does not skew the figure. Prints articles scored per second.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export SHOCKWAVE_BROKER_PORT=19092
unset KAFKA_BROKERS SHOCKWAVE_KAFKA_BROKERS  # this bench always uses its own broker
rm -rf .stack/tansu-19092
bash deploy/local/stack.sh up
trap 'bash deploy/local/stack.sh down' EXIT
ORT_DYLIB_PATH="$(bash deploy/local/install-onnxruntime.sh)"
export ORT_DYLIB_PATH KAFKA_BROKERS=127.0.0.1:19092
cargo build --release --quiet -p shockwave-scorer --bin scorer-kafka-bench
./target/release/scorer-kafka-bench "${1:-../shared/data/sentiment/twitter-financial-news/validation.csv}"
