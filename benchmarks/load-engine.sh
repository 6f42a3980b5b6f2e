#!/usr/bin/env bash
# The load engine next to wrk, in one run, release build, against the reference server:
#   1. throughput and CPU per request on /health/live (THROUGHPUT_PATH to change), 32 connections:
#      wrk -t1, wrk -t2, `archmesh load` and `archmesh load --swiftnio-loop` taking turns; medians and ratios
#   2. memory: peak resident memory of `archmesh load` after 100,000 and 5,000,000 requests; the ratio
#   3. accuracy: a fixed 20 ms server-side delay; p50 should land within 20-22 ms
#   4. coordinated omission: 1000 requests/s for 10 s with a one-off 1 s stall; corrected vs uncorrected p99
#   5. https: throughput and CPU per request over TLS (a throwaway CA and certificate made with openssl,
#      the server started with --tls-cert/--tls-key), wrk and `archmesh load --cacert` taking turns;
#      the handshake's p50 and p99
#   6. http2: h2c against h2load (apt-get install nghttp2-client): the server started with --http2,
#      2 connections of 16 streams each, h2load and `archmesh load --http2` taking turns; CPU per request
#   7. trace: what trace context costs: the engine's CPU per request with and without its traceparent,
#      and the server's throughput under wrk with and without one
#   8. journey: what a templated request costs: the engine threads' CPU per request for a fixed GET, the
#      same GET as a one-step journey with no slot, and as one whose path has three slots (${vu}, ${seq},
#      ${uuid}), each a scenario of `archmesh run --target`, taking turns; and a two-step journey that
#      extracts from a JSON answer. The goal: a templated request at most 2x a fixed one.
#   benchmarks/load-engine.sh [throughput|memory|accuracy|omission|https|http2|trace|journey ...]   (default: all eight)
#   ROUNDS=3 DURATION=10s BIG=5000000 to change the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/common.sh
ROUNDS="${ROUNDS:-3}"; DURATION="${DURATION:-10s}"; BIG="${BIG:-5000000}"
parts=("$@"); [ ${#parts[@]} -eq 0 ] && parts=(throughput memory accuracy omission https http2 trace journey)
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 2; }

build_release
work="$(mktemp -d)"
trap 'stop_server; rm -rf "$work"' EXIT
token="bench-$(date +%s%N)"
start_server "$work/server.log" --enable-faults --fault-token "$token" --pool-size 20

json() { python3 -c "import json,sys; d=json.load(open('$1')); print($2)"; }
faults() { curl -fsS -X "$1" -H "X-Fault-Token: $token" -H 'Content-Type: application/json' ${2:+-d "$2"} "$SERVER_URL/_faults" >/dev/null; }

# side_by_side URL [archmesh load options...]: wrk -t1, wrk -t2 and archmesh load taking turns on URL,
# ROUNDS rounds, the order rotated each round (none always runs first); prints each round, then the
# median throughput and CPU per request of each generator and the ratios. Medians, because on a
# shared machine one round in several is disturbed; and each wrk compared apart, because the better
# of two noisy samples beats a third one by its noise alone. With WITH_NIO=1, archmesh load on
# SwiftNIO's loops (--swiftnio-loop) takes turns too: the engine before and after its own loop.
side_by_side() {
    local url="$1"; shift
    # wrk sends the headers archmesh load sends (its request ID has the same length), so that the
    # server does the same work for both: the reference server answers a bare GET about 8% faster.
    local same_request=(-H "User-Agent: archmesh-load" -H "X-Request-ID: wrkbench-0000000000000001"
        -H "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-80f067aa0ba902b7-01")
    wrk -t2 -c32 -d2s "$url" >/dev/null
    : >"$work/rounds"
    local generators=(wrk1 wrk2 ours)
    [ "${WITH_NIO:-0}" = 1 ] && generators+=(nio)
    local turns=${#generators[@]}
    for round in $(seq 1 "$ROUNDS"); do
        local line="  round $round:"
        for turn in $(seq 0 $((turns - 1))); do
            local name="${generators[$(( (turn + round - 1) % turns ))]}"
            case "$name" in
            wrk1|wrk2)
                /usr/bin/time -f "%U %S" -o "$work/time" wrk -t"${name#wrk}" -c32 -d"$DURATION" "${same_request[@]}" "$url" >"$work/out"
                rate=$(awk '/Requests\/sec/ {print $2}' "$work/out"); count=$(grep -o '[0-9]* requests in' "$work/out" | cut -d' ' -f1) ;;
            ours)
                /usr/bin/time -f "%U %S" -o "$work/time" "$BIN" load "$url" -c 32 -d "$DURATION" --json "$@" >"$work/ours.json"
                rate=$(json "$work/ours.json" "round(d['requests_per_second'], 1)"); count=$(json "$work/ours.json" "d['total_requests']") ;;
            nio)
                /usr/bin/time -f "%U %S" -o "$work/time" "$BIN" load "$url" -c 32 -d "$DURATION" --json --swiftnio-loop "$@" >"$work/nio.json"
                rate=$(json "$work/nio.json" "round(d['requests_per_second'], 1)"); count=$(json "$work/nio.json" "d['total_requests']") ;;
            esac
            cpu=$(python3 -c "u,s=open('$work/time').read().split(); print(round((float(u)+float(s))/$count*1e6, 2))")
            echo "$round $name $rate $cpu" >>"$work/rounds"
            line="$line $name ${rate} req/s (${cpu} us/req);"
        done
        echo "$line"
    done
    python3 - "$work/rounds" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
