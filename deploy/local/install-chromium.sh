#!/usr/bin/env bash
# Debian's Chromium for the browser test of the API's documentation page (tests/tests/api_docs.rs): installed
# once per machine from the distribution's packages; prints the browser's path.
set -euo pipefail
if ! command -v chromium >/dev/null; then
  echo "[install] chromium (Debian package)" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
fi
command -v chromium
