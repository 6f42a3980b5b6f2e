#!/usr/bin/env bash
# The FastAPI peer of the reference server (FastAPI + asyncpg on uvicorn with uvloop and httptools).
# Creates its virtualenv on first use (again when requirements.txt changes), then serves until SIGTERM.
#   DATABASE_URL=postgres://... benchmarks/peers/fastapi/run.sh [--workers N] [--port P] [--host H] [--pool-size S]
# Prints `listening on http://HOST:PORT` once it answers (--port 0 picks a free port).
# PEER_VENV chooses the virtualenv (default .build/peers/fastapi-venv under the repo root), PYTHON the
# interpreter that creates it (default python3, 3.11 or newer). The schema must already be there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="${PEER_VENV:-$root/.build/peers/fastapi-venv}"
: "${DATABASE_URL:?DATABASE_URL must point at a database with the ArchMesh schema}"

if ! cmp -s "$here/requirements.txt" "$venv/requirements.txt"; then
    if [ -e "$venv" ] && [ ! -f "$venv/pyvenv.cfg" ]; then
        echo "$venv exists and is not a virtualenv; set PEER_VENV to another path" >&2; exit 2
    fi
    echo "installing the FastAPI peer into $venv" >&2
    rm -rf "$venv"
    "${PYTHON:-python3}" -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
    cp "$here/requirements.txt" "$venv/requirements.txt"
fi
exec "$venv/bin/python" "$here/app.py" "$@"
