#!/usr/bin/env bash
# Runs once when the Postgres container creates its database (docker-entrypoint-initdb.d): the group roles the
# migrations grant to (created here too, so the logins below can join them before the first migration), and
# one login per consumer of least privilege, with passwords from the environment:
#   grafana        member of shockwave_reader (SELECT on what the dashboards read)   GRAFANA_DB_PASSWORD
#   shockwave_api  member of shockwave_api (reads, and switches the active model)     API_DB_PASSWORD
# The services that write (projector, alerter, scorer's re-score jobs) and the migrate step use the owner.
set -euo pipefail
: "${GRAFANA_DB_PASSWORD:?set GRAFANA_DB_PASSWORD}" "${API_DB_PASSWORD:?set API_DB_PASSWORD}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v grafana_password="$GRAFANA_DB_PASSWORD" -v api_password="$API_DB_PASSWORD" <<'SQL'
CREATE ROLE shockwave_reader NOLOGIN;
CREATE ROLE shockwave_api NOLOGIN;
CREATE ROLE grafana LOGIN PASSWORD :'grafana_password' IN ROLE shockwave_reader;
CREATE ROLE shockwave_api_login LOGIN PASSWORD :'api_password' IN ROLE shockwave_api;
SQL
