#!/usr/bin/env bash
# Installs Prometheus's tools from Debian's packages when missing: promtool (rule checks and rule unit tests)
# and Alertmanager (the alert delivery tests start a real one on loopback).
set -euo pipefail
missing=()
command -v promtool >/dev/null || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null || missing+=(prometheus-alertmanager)
[ "${#missing[@]}" -eq 0 ] && exit 0
echo "[install] ${missing[*]} from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
sudo_=(); [ "$(id -u)" = 0 ] || sudo_=(sudo)
"${sudo_[@]}" apt-get update -qq >&2
"${sudo_[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
