#!/usr/bin/env bash
# Seeding rate for N projects (default 1,000,000) by `archmesh seed`, next to `psql \copy` of the
# very same rows into the same table, on one persistent cluster made for the run and removed after.
#   benchmarks/seed-rate.sh [projects]
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/common.sh
PROJECTS="${1:-1000000}"
build_release

work="$(mktemp -d)"
chmod 755 "$work"     # PostgreSQL runs as `postgres` and must reach its folder inside
export ARCHMESH_CLUSTER_DIR="$work/cluster"
trap '"$BIN" db destroy >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
"$BIN" db start --port "$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')" --log-level warning >/dev/null
url="$("$BIN" db status --show-password | grep -o 'postgres://[^ ]*')"

seconds() { python3 -c 'import sys,time; print(time.time())'; }

start=$(seconds)
"$BIN" seed --projects "$PROJECTS" --reset --log-level warning
ours=$(python3 -c "print($(seconds) - $start)")

"$BIN" seed --projects "$PROJECTS" --emit-copy "$work/projects.copy" >/dev/null
psql -q "$url" -c "TRUNCATE projects, workflow_sessions, seed_progress" >/dev/null
start=$(seconds)
psql -q "$url" -c "\\copy projects (id, name, description, domain, status, created_at, updated_at) FROM '$work/projects.copy'"
theirs=$(python3 -c "print($(seconds) - $start)")

python3 - "$PROJECTS" "$ours" "$theirs" <<'PY'
import sys
n, ours, theirs = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
psql = "psql \\copy, same rows"
print(f"{'loader':<24}{'seconds':>10}{'projects/s':>14}")
print(f"{'archmesh seed':<24}{ours:>10.2f}{n/ours:>14,.0f}")
print(f"{psql:<24}{theirs:>10.2f}{n/theirs:>14,.0f}")
print(f"ratio (archmesh / psql rate): {theirs/ours:.2f}")
PY
