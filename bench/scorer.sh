#!/usr/bin/env bash
# The served model's speed beside ONNX Runtime in Python, in one run (services/scorer/src/bin/bench.rs):
# Python on the fp32 twin of the served file and on the served file itself, the Rust scorer with the same
# batching and with its own, alternating for BENCH_ROUNDS rounds (default 3); medians and ratios.
# Installs a Python environment with the pinned onnxruntime, tokenizers, numpy and onnx once per machine
# (under SHOCKWAVE_TOOLS_DIR) and makes the fp32 twin with models/sentiment/recipe/dequantize_int8.py.
#   BENCH_MODEL_DIR   the model folder (default: the scorer's default, models/sentiment/v2)
#   BENCH_TEXTS       a CSV whose first column is the text (default: the Twitter validation split)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tools="${SHOCKWAVE_TOOLS_DIR:-$HOME/.cache/shockwave/tools}"
venv="$tools/bench-python"
model_dir="${BENCH_MODEL_DIR:-models/sentiment/v2}"
texts="${BENCH_TEXTS:-../shared/data/sentiment/twitter-financial-news/validation.csv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import onnxruntime, tokenizers, numpy, onnx" 2>/dev/null; then
  echo "[bench] installing the Python reference environment into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet onnxruntime==1.32.0 tokenizers==0.23.2 "numpy>=2,<3" onnx==1.23.1
fi
ORT_DYLIB_PATH="$(bash deploy/local/install-onnxruntime.sh)"
export ORT_DYLIB_PATH
twin="target/bench/$(basename "$model_dir")-fp32-twin.onnx"
mkdir -p target/bench
if [ ! -f "$twin" ] || [ "$model_dir/model.onnx" -nt "$twin" ]; then
  "$venv/bin/python" models/sentiment/recipe/dequantize_int8.py "$model_dir/model.onnx" "$twin" >&2
fi
cargo build --release --quiet -p shockwave-scorer --bin scorer-bench
target/release/scorer-bench "$texts" --model-dir "$model_dir" --python "$venv/bin/python" \
  --reference-fp32 "$twin" --rounds "${BENCH_ROUNDS:-3}"
