# Shared by the benchmark scripts: a release build, and a reference server started and stopped by PID.

# Builds the release binary once and sets BIN to it; ARCHMESH_BIN=path uses that binary instead
# (a copy, so that a long proof is not disturbed by a rebuild of the working tree).
build_release() {
    if [ -n "${ARCHMESH_BIN:-}" ]; then BIN="$ARCHMESH_BIN"; return; fi
    swift build -c release --product archmesh >&2
    BIN="$(swift build -c release --show-bin-path)/archmesh"
}

# start_server LOGFILE [serve options...]: starts `archmesh serve --port 0` and sets SERVER_PID and SERVER_URL.
start_server() {
    local log="$1"; shift
    "$BIN" serve --port 0 --log-level warning "$@" >"$log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 240); do
        if grep -q "listening on" "$log"; then
            SERVER_URL="$(grep -o 'https\?://[0-9.]*:[0-9]*' "$log" | head -1)"
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log" >&2; return 1; }
        sleep 0.5
    done
    echo "server did not start; its log:" >&2; cat "$log" >&2; return 1
}

# Stops the server gracefully (it then stops its embedded PostgreSQL) and waits for it.
stop_server() {
    if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
