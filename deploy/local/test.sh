#!/usr/bin/env bash
# The whole test suite, from a fresh clone: formatting and lints, the local stack (Postgres + broker), then
# every unit, contract and end-to-end test against the real servers.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

need_nextest() {
  command -v cargo-nextest >/dev/null && return 0
  echo "[test] installing cargo-nextest"
  cargo install cargo-nextest --locked
}

echo "[test] cargo fmt --check"
cargo fmt --all -- --check
echo "[test] cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

# The tests' shared broker has a port (and data folder) of its own, so what they publish never reaches the
# demo's broker on 9092; tests that stop or restart a broker start private ones on other ports.
export SHOCKWAVE_BROKER_PORT="${SHOCKWAVE_TEST_BROKER_PORT:-19091}"
bash deploy/local/stack.sh up
# shellcheck disable=SC1090
source ".stack/env-$SHOCKWAVE_BROKER_PORT"
unset SHOCKWAVE_BROKER_PORT
ORT_DYLIB_PATH="$(bash deploy/local/install-onnxruntime.sh)"
SHOCKWAVE_ORT_PYTHON="$(bash deploy/local/install-onnxruntime-python.sh)"
bash deploy/local/install-prometheus.sh
SHOCKWAVE_SCHEMATHESIS="$(bash deploy/local/install-schemathesis.sh)"
SHOCKWAVE_CHROMIUM="$(bash deploy/local/install-chromium.sh)"
export SHOCKWAVE_SCHEMATHESIS SHOCKWAVE_CHROMIUM
export ORT_DYLIB_PATH SHOCKWAVE_ORT_PYTHON

# Each end-to-end test makes its own database; drop those an earlier run left behind.
server="${DATABASE_URL%/*}"
psql "$server/postgres" -Atqc "select datname from pg_database where datname like 'sw\_test\_%'" \
  | while read -r db; do psql "$server/postgres" -qc "drop database if exists \"$db\"" >/dev/null; done

need_nextest
# End-to-end tests start every service binary (the operator CLI included), and cargo builds a package's
# binaries only for that package's own tests: build them all first.
echo "[test] cargo build --workspace --bins"
cargo build --workspace --bins --quiet
echo "[test] cargo nextest run --workspace"
cargo nextest run --workspace --no-fail-fast "$@"
