#!/usr/bin/env bash
# The served model's speed beside ONNX Runtime in Python, in one run (services/scorer/src/bin/bench.rs):
# Python on the fp32 twin of the served file and on the served file itself, the Rust scorer with the same
# batching and with its own, alternating for BENCH_ROUNDS rounds (default 3); medians and ratios.
# Installs the pinned Python ONNX Runtime environment once per machine (deploy/local/install-onnxruntime-python.sh)
# and makes the fp32 twin with models/sentiment/recipe/dequantize_int8.py.
#   BENCH_MODEL_DIR   the model folder (default: the scorer's default, models/sentiment/v2)
#   BENCH_TEXTS       a CSV whose first column is the text (default: the Twitter validation split)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
model_dir="${BENCH_MODEL_DIR:-models/sentiment/v2}"
texts="${BENCH_TEXTS:-../shared/data/sentiment/twitter-financial-news/validation.csv}"
python="$(bash deploy/local/install-onnxruntime-python.sh)"
ORT_DYLIB_PATH="$(bash deploy/local/install-onnxruntime.sh)"
export ORT_DYLIB_PATH
twin="target/bench/$(basename "$model_dir")-fp32-twin.onnx"
mkdir -p target/bench
if [ ! -f "$twin" ] || [ "$model_dir/model.onnx" -nt "$twin" ]; then
  "$python" models/sentiment/recipe/dequantize_int8.py "$model_dir/model.onnx" "$twin" >&2
fi
cargo build --release --quiet -p shockwave-scorer --bin scorer-bench
target/release/scorer-bench "$texts" --model-dir "$model_dir" --python "$python" \
  --reference-fp32 "$twin" --rounds "${BENCH_ROUNDS:-3}"
