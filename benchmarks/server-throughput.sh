#!/usr/bin/env bash
# The reference server next to its peers, on one PostgreSQL, in one run, taking turns, release build:
#   - archmesh serve (this package),
#   - the FastAPI original (benchmarks/peers/fastapi: FastAPI + asyncpg + uvicorn/uvloop, the same
#     SQL and JSON; 1 and 2 workers, the better counts), installed into a virtualenv from PyPI,
#   - pgbench running the projects list's statement (the page, carrying the count of all that match),
#     prepared, as the server runs it,
#   - a bare Hummingbird hello-world route (benchmarks/peers/hummingbird-hello), for /health/live.
# Before measuring, check_same_api.py must find the peer answering as the reference server does.
# Endpoints: /api/v1/health (a SELECT 1), /api/v1/projects?limit=20 (a page of 20 of 1000 seeded
# projects), /health/live (no database). wrk with THREADS threads and CONNECTIONS connections for
# DURATION, ROUNDS rounds; each figure is the median of its rounds. Prints requests/s, the server's
# CPU microseconds per request (from /proc) and the ratios the goals are stated in.
#   benchmarks/server-throughput.sh        (ROUNDS=3 DURATION=8s CONNECTIONS=32 THREADS=1 to change)
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/common.sh
ROUNDS="${ROUNDS:-3}"; DURATION="${DURATION:-8s}"; CONNECTIONS="${CONNECTIONS:-32}"; THREADS="${THREADS:-1}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 2; }
command -v pgbench >/dev/null || { echo "pgbench is needed: apt-get install -y postgresql-client" >&2; exit 2; }

build_release
swift build -c release --package-path benchmarks/peers/hummingbird-hello >&2
HELLO="$(swift build -c release --package-path benchmarks/peers/hummingbird-hello --show-bin-path)/hello"
work="$(mktemp -d)"
chmod 755 "$work"  # the cluster inside runs as the postgres user when we are root
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
    ARCHMESH_CLUSTER_DIR="$work/cluster" "$BIN" db destroy >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# One PostgreSQL for everyone: a cluster of this run's own, seeded once.
export ARCHMESH_CLUSTER_DIR="$work/cluster"
"$BIN" db start --port "$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')" >/dev/null
DATABASE_URL="$("$BIN" db status --show-password | grep -o 'postgres://[^ ]*')"
export DATABASE_URL
"$BIN" seed --projects 1000 --workflows-per-project 0.5 >/dev/null
read -r PGUSER PGPASSWORD PGHOST PGPORT PGDATABASE < <(python3 -c "
from urllib.parse import urlparse; u=urlparse('$DATABASE_URL'); print(u.username, u.password, u.hostname, u.port, u.path[1:])")
export PGUSER PGPASSWORD PGHOST PGPORT PGDATABASE

# start NAME LOG COMMAND...: starts a server, waits for its `listening on` line, records PID and URL.
declare -A URL PID
start() {
    local name="$1" log="$2"; shift 2
    "$@" >"$log" 2>&1 &
    PID[$name]=$!; pids+=("$!")
    for _ in $(seq 1 240); do
        if grep -q "listening on" "$log"; then URL[$name]="$(grep -o 'http://[0-9.]*:[0-9]*' "$log" | head -1)"; return 0; fi
        kill -0 "${PID[$name]}" 2>/dev/null || { cat "$log" >&2; exit 1; }
        sleep 0.5
    done
    echo "$name did not start" >&2; cat "$log" >&2; exit 1
}
start archmesh "$work/archmesh.log" "$BIN" serve --port 0 --log-level warning
start fastapi1 "$work/fastapi1.log" benchmarks/peers/fastapi/run.sh --workers 1 --port 0
start fastapi2 "$work/fastapi2.log" benchmarks/peers/fastapi/run.sh --workers 2 --port 0
start hello "$work/hello.log" "$HELLO" 0
python3 benchmarks/peers/fastapi/check_same_api.py "${URL[archmesh]}" "${URL[fastapi1]}" >"$work/same.txt" \
    || { cat "$work/same.txt" >&2; echo "the peer does not answer as the reference server does" >&2; exit 1; }
tail -1 "$work/same.txt" >&2

# CPU seconds of a process and its children (uvicorn's workers), from /proc.
cpu_of() {
    python3 - "$1" <<'EOF'
import os, sys
root = int(sys.argv[1]); tick = os.sysconf("SC_CLK_TCK")
def children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid: out.append(int(entry))
            except OSError: pass
    return out
todo, total = [root], 0.0
while todo:
    pid = todo.pop()
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    except OSError: continue
    todo += children(pid)
print(total)
EOF
}

# measure NAME PATH: wrk against a server; prints "requests/s cpu-us-per-request".
measure() {
    local name="$1" path="$2" before after
    wrk -t"$THREADS" -c"$CONNECTIONS" -d1s "${URL[$name]}$path" >/dev/null
    before="$(cpu_of "${PID[$name]}")"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" "${URL[$name]}$path" >"$work/wrk.txt"
    after="$(cpu_of "${PID[$name]}")"
    if grep -q "Non-2xx" "$work/wrk.txt"; then grep "Non-2xx" "$work/wrk.txt" | sed "s/^/  $name $path: /" >&2; fi
    python3 -c "
import re; t=open('$work/wrk.txt').read(); n=int(re.search(r'(\d+) requests in', t).group(1)); r=float(re.search(r'Requests/sec:\s+([\d.]+)', t).group(1))
print(r, round(($after-$before)/n*1e6, 1))"
}

# pgbench: the projects list's statement (the page, with the count of all matching rows in its last
# column), as the server sends it with no filter: prepared, the limit and offset bound, planned for
# each execution's values (the filters' NULLs are written out: the server's plans fold them alike).
cat >"$work/list.sql" <<'EOF'
\set limit 20
\set skip 0
SELECT id, name, description, domain::text, status::text, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24":"MI":"SS.US"Z"'), to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24":"MI":"SS.US"Z"'), (SELECT count(*) FROM projects WHERE (NULL::project_domain IS NULL OR domain = NULL::project_domain) AND (NULL::project_status IS NULL OR status = NULL::project_status) AND (NULL::text IS NULL OR name ILIKE NULL::text OR description ILIKE NULL::text)) FROM projects WHERE (NULL::project_domain IS NULL OR domain = NULL::project_domain) AND (NULL::project_status IS NULL OR status = NULL::project_status) AND (NULL::text IS NULL OR name ILIKE NULL::text OR description ILIKE NULL::text) ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :skip;
EOF
pgbench_tps() {
    PGOPTIONS="-c plan_cache_mode=force_custom_plan" pgbench -n -M prepared -c 20 -j "$THREADS" -T "${DURATION%s}" -f "$work/list.sql" \
        2>/dev/null | awk '/^tps/ {print $3; exit}'
}

