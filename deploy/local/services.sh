# Starting and stopping the services as processes of their own, for demo.sh and live.sh (sourced, not run).
# The caller sets: TAG (the prefix of messages), state (pid files and logs/), bin (the binaries' folder),
# SERVICES and INGESTORS (the names, which are also the binaries').

# Starts `binary args...` detached as `name`, its pid in $state/name.pid and its output in $state/logs/name.log.
# The scorer runs at nice SHOCKWAVE_SCORER_NICE (default 10): with a backlog it would take every core, and the
# broker, the projector and Postgres on the same machine need their share for articles to stay visible while
# scores catch up (bench/load.sh at 100 articles/s: visible p99 7.5 s instead of 63 s).
start() { # name binary args...
  local name="$1" binary="$2" niceness=0
  shift 2
  [ "$name" = scorer ] && niceness="${SHOCKWAVE_SCORER_NICE:-10}"
  setsid -f bash -c 'echo $$ >"$1"; log="$2"; niceness="$3"; shift 3; exec nice -n "$niceness" "$@" >"$log" 2>&1 </dev/null' \
    _ "$state/$name.pid" "$state/logs/$name.log" "$niceness" "$bin/$binary" "$@"
}

# Stops what was started: SIGTERM to each, then waits for them to finish their shutdown (SIGKILL after 20 s,
# which a clean stop never needs).
stop_services() {
  local name pid pids=() names=()
  for name in "${INGESTORS[@]}" "${SERVICES[@]}"; do
    if [ -f "$state/$name.pid" ]; then
      pid="$(cat "$state/$name.pid")"
      rm -f "$state/$name.pid"
      if kill "$pid" 2>/dev/null; then
        pids+=("$pid")
        names+=("$name")
      fi
    fi
  done
  local i t
  for i in "${!pids[@]}"; do
    for ((t = 0; t < 200; t++)); do kill -0 "${pids[$i]}" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "${pids[$i]}" 2>/dev/null; then
      kill -9 "${pids[$i]}" 2>/dev/null || true
      echo "[$TAG] ${names[$i]} did not stop within 20 s; killed"
    else
      echo "[$TAG] stopped ${names[$i]}"
    fi
  done
}

# Fails (after stopping everything) if one of `names...` is no longer running, with the end of its log.
assert_started() { # names...
  local name
  for name in "$@"; do
    if ! kill -0 "$(cat "$state/$name.pid" 2>/dev/null)" 2>/dev/null; then
      echo "[$TAG] $name stopped at start-up; the end of $state/logs/$name.log:" >&2
      grep -v '^ *[0-9]*: \|^ *at ' "$state/logs/$name.log" | tail -5 >&2
      stop_services
      exit 1
    fi
  done
}

# Brings the local stack up and exports what the services read (the stack's own settings pass through).
stack_up() {
  bash deploy/local/stack.sh up
  local stack_env="$root/.stack/env"
  [ "${SHOCKWAVE_BROKER_PORT:-9092}" = 9092 ] || stack_env="$root/.stack/env-$SHOCKWAVE_BROKER_PORT"
  # shellcheck disable=SC1090
  source "$stack_env"
  ORT_DYLIB_PATH="$(bash deploy/local/install-onnxruntime.sh)"
  export ORT_DYLIB_PATH SHOCKWAVE_DATABASE_URL="$DATABASE_URL" SHOCKWAVE_KAFKA_BROKERS="$KAFKA_BROKERS"
}

# Sets `bin`: the folder named by the setting `$1` when set (its binaries must all be there), else a release
# build of the services.
use_binaries() { # setting
  local setting="$1" name
  if [ -n "${!setting:-}" ]; then
    bin="$(cd "${!setting}" && pwd)"
    for name in "${SERVICES[@]}" "${INGESTORS[@]}" shockwave; do
      [ -x "$bin/$name" ] || { echo "[$TAG] $bin/$name is missing; build it or unset $setting" >&2; exit 1; }
    done
    echo "[$TAG] using the binaries in $bin"
  else
    echo "[$TAG] building the services (release)"
    cargo build --release --quiet -p shockwave-ingest-prices -p shockwave-ingest-news -p shockwave-ingest-appranks \
      -p shockwave-projector -p shockwave-scorer -p shockwave-alerter -p shockwave-api -p shockwave-cli
    bin="$root/target/release"
  fi
}