rate = {n: statistics.median(float(r[2]) for r in rows if r[1] == n) for n in ("wrk1", "wrk2", "ours")}
cpu = {n: statistics.median(float(r[3]) for r in rows if r[1] == n) for n in ("wrk1", "wrk2", "ours")}
print("  medians: wrk -t1 %.0f req/s (%.2f us/req), wrk -t2 %.0f req/s (%.2f us/req), archmesh load %.0f req/s (%.2f us/req)"
      % (rate["wrk1"], cpu["wrk1"], rate["wrk2"], cpu["wrk2"], rate["ours"], cpu["ours"]))
best = max(("wrk1", "wrk2"), key=lambda n: rate[n])
print("  throughput ratio (archmesh load / wrk -t1): %.3f; / the better wrk (%s): %.3f"
      % (rate["ours"] / rate["wrk1"], "-t1" if best == "wrk1" else "-t2", rate["ours"] / rate[best]))
print("  CPU per request ratio (archmesh load / wrk -t1): %.3f; / wrk -t2: %.3f" % (cpu["ours"] / cpu["wrk1"], cpu["ours"] / cpu["wrk2"]))
if any(r[1] == "nio" for r in rows):
    nio_rate = statistics.median(float(r[2]) for r in rows if r[1] == "nio")
    nio_cpu = statistics.median(float(r[3]) for r in rows if r[1] == "nio")
    print("  archmesh load on SwiftNIO's loops (--swiftnio-loop): %.0f req/s (%.2f us/req): %.3f of wrk -t1's throughput, %.3f of its CPU per request"
          % (nio_rate, nio_cpu, nio_rate / rate["wrk1"], nio_cpu / cpu["wrk1"]))
PY
}

for part in "${parts[@]}"; do case "$part" in
throughput)
    path="${THROUGHPUT_PATH:-/health/live}"
    echo "== throughput and CPU per request: GET $path, 32 connections, $DURATION each, $ROUNDS rounds: wrk -t1, wrk -t2, archmesh load"
    echo "   (CPU = user + system seconds of the load generator's own process, from /usr/bin/time, over its requests)"
    WITH_NIO="${WITH_NIO:-1}" side_by_side "$SERVER_URL$path"
    ;;