declare -A RESULTS
median() { python3 -c "import statistics,sys; print(f'{statistics.median(float(x) for x in sys.argv[1:]):.1f}')" "$@"; }
for round in $(seq 1 "$ROUNDS"); do
    echo "round $round of $ROUNDS" >&2
    for path in /api/v1/health "/api/v1/projects?limit=20" /health/live; do
        for name in archmesh fastapi1 fastapi2; do RESULTS["$name $path"]+="$(measure "$name" "$path" | tr ' ' ':') "; done
    done
    RESULTS["hello /health/live"]+="$(measure hello /health/live | tr ' ' ':') "
    RESULTS["pgbench list"]+="$(pgbench_tps):0 "
done

figure() {  # figure KEY FIELD(1 rps, 2 cpu): the median over rounds
    local values=() entry
    for entry in ${RESULTS["$1"]}; do values+=("$(echo "$entry" | cut -d: -f"$2")"); done
    median "${values[@]}"
}
echo
printf "%-30s %14s %14s %14s %14s\n" "endpoint" "archmesh rps" "(us/req)" "FastAPI rps" "(us/req)"
for path in /api/v1/health "/api/v1/projects?limit=20" /health/live; do
    best=fastapi1; [ "$(python3 -c "print($(figure "fastapi2 $path" 1) > $(figure "fastapi1 $path" 1))")" = True ] && best=fastapi2
    printf "%-30s %14s %14s %14s %14s  (%s)\n" "$path" "$(figure "archmesh $path" 1)" "$(figure "archmesh $path" 2)" \
        "$(figure "$best $path" 1)" "$(figure "$best $path" 2)" "${best#fastapi} worker(s)"
done
printf "%-30s %14s %14s\n" "bare Hummingbird /health/live" "$(figure "hello /health/live" 1)" "$(figure "hello /health/live" 2)"
printf "%-30s %14s\n" "pgbench, the list's SQL (tps)" "$(figure "pgbench list" 1)"
echo
ratio() { python3 -c "print(round($1 / $2, 2))"; }
best_of() { python3 -c "print(max($(figure "fastapi1 $1" 1), $(figure "fastapi2 $1" 1)))"; }
echo "ratios (goal):"
echo "  health: archmesh / FastAPI best        $(ratio "$(figure "archmesh /api/v1/health" 1)" "$(best_of /api/v1/health)")   (>= 5)"
echo "  projects list: archmesh / FastAPI best $(ratio "$(figure "archmesh /api/v1/projects?limit=20" 1)" "$(best_of "/api/v1/projects?limit=20")")   (>= 5)"
echo "  projects list: archmesh / pgbench      $(ratio "$(figure "archmesh /api/v1/projects?limit=20" 1)" "$(figure "pgbench list" 1)")   (>= 0.5)"
echo "  /health/live: archmesh / bare Hummingbird $(ratio "$(figure "archmesh /health/live" 1)" "$(figure "hello /health/live" 1)")   (>= 0.5)"
