#!/usr/bin/env bash
# The consistency experiment on top of v2 (see ../MODEL_CARD.md, "Tried and not kept"): about 25 minutes of
# training on 2 cores with nothing else running, plus the export.
#   1. the fp32 twin of v2's served int8 file (dequantize_int8.py): exactly the weights v2 serves;
#   2. its layers above the topic layer and its head trained further with the EN/FR consistency term
#      (train_top.py);
#   3. export, int8 quantisation, every figure at batch 1 as served, the topic head and the parity fixture
#      (export_v2.py) into OUT_DIR, a candidate model folder without model.json.
# Usage: retrain_top.sh WORK_DIR OUT_DIR     (the packages in requirements.txt installed)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$1" out="$2"
data="$here/../../../../shared/data"
twitter="$data/sentiment/twitter-financial-news"
finentity="$data/sentiment/finentity/FinEntity.json"
v2="$here/../v2"
mkdir -p "$work" "$out"
export PYTHONUNBUFFERED=1
started=$(date +%s)

python3 "$here/dequantize_int8.py" "$v2/model.onnx" "$work/v2-twin.onnx"
python3 "$here/train_top.py" --twin "$work/v2-twin.onnx" --tokenizer "$v2/tokenizer.json" \
  --data "$twitter" --finentity "$finentity" --out "$work/train"
python3 "$here/export_v2.py" --base "$work/train" --weights "$work/train/finetuned.safetensors" \
  --data "$twitter" --finentity "$finentity" --ntrex "$data/eval/ntrex-en-fr" \
  --catalog "$here/../../../crates/catalog/config/catalog.json" --out "$out"
cp "$work/train/train_report.json" "$work/train/training.log" "$out/"
echo "recipe took $(( ($(date +%s) - started) / 60 )) min"