https)
    command -v openssl >/dev/null || { echo "openssl is needed: apt-get install -y openssl" >&2; exit 2; }
    path="${THROUGHPUT_PATH:-/health/live}"
    tls="$work/tls"; mkdir -p "$tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$tls/ca.key" -out "$tls/ca.pem" \
        -days 2 -subj "/CN=archmesh benchmark CA" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$tls/server.key" -out "$tls/server.csr" -subj "/CN=localhost" 2>/dev/null
    printf "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n" >"$tls/ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -out "$tls/server.pem" -days 2 \
        -extfile "$tls/ext" 2>/dev/null
    plain_url="$SERVER_URL"
    stop_server
    start_server "$work/server-tls.log" --enable-faults --fault-token "$token" --pool-size 20 --tls-cert "$tls/server.pem" --tls-key "$tls/server.key"
    url="https://localhost:${SERVER_URL##*:}$path"
    echo "== https: GET $path over TLS 1.3 (P-256 certificate), 32 connections, $DURATION each, $ROUNDS rounds: wrk -t1, wrk -t2, archmesh load --cacert"
    side_by_side "$url" --cacert "$tls/ca.pem"
    json "$work/ours.json" "'  handshakes (last round): %d, p50 %.2f ms, p99 %.2f ms, max %.2f ms' % (d['tls']['handshakes'], d['tls']['handshake_ms']['p50'], d['tls']['handshake_ms']['p99'], d['tls']['handshake_ms']['max'])"
    echo "== https, a new connection per request (Connection: close), 32 connections, $DURATION: handshake cost"
    "$BIN" load "$url" -c 32 -d "$DURATION" -H "Connection: close" --cacert "$tls/ca.pem" --json >"$work/close.json"
    json "$work/close.json" "'  %.1f requests/s, %d handshakes, p50 %.2f ms, p99 %.2f ms; errors %s' % (d['requests_per_second'], d['tls']['handshakes'], d['tls']['handshake_ms']['p50'], d['tls']['handshake_ms']['p99'], {k: v for k, v in d['errors'].items() if v})"
    stop_server
    start_server "$work/server.log" --enable-faults --fault-token "$token" --pool-size 20
    ;;
memory)
    echo "== memory: peak resident memory of archmesh load on GET /health/live, 32 connections (text summary, no JSON to build)"
    for count in 100000 "$BIG"; do
        /usr/bin/time -f "%M" -o "$work/rss.$count" "$BIN" load "$SERVER_URL/health/live" -c 32 -n "$count" >"$work/mem.txt"
        printf "  %9d requests: %7d KiB peak RSS (%s)\n" "$count" "$(cat "$work/rss.$count")" "$(grep -o '[0-9.]* requests/s' "$work/mem.txt")"
    done
    echo "  ratio (peak after $BIG / peak after 100000): $(python3 -c "print(round($(cat "$work/rss.$BIG")/$(cat "$work/rss.100000"), 3))")"
    ;;
accuracy)
    echo "== accuracy: GET /health/live with a fixed 20 ms server-side delay, 10 connections, $DURATION"
    faults PUT '{"latency_ms": 20, "path_prefix": "/health/live"}'
    "$BIN" load "$SERVER_URL/health/live" -c 10 -d "$DURATION" --json >"$work/acc.json"
    faults DELETE
    json "$work/acc.json" "'  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  (server app p50 %.2f ms); p50 within 20-22 ms: %s' % (d['latency_ms']['p50'], d['latency_ms']['p90'], d['latency_ms']['p99'], d['endpoints'][0]['server']['app']['p50'], 20 <= d['latency_ms']['p50'] <= 22)"
    ;;
omission)
    echo "== coordinated omission: GET /health/live at 1000 requests/s for 10 s, 10 connections, the server stalls once for 1 s at 3 s"
    faults PUT '{"stall_ms": 1000, "stall_after_ms": 3000}'
    "$BIN" load "$SERVER_URL/health/live" --rate 1000 -d 10s -c 10 --json >"$work/co.json"
    faults DELETE
    json "$work/co.json" "'  corrected   p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms\n  uncorrected p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms\n  sent %d, late %d, never sent %d' % (d['latency_ms']['p50'], d['latency_ms']['p99'], d['latency_ms']['p999'], d['latency_ms']['max'], d['uncorrected_latency_ms']['p50'], d['uncorrected_latency_ms']['p99'], d['uncorrected_latency_ms']['p999'], d['uncorrected_latency_ms']['max'], d['total_requests'], d['late_requests'], d['unsent_requests'])"
    ;;
