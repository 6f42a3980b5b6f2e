#!/usr/bin/env bash
# What the request log costs the server: `archmesh serve` with `--log-requests` (a JSON line per
# request, as the harness starts it so that a report's slowest requests are found in the log) and
# without it, taking turns, on the health check and the projects list (1000 seeded projects),
# `archmesh load` with 32 connections. Prints each round (requests/s and the server's CPU
# microseconds per request, from /proc), the medians and the ratios. On a cluster of its own
# (ARCHMESH_CLUSTER_DIR in a temporary folder), removed after.
#   benchmarks/request-log.sh   (ROUNDS=3 DURATION=8s to change; ARCHMESH_BIN=path for a given build)
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/common.sh
ROUNDS="${ROUNDS:-3}"; DURATION="${DURATION:-8s}"
build_release
work="$(mktemp -d)"; chmod 755 "$work"  # PostgreSQL runs as postgres when root starts it
export ARCHMESH_CLUSTER_DIR="$work/cluster"
trap 'stop_server; "$BIN" db destroy >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
"$BIN" db start >/dev/null 2>&1
DATABASE_URL="$("$BIN" db status --show-password 2>/dev/null | grep -o 'postgres://[^ ]*' | head -1)"
export DATABASE_URL
"$BIN" seed --projects 1000 --workflows-per-project 0.5 >/dev/null 2>&1
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
echo "== request log: $ROUNDS rounds of $DURATION, 32 connections, with --log-requests and without, taking turns"
: >"$work/rounds"
for round in $(seq 1 "$ROUNDS"); do
    for mode in log off; do
        if [ "$mode" = log ]; then
            start_server "$work/server.log" --pool-size 20 --log-level info --log-format json --log-requests
        else
            start_server "$work/server.log" --pool-size 20
        fi
        for path in /api/v1/health "/api/v1/projects?limit=20"; do
            "$BIN" load "$SERVER_URL$path" -c 32 -d 1s >/dev/null 2>&1  # warm-up
            before=$(cpu_ticks "$SERVER_PID")
            "$BIN" load "$SERVER_URL$path" -c 32 -d "$DURATION" --json >"$work/load.json"
            after=$(cpu_ticks "$SERVER_PID")
            python3 - "$work/load.json" "$round" "$mode" "$path" "$before" "$after" "$(getconf CLK_TCK)" <<'PY' | tee -a "$work/rounds"
import json, sys
load = json.load(open(sys.argv[1]))
ticks = int(sys.argv[6]) - int(sys.argv[5])
print(sys.argv[2], sys.argv[3], sys.argv[4], round(load["requests_per_second"], 1), round(ticks / int(sys.argv[7]) / max(load["total_requests"], 1) * 1e6, 1))
PY
        done
        stop_server
    done
done
python3 - "$work/rounds" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
for path in sorted({r[2] for r in rows}):
    def med(mode, column): return statistics.median(float(r[column]) for r in rows if r[1] == mode and r[2] == path)
    on = [float(r[3]) for r in rows if r[1] == "log" and r[2] == path]; off = [float(r[3]) for r in rows if r[1] == "off" and r[2] == path]
    print("  %s: with the log %.0f req/s (%.1f us/req), without %.0f req/s (%.1f us/req); with / without %.3f (paired median)" % (
        path, med("log", 3), med("log", 4), med("off", 3), med("off", 4), statistics.median(a / b for a, b in zip(on, off))))
PY
