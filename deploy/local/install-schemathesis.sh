#!/usr/bin/env bash
# Installs Schemathesis (PyPI, pinned) into a virtual environment under the tools cache, once per machine, and
# prints the path of its `st` command. The API's property-based test runs it against /openapi.json.
set -euo pipefail
TOOLS_DIR="${SHOCKWAVE_TOOLS_DIR:-$HOME/.cache/shockwave/tools}"
VERSION="4.32.5"
venv="$TOOLS_DIR/schemathesis"
if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$VERSION"; then
  echo "[install] schemathesis $VERSION into $venv" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q "schemathesis==$VERSION" >&2
fi
echo "$venv/bin/st"