http2)
    command -v h2load >/dev/null || { echo "h2load is needed: apt-get install -y nghttp2-client" >&2; exit 2; }
    path="${THROUGHPUT_PATH:-/health/live}"
    stop_server
    start_server "$work/server-h2.log" --enable-faults --fault-token "$token" --pool-size 20 --http2
    url="$SERVER_URL$path"
    echo "== http2 (h2c): GET $path, 2 connections x 16 streams, $DURATION each, $ROUNDS rounds, order rotated: h2load (fixed request ID), h2load (no request ID), archmesh load --http2"
    echo "   (the server echoes X-Request-ID: h2load's fixed ID is indexed once by the server's HPACK encoder, where the engine's, new"
    echo "   for every request, is a new literal in every response; without one, the server makes a new ID per response, as for the engine)"
    h2load -c 2 -m 16 -D 2 "$url" >/dev/null 2>&1 || true
    : >"$work/rounds2"
    generators=(h2fixed h2none ours)
    for round in $(seq 1 "$ROUNDS"); do
        line="  round $round:"
        for turn in 0 1 2; do
            name="${generators[$(( (turn + round - 1) % 3 ))]}"
            case "$name" in
            h2fixed|h2none)
                id=(); [ "$name" = h2fixed ] && id=(-H "x-request-id: h2lbench-0000000000000001")
                /usr/bin/time -f "%U %S" -o "$work/time" h2load -c 2 -m 16 -D "${DURATION%s}" -H "user-agent: archmesh-load" "${id[@]}" \
                    -H "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-80f067aa0ba902b7-01" "$url" >"$work/h2load.txt" 2>&1
                rate=$(awk '/^finished in/ {gsub(",", "", $4); print $4}' "$work/h2load.txt"); count=$(awk '/^requests:/ {print $6}' "$work/h2load.txt") ;;
            ours)
                /usr/bin/time -f "%U %S" -o "$work/time" "$BIN" load "$url" --http2 --streams 16 -c 32 -d "$DURATION" --json >"$work/ours-h2.json"
                rate=$(json "$work/ours-h2.json" "round(d['requests_per_second'], 1)"); count=$(json "$work/ours-h2.json" "d['total_requests']") ;;
            esac
            cpu=$(python3 -c "u,s=open('$work/time').read().split(); print(round((float(u)+float(s))/$count*1e6, 2))")
            echo "$round $name $rate $cpu" >>"$work/rounds2"
            line="$line $name ${rate} req/s (${cpu} us/req);"
        done
        echo "$line"
    done
    python3 - "$work/rounds2" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
rate = {n: statistics.median(float(r[2]) for r in rows if r[1] == n) for n in ("h2fixed", "h2none", "ours")}
cpu = {n: statistics.median(float(r[3]) for r in rows if r[1] == n) for n in ("h2fixed", "h2none", "ours")}
print("  medians: h2load (fixed ID) %.0f req/s (%.2f us/req), h2load (no ID) %.0f req/s (%.2f us/req), archmesh load --http2 %.0f req/s (%.2f us/req)"
      % (rate["h2fixed"], cpu["h2fixed"], rate["h2none"], cpu["h2none"], rate["ours"], cpu["ours"]))
print("  throughput ratio (archmesh load --http2 / h2load): fixed ID %.3f, no ID %.3f" % (rate["ours"] / rate["h2fixed"], rate["ours"] / rate["h2none"]))
print("  CPU per request ratio (archmesh load --http2 / h2load): fixed ID %.3f, no ID %.3f" % (cpu["ours"] / cpu["h2fixed"], cpu["ours"] / cpu["h2none"]))
PY
    stop_server
    start_server "$work/server.log" --enable-faults --fault-token "$token" --pool-size 20
    ;;
trace)
    # What trace context costs: the engine's CPU per request with and without its traceparent, and
    # the server's throughput with and without one (wrk sends the same request either way).
    url="$SERVER_URL${THROUGHPUT_PATH:-/health/live}"
    echo "== trace context: $ROUNDS rounds of $DURATION, 32 connections, on and off taking turns"
    : >"$work/trace"
    for round in $(seq 1 "$ROUNDS"); do
        for mode in on off; do
            flag=(); [ "$mode" = off ] && flag=(--no-trace-context)
            /usr/bin/time -f "%U %S" -o "$work/time" "$BIN" load "$url" -c 32 -d "$DURATION" --json "${flag[@]}" >"$work/trace.json"
            read -r user sys <"$work/time"
            extra=(); [ "$mode" = on ] && extra=(-H "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-80f067aa0ba902b7-01")
            server=$(wrk -t1 -c32 -d"$DURATION" -H "User-Agent: archmesh-load" -H "X-Request-ID: wrkbench-0000000000000001" "${extra[@]}" "$url" \
                | awk '/Requests\/sec/ {print $2}')
            echo "$mode $(json "$work/trace.json" "d['requests_per_second']") $(json "$work/trace.json" "($user + $sys) * 1e6 / d['total_requests']") $server" \
                | tee -a "$work/trace"
        done
    done
    python3 - "$work/trace" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def med(mode, column): return statistics.median(float(r[column]) for r in rows if r[0] == mode)
