#!/usr/bin/env bash
# What taking plans costs the server: `archmesh load` on the projects list (1000 seeded projects,
# 16 connections) with auto_explain as the harness sets it (log_analyze, log_buffers, JSON, a
# sample of PlanCapture.sampleRate of the executions, and executions logged with their parameters
# at the same rate, drawn apart, for database scenarios) and without it, taking turns, the server
# restarted for each (the settings apply to new sessions). Prints each round, the medians and
# the ratio. On a cluster of its own (ARCHMESH_CLUSTER_DIR in a temporary folder), removed after.
#   benchmarks/plans.sh   (ROUNDS=3 DURATION=10s SAMPLE=0.02 to change)
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/common.sh
ROUNDS="${ROUNDS:-3}"; DURATION="${DURATION:-10s}"; SAMPLE="${SAMPLE:-0.02}"
command -v psql >/dev/null || { echo "psql is needed (PostgreSQL's client)" >&2; exit 2; }
build_release
work="$(mktemp -d)"; chmod 755 "$work"  # PostgreSQL runs as postgres when root starts it
export ARCHMESH_CLUSTER_DIR="$work/cluster"
trap 'stop_server; "$BIN" db destroy >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
"$BIN" db start >/dev/null 2>&1
url="$("$BIN" db status --show-password 2>/dev/null | grep -o 'postgres://[^ ]*' | head -1)"
export DATABASE_URL="$url"
"$BIN" seed --projects 1000 --workflows-per-project 0.5 >/dev/null 2>&1
sql() { psql "$url" -Atqc "$1" >/dev/null; }
sql "ALTER SYSTEM SET log_line_prefix = '%m [%p] %d '"; sql "SELECT pg_reload_conf()"
database="$(psql "$url" -Atqc 'SELECT current_database()')"
set_plans() {
    if [ "$1" = on ]; then
        for setting in "session_preload_libraries = 'auto_explain'" "auto_explain.log_min_duration = 0" "auto_explain.log_analyze = on" \
            "auto_explain.log_buffers = on" "auto_explain.log_format = 'json'" "auto_explain.sample_rate = $SAMPLE" \
            "log_min_duration_sample = 0" "log_statement_sample_rate = $SAMPLE" "log_parameter_max_length = -1"; do
            sql "ALTER DATABASE \"$database\" SET $setting"
        done
    else
        sql "ALTER DATABASE \"$database\" RESET ALL"
    fi
}
echo "== plans: GET /api/v1/projects?limit=20, 16 connections, $DURATION each, $ROUNDS rounds, auto_explain at $SAMPLE of executions on and off"
: >"$work/rounds"
for round in $(seq 1 "$ROUNDS"); do
    for mode in on off; do
        set_plans "$mode"
        start_server "$work/server.log" --pool-size 20
        "$BIN" load "$SERVER_URL/api/v1/projects?limit=20" -c 16 -d "$DURATION" --json >"$work/load.json"
        stop_server
        rate=$(python3 -c "import json; print(json.load(open('$work/load.json'))['requests_per_second'])")
        p99=$(python3 -c "import json; print(json.load(open('$work/load.json'))['latency_ms']['p99'])")
        echo "$round $mode $rate $p99" | tee -a "$work/rounds"
    done
done
logged=$(grep -c "LOG:  duration: .* plan:" "$ARCHMESH_CLUSTER_DIR/postgres.log" || true)
python3 - "$work/rounds" "$logged" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def med(mode, column): return statistics.median(float(r[column]) for r in rows if r[1] == mode)
on = [r for r in rows if r[1] == "on"]; off = [r for r in rows if r[1] == "off"]
print("  with plans taken: %.0f req/s, p99 %.2f ms; without: %.0f req/s, p99 %.2f ms" % (med("on", 2), med("on", 3), med("off", 2), med("off", 3)))
print("  throughput with / without: %.3f (paired median); plans logged: %s" % (statistics.median(float(a[2]) / float(b[2]) for a, b in zip(on, off)), sys.argv[2]))
PY
