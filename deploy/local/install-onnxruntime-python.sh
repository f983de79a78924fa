#!/usr/bin/env bash
# Installs, once per machine, a Python environment with ONNX Runtime at the version the scorer loads
# (install-onnxruntime.sh) and what the model recipe's reference scripts import: the scorer's parity test runs
# the served file through it on the machine under test, and bench/scorer.sh uses it as the speed reference.
# Prints the environment's python. Versions are pinned as in models/sentiment/recipe/requirements.txt.
set -euo pipefail
TOOLS_DIR="${SHOCKWAVE_TOOLS_DIR:-$HOME/.cache/shockwave/tools}"
venv="$TOOLS_DIR/onnxruntime-python-1.32.0"
if ! "$venv/bin/python" -c "import onnxruntime, tokenizers, numpy, onnx" 2>/dev/null; then
  echo "installing the Python ONNX Runtime environment into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    onnxruntime==1.32.0 tokenizers==0.23.2 numpy==2.4.6 onnx==1.23.1 >&2
fi
echo "$venv/bin/python"
