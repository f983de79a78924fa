#!/usr/bin/env bash
# Installs the Kafka-compatible broker Tansu 0.6.0 (SQLite engine) once per machine into a cache
# outside the clone, so every fresh clone (and CI) reuses the ~7 minute build.
set -euo pipefail
TOOLS_DIR="${SHOCKWAVE_TOOLS_DIR:-$HOME/.cache/shockwave/tools}"
TANSU_VERSION="0.6.0"
bin="$TOOLS_DIR/bin/tansu"
if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -q "$TANSU_VERSION"; then
  echo "tansu $TANSU_VERSION already installed at $bin"
  exit 0
fi
mkdir -p "$TOOLS_DIR"
echo "building tansu $TANSU_VERSION into $TOOLS_DIR (one time per machine, about 7 minutes)"
# A private target dir keeps the broker build out of the workspace's target/.
CARGO_TARGET_DIR="$TOOLS_DIR/build" cargo install tansu --version "$TANSU_VERSION" --locked \
  --no-default-features --features libsql --root "$TOOLS_DIR"
rm -rf "$TOOLS_DIR/build"
"$bin" --version
