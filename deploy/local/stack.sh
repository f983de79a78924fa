#!/usr/bin/env bash
# Local stack on loopback: Postgres and a Kafka-compatible broker (Tansu 0.6.0, SQLite engine).
#   stack.sh up      start what is missing, create the database, write .stack/env
#   stack.sh down    stop what this script started (the machine's own Postgres cluster is left running)
#   stack.sh status  say what is reachable
# Postgres: DATABASE_URL if reachable, else the machine's cluster (pg_ctlcluster), else a throwaway cluster
# (initdb/pg_ctl under .stack/pg). Broker: KAFKA_BROKERS if set (e.g. a real Apache Kafka), else Tansu on
# SHOCKWAVE_BROKER_PORT (9092; another port gets its own data folder, for isolated benchmarks).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
state="$root/.stack"
mkdir -p "$state"
TOOLS_DIR="${SHOCKWAVE_TOOLS_DIR:-$HOME/.cache/shockwave/tools}"
DB_NAME="${SHOCKWAVE_DB_NAME:-shockwave}"
BROKER_PORT="${SHOCKWAVE_BROKER_PORT:-9092}"

log() { echo "[stack] $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() { # host port seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do port_open "$1" "$2" && return 0; sleep 0.1; done
  return 1
}

pg_ok() { psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }

ensure_postgres_client() {
  command -v psql >/dev/null && return 0
  log "installing the Postgres client"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null
}

start_postgres() {
  ensure_postgres_client
  local admin_url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  admin_url="${admin_url%/*}/postgres"
  if pg_ok "$admin_url"; then
    log "Postgres reachable at ${admin_url%/*}"
  elif command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ] && ver="$(ls /etc/postgresql | sort -V | tail -1)" && [ -n "$ver" ] \
      && pg_ctlcluster --skip-systemctl-redirect "$ver" main start >&2 2>/dev/null && wait_port 127.0.0.1 5432 20 && pg_ok "$admin_url"; then
    log "started the machine's Postgres $ver cluster"
  else
    local bin
    bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
    if [ -z "$bin" ]; then
      log "installing Postgres"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
      bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
    fi
    local dir="$state/pg" port=54329 run_as=()
    [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
    if [ ! -s "$dir/PG_VERSION" ]; then
      mkdir -p "$dir" && chown -R "$( [ "$(id -u)" = 0 ] && echo postgres || id -un)" "$dir"
      "${run_as[@]}" "$bin/initdb" -D "$dir" -U postgres --auth=trust >/dev/null
    fi
    "${run_as[@]}" "$bin/pg_ctl" -D "$dir" -o "-p $port -k /tmp -c listen_addresses=127.0.0.1" -l "$dir/server.log" -w start >/dev/null
    touch "$state/pg.ours"
    admin_url="postgres://postgres@127.0.0.1:$port/postgres"
    log "started a throwaway Postgres cluster at 127.0.0.1:$port"
  fi
  local base="${admin_url%/*}"
  if [ "$(psql "$admin_url" -Atqc "select 1 from pg_database where datname = '$DB_NAME'")" != 1 ]; then
    psql "$admin_url" -qc "create database \"$DB_NAME\"" >/dev/null
    log "created database $DB_NAME"
  fi
  echo "$base/$DB_NAME"
}

start_broker() {
  if [ -n "${KAFKA_BROKERS:-}" ]; then
    log "using the broker at $KAFKA_BROKERS"
    echo "$KAFKA_BROKERS"
    return
  fi
  local addr="127.0.0.1:$BROKER_PORT"
  if port_open 127.0.0.1 "$BROKER_PORT"; then
    log "broker already listening on $addr"
    echo "$addr"
    return
  fi
  bash "$root/deploy/local/install-broker.sh" >&2
  local data="$state/tansu"
  [ "$BROKER_PORT" = 9092 ] || data="$state/tansu-$BROKER_PORT"
  mkdir -p "$data"
  # Storage path is relative to the broker's working directory; it survives broker restarts.
  # setsid -f detaches the broker from this shell (and from any pipe the caller reads), so `up` returns.
  BROKER_PORT="$BROKER_PORT" TANSU="$TOOLS_DIR/bin/tansu" setsid -f bash -c '
    echo $$ >"$1/tansu-$BROKER_PORT.pid"; cd "$2"
    exec env CLUSTER_ID=shockwave "$TANSU" broker --listener-url "tcp://127.0.0.1:$BROKER_PORT" \
      --advertised-listener-url "tcp://127.0.0.1:$BROKER_PORT" --storage-engine "sqlite://tansu.db" \
      >"$2/tansu.log" 2>&1 </dev/null' _ "$state" "$data" </dev/null >/dev/null 2>&1
  if ! wait_port 127.0.0.1 "$BROKER_PORT" 30; then
    log "broker did not start; its log:"; tail -20 "$data/tansu.log" >&2; exit 1
  fi
  log "started Tansu on $addr (data in $data)"
  echo "$addr"
}

case "${1:-up}" in
  up)
    db_url="$(start_postgres)"
    brokers="$(start_broker)"
    envfile="$state/env"
    [ "$BROKER_PORT" = 9092 ] || envfile="$state/env-$BROKER_PORT"
    printf 'export DATABASE_URL=%q\nexport KAFKA_BROKERS=%q\n' "$db_url" "$brokers" >"$envfile"
    log "ready: DATABASE_URL=$db_url KAFKA_BROKERS=$brokers (also in ${envfile#"$root/"})"
    ;;
  down)
    if [ -f "$state/tansu-$BROKER_PORT.pid" ]; then
      pid="$(cat "$state/tansu-$BROKER_PORT.pid")"
      kill "$pid" 2>/dev/null || true
      # Wait for it to be gone, so an `up` right after does not mistake the closing broker for a running one.
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$state/tansu-$BROKER_PORT.pid"; log "broker on $BROKER_PORT stopped"
    fi
    # A broker on another port is a test's private one: the shared Postgres stays up for the others.
    if [ "$BROKER_PORT" = 9092 ] && [ -f "$state/pg.ours" ]; then
      bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
      run_as=(); [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
      "${run_as[@]}" "$bin/pg_ctl" -D "$state/pg" -m fast stop >/dev/null || true
      rm -f "$state/pg.ours"; log "throwaway Postgres stopped"
    fi
    ;;
  status)
    port_open 127.0.0.1 "$BROKER_PORT" && log "broker: listening on $BROKER_PORT" || log "broker: down"
    pg_ok "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" && log "postgres: up" || log "postgres: down"
    ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
