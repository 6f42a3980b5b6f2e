#!/usr/bin/env bash
# The load engine next to wrk, in one run, release build, against the reference server:
#   1. throughput and CPU per request on /health/live (THROUGHPUT_PATH to change), 32 connections:
#      wrk and `archmesh load` taking turns; the ratios
#   2. memory: peak resident memory of `archmesh load` after 100,000 and 5,000,000 requests; the ratio
#   3. accuracy: a fixed 20 ms server-side delay; p50 should land within 20-22 ms
#   4. coordinated omission: 1000 requests/s for 10 s with a one-off 1 s stall; corrected vs uncorrected p99
#   5. https: throughput and CPU per request over TLS (a throwaway CA and certificate made with openssl,
#      the server started with --tls-cert/--tls-key), wrk and `archmesh load --cacert` taking turns;
#      the handshake's p50 and p99
#   6. http2: h2c against h2load (apt-get install nghttp2-client): the server started with --http2,
#      2 connections of 16 streams each, h2load and `archmesh load --http2` taking turns; CPU per request
#   benchmarks/load-engine.sh [throughput|memory|accuracy|omission|https|http2 ...]   (default: all six)
#   ROUNDS=3 DURATION=10s BIG=5000000 to change the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/common.sh
ROUNDS="${ROUNDS:-3}"; DURATION="${DURATION:-10s}"; BIG="${BIG:-5000000}"
parts=("$@"); [ ${#parts[@]} -eq 0 ] && parts=(throughput memory accuracy omission https http2)
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 2; }

build_release
work="$(mktemp -d)"
trap 'stop_server; rm -rf "$work"' EXIT
token="bench-$(date +%s%N)"
start_server "$work/server.log" --enable-faults --fault-token "$token" --pool-size 20

json() { python3 -c "import json,sys; d=json.load(open('$1')); print($2)"; }
faults() { curl -fsS -X "$1" -H "X-Fault-Token: $token" -H 'Content-Type: application/json' ${2:+-d "$2"} "$SERVER_URL/_faults" >/dev/null; }

# side_by_side URL [archmesh load options...]: wrk -t1, wrk -t2 and archmesh load taking turns on URL,
# ROUNDS rounds; prints each round, the mean throughput ratio and the CPU per request of each.
side_by_side() {
    local url="$1"; shift
    wrk -t2 -c32 -d2s "$url" >/dev/null
    cpu() { python3 -c "u,s=open('$1').read().split(); print(round((float(u)+float(s))/$2*1e6, 2))"; }
    ours_total=0; best_total=0; ours_cpu_total=0; wrk_cpu_total=0
    for round in $(seq 1 "$ROUNDS"); do
        /usr/bin/time -f "%U %S" -o "$work/t1" wrk -t1 -c32 -d"$DURATION" "$url" >"$work/wrk1"
        /usr/bin/time -f "%U %S" -o "$work/t2" wrk -t2 -c32 -d"$DURATION" "$url" >"$work/wrk2"
        /usr/bin/time -f "%U %S" -o "$work/t3" "$BIN" load "$url" -c 32 -d "$DURATION" --json "$@" >"$work/ours.json"
        one=$(awk '/Requests\/sec/ {print $2}' "$work/wrk1"); two=$(awk '/Requests\/sec/ {print $2}' "$work/wrk2")
        n1=$(grep -o '[0-9]* requests in' "$work/wrk1" | cut -d' ' -f1); n2=$(grep -o '[0-9]* requests in' "$work/wrk2" | cut -d' ' -f1)
        ours=$(json "$work/ours.json" "round(d['requests_per_second'], 1)"); n3=$(json "$work/ours.json" "d['total_requests']")
        if python3 -c "import sys; sys.exit(0 if $one >= $two else 1)"; then best=$one; best_cpu=$(cpu "$work/t1" "$n1"); else best=$two; best_cpu=$(cpu "$work/t2" "$n2"); fi
        ours_cpu=$(cpu "$work/t3" "$n3")
        printf "  round %d: wrk -t1 %9s (%5s us/req)  wrk -t2 %9s (%5s us/req)  archmesh load %9s req/s (%5s us/req); ratio to the better wrk %s\n" \
            "$round" "$one" "$(cpu "$work/t1" "$n1")" "$two" "$(cpu "$work/t2" "$n2")" "$ours" "$ours_cpu" "$(python3 -c "print(round($ours/$best, 3))")"
        ours_total=$(python3 -c "print($ours_total + $ours)"); best_total=$(python3 -c "print($best_total + $best)")
        ours_cpu_total=$(python3 -c "print($ours_cpu_total + $ours_cpu)"); wrk_cpu_total=$(python3 -c "print($wrk_cpu_total + $best_cpu)")
    done
    echo "  mean throughput ratio (archmesh load / better wrk): $(python3 -c "print(round($ours_total/$best_total, 3))")"
    echo "  mean CPU per request: archmesh load $(python3 -c "print(round($ours_cpu_total/$ROUNDS, 2))") us, the better wrk $(python3 -c "print(round($wrk_cpu_total/$ROUNDS, 2))") us"
}

for part in "${parts[@]}"; do case "$part" in
throughput)
    path="${THROUGHPUT_PATH:-/health/live}"
    echo "== throughput and CPU per request: GET $path, 32 connections, $DURATION each, $ROUNDS rounds: wrk -t1, wrk -t2, archmesh load"
    echo "   (CPU = user + system seconds of the load generator's own process, from /usr/bin/time, over its requests)"
    side_by_side "$SERVER_URL$path"
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
    echo "== http2 (h2c): GET $path, 2 connections x 16 streams, $DURATION each, $ROUNDS rounds: h2load, archmesh load --http2"
    h2load -c 2 -m 16 -D 2 "$url" >/dev/null 2>&1 || true
    ours_total=0; theirs_total=0; ours_cpu_total=0; theirs_cpu_total=0
    for round in $(seq 1 "$ROUNDS"); do
        /usr/bin/time -f "%U %S" -o "$work/h1" h2load -c 2 -m 16 -D "${DURATION%s}" "$url" >"$work/h2load.txt" 2>&1
        /usr/bin/time -f "%U %S" -o "$work/h3" "$BIN" load "$url" --http2 --streams 16 -c 32 -d "$DURATION" --json >"$work/ours-h2.json"
        theirs=$(awk '/^finished in/ {gsub(",", "", $4); print $4}' "$work/h2load.txt")
        n1=$(awk '/^requests:/ {print $6}' "$work/h2load.txt")
        ours=$(json "$work/ours-h2.json" "round(d['requests_per_second'], 1)"); n3=$(json "$work/ours-h2.json" "d['total_requests']")
        theirs_cpu=$(python3 -c "u,s=open('$work/h1').read().split(); print(round((float(u)+float(s))/$n1*1e6, 2))")
        ours_cpu=$(python3 -c "u,s=open('$work/h3').read().split(); print(round((float(u)+float(s))/$n3*1e6, 2))")
        printf "  round %d: h2load %9s req/s (%5s us/req)  archmesh load --http2 %9s req/s (%5s us/req); ratio %s; errors %s\n" \
            "$round" "$theirs" "$theirs_cpu" "$ours" "$ours_cpu" "$(python3 -c "print(round($ours/$theirs, 3))")" \
            "$(json "$work/ours-h2.json" "{k: v for k, v in d['errors'].items() if v}")"
        ours_total=$(python3 -c "print($ours_total + $ours)"); theirs_total=$(python3 -c "print($theirs_total + $theirs)")
        ours_cpu_total=$(python3 -c "print($ours_cpu_total + $ours_cpu)"); theirs_cpu_total=$(python3 -c "print($theirs_cpu_total + $theirs_cpu)")
    done
    echo "  mean throughput ratio (archmesh load --http2 / h2load): $(python3 -c "print(round($ours_total/$theirs_total, 3))")"
    echo "  mean CPU per request: archmesh load $(python3 -c "print(round($ours_cpu_total/$ROUNDS, 2))") us, h2load $(python3 -c "print(round($theirs_cpu_total/$ROUNDS, 2))") us"
    stop_server
    start_server "$work/server.log" --enable-faults --fault-token "$token" --pool-size 20
    ;;
*) echo "unknown part '$part': throughput, memory, accuracy, omission, https or http2" >&2; exit 2 ;;
esac; done
