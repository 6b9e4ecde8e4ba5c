#!/usr/bin/env bash
# Installs the servers the tests run for real (redis-server, PostgreSQL) when they are missing.
# Part of `pnpm test`, so the README's test line passes on a bare machine with only Node (as root, with
# apt); elsewhere it says what to install. Tests start their own instances on free loopback ports.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null; }
else
  echo "The tests need ${missing[*]}: install them (Debian/Ubuntu: sudo apt-get install -y ${missing[*]};" \
    "macOS: brew install redis postgresql) and run again." >&2
  exit 1
fi
