#!/usr/bin/env bash
# Installs the ONNX Runtime shared library the scorer loads (ort's `load-dynamic`), once per machine, from the
# PyPI wheel `onnxruntime==1.32.0` (ort's own binary download is not reachable here). Both the wheel and the
# library are sha256-checked. Prints the library path. Elsewhere, point ORT_DYLIB_PATH at any
# libonnxruntime.so >= 1.31 (a system package or ort's download) instead.
set -euo pipefail
TOOLS_DIR="${SHOCKWAVE_TOOLS_DIR:-$HOME/.cache/shockwave/tools}"
VERSION="1.32.0"
WHEEL="onnxruntime-1.32.0-cp311-cp311-manylinux_2_28_x86_64.whl"
WHEEL_SHA256="5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d"
LIB_SHA256="6c1585d1bbf45b0712ea4a21b705c5fcb4ba04ff2e30f1fbf81a49faf658638f"
dir="$TOOLS_DIR/onnxruntime-$VERSION"
lib="$dir/libonnxruntime.so.$VERSION"

if [[ -f "$lib" ]] && echo "$LIB_SHA256  $lib" | sha256sum -c --quiet - 2>/dev/null; then
  echo "$lib"
  exit 0
fi
mkdir -p "$dir"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "downloading $WHEEL" >&2
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 --implementation cp \
  --platform manylinux_2_28_x86_64 "onnxruntime==$VERSION" -d "$tmp" >&2
echo "$WHEEL_SHA256  $tmp/$WHEEL" | sha256sum -c --quiet - >&2
python3 - "$tmp/$WHEEL" "$lib" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, open(sys.argv[2], "wb") as out:
    out.write(wheel.read(f"onnxruntime/capi/libonnxruntime.so.1.32.0"))
PY
echo "$LIB_SHA256  $lib" | sha256sum -c --quiet - >&2
echo "$lib"