on = [r for r in rows if r[0] == "on"]; off = [r for r in rows if r[0] == "off"]
print("  archmesh load: %.2f us CPU per request with traceparent, %.2f without: %.3f (paired medians)"
      % (med("on", 2), med("off", 2), statistics.median(float(a[2]) / float(b[2]) for a, b in zip(on, off))))
print("  the server under wrk: %.0f req/s with a traceparent, %.0f without: %.3f (paired medians)"
      % (med("on", 3), med("off", 3), statistics.median(float(a[3]) / float(b[3]) for a, b in zip(on, off))))
PY
    ;;
journey)
    # Engine threads' CPU (from the report's engine check, so the suite's own work around the run is
    # left out) over requests, for the same GET sent four ways, taking turns, ROUNDS rounds.
    cat >"$work/journey.yaml" <<YAML
thresholds: {load: {}}
endpoints: {live: {method: GET, path: /health/live}}
scenarios:
  - {key: fixed, type: load, severity: low, endpoints: [live], users: 32, duration: $DURATION}
  - {key: journey_fixed, type: load, severity: low, users: 32, duration: $DURATION, flow: [{name: live, method: GET, path: /health/live}]}
  - key: journey_templated
    type: load
    severity: low
    users: 32
    duration: $DURATION
    flow: [{name: live, method: GET, path: '/health/live?user=\${vu}&journey=\${seq}&id=\${uuid}'}]
  - key: journey_extracting
    type: load
    severity: low
    users: 32
    duration: $DURATION
    flow:
      - {name: health, method: GET, path: /api/v1/health, extract: {state: \$.status}}
      - {name: live, method: GET, path: '/health/live?state=\${state}'}
YAML
    echo "== journeys: engine CPU per request, 32 users, $DURATION each, $ROUNDS rounds: fixed GET, one-step journey without and with slots, two steps with an extraction"
    : >"$work/journey"
    for round in $(seq 1 "$ROUNDS"); do
        "$BIN" run --config "$work/journey.yaml" --target "$SERVER_URL" --output "$work/journey.json" --no-history >/dev/null 2>&1 || true
        python3 - "$work/journey.json" "$round" >>"$work/journey" <<'PY'
import json, sys
for s in json.load(open(sys.argv[1]))["scenarios"]:
    load = s["load"]
    cpu = sum(load["engine"]["thread_cpu_percent"]) / 100 * load["duration_seconds"]
    print(sys.argv[2], s["key"], load["requests_per_second"], cpu / load["total_requests"] * 1e6, load.get("journeys", {}).get("completed", 0))
PY
        tail -4 "$work/journey" | awk '{printf "  round %s %s: %.0f req/s, %.2f us engine CPU per request\n", $1, $2, $3, $4}'
    done
    python3 - "$work/journey" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = {k: statistics.median(float(r[3]) for r in rows if r[1] == k) for k in ("fixed", "journey_fixed", "journey_templated", "journey_extracting")}
rate = {k: statistics.median(float(r[2]) for r in rows if r[1] == k) for k in med}
for k in med: print("  %-19s %8.0f req/s  %6.2f us engine CPU per request  (%.3f of the fixed request's)" % (k, rate[k], med[k], med[k] / med["fixed"]))
print("  a templated request costs %.2fx a fixed one (goal: at most 2x)" % (med["journey_templated"] / med["fixed"]))
PY
    ;;
*) echo "unknown part '$part': throughput, memory, accuracy, omission, https, http2, trace or journey" >&2; exit 2 ;;
esac; done
