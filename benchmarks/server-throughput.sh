#!/usr/bin/env bash
# The reference server under wrk, release build: /api/v1/health and the projects list
# (1000 projects seeded, limit 20), 32 connections. Prints requests/s and p99 for each.
#   benchmarks/server-throughput.sh            (DURATION=10s CONNECTIONS=32 THREADS=2 to change)
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/common.sh
DURATION="${DURATION:-10s}"; CONNECTIONS="${CONNECTIONS:-32}"; THREADS="${THREADS:-2}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 2; }

build_release
work="$(mktemp -d)"
trap 'stop_server; rm -rf "$work"' EXIT
start_server "$work/server.log" --seed-projects 1000

printf "%-28s %12s %10s %10s\n" "endpoint" "requests/s" "p50 ms" "p99 ms"
for path in "/api/v1/health" "/api/v1/projects?limit=20"; do
    wrk -t"$THREADS" -c"$CONNECTIONS" -d1s "$SERVER_URL$path" >/dev/null   # warm the pool and caches
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$SERVER_URL$path" >"$work/wrk.txt"
    rps="$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")"
    p50="$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")"
    p99="$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")"
    printf "%-28s %12s %10s %10s\n" "$path" "$rps" "$p50" "$p99"
    grep -E "Non-2xx|Socket errors" "$work/wrk.txt" || true
done
