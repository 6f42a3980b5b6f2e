#!/usr/bin/env bash
# Proof that `archmesh compare` tells a real slowdown from noise, on this machine, release build.
# The endpoint is given a service time of SERVICE_MS (the server's latency fault, in every run), so
# that a 20% slowdown is well above timer resolution. For each of PAIRS rounds against one server:
# a baseline run, a second run of the same build (must not be flagged), then a run with the
# server's delay raised by 20% of the baseline's p50 (must be flagged), all compared with the
# default tolerances. Prints the false-alarm and detection rates.
#   benchmarks/regression-proof.sh            (PAIRS=10 SLOWDOWN=0.20 SERVICE_MS=10 to change)
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/common.sh
PAIRS="${PAIRS:-10}"; SLOWDOWN="${SLOWDOWN:-0.20}"; SERVICE_MS="${SERVICE_MS:-10}"
TOKEN="proof-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"

build_release
work="$(mktemp -d)"
trap 'stop_server; rm -rf "$work"' EXIT
ARCHMESH_FAULT_TOKEN="$TOKEN" start_server "$work/server.log" --seed-projects 1000 --enable-faults

run() { "$BIN" run --target "$SERVER_URL" --config benchmarks/regression-proof.yaml --output "$1" --log-level error >/dev/null || true; }
faults() { curl -s -o /dev/null -w "%{http_code}" -X PUT -H "X-Fault-Token: $TOKEN" -H "Content-Type: application/json" -d "$1" "$SERVER_URL/_faults"; }
p50() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['scenarios'][0]['load']['latency_ms']['p50'])" "$1"; }
compare() { "$BIN" compare "$1" "$2" >"$3" 2>&1; echo $?; }

set_service() { [ "$(faults "{\"latency_ms\": $1}")" = "200" ] || { echo "setting the fault failed" >&2; exit 1; }; }
set_service "$SERVICE_MS"
run "$work/warmup.json"
false_alarms=0; detected=0
printf "%-5s %12s %12s %12s %10s %10s\n" "pair" "base p50 ms" "same p50 ms" "slow p50 ms" "same" "slowed"
for i in $(seq 1 "$PAIRS"); do
    set_service "$SERVICE_MS"
    run "$work/base-$i.json"
    run "$work/same-$i.json"
    base="$(p50 "$work/base-$i.json")"
    set_service "$(python3 -c "print(round($SERVICE_MS + $base * $SLOWDOWN, 3))")"
    run "$work/slow-$i.json"
    same_code="$(compare "$work/same-$i.json" "$work/base-$i.json" "$work/same-$i.txt")"
    slow_code="$(compare "$work/slow-$i.json" "$work/base-$i.json" "$work/slow-$i.txt")"
    [ "$same_code" = "3" ] && false_alarms=$((false_alarms + 1))
    [ "$slow_code" = "3" ] && detected=$((detected + 1))
    printf "%-5s %12s %12s %12s %10s %10s\n" "$i" "$base" "$(p50 "$work/same-$i.json")" "$(p50 "$work/slow-$i.json")" \
        "$([ "$same_code" = 3 ] && echo FLAGGED || echo ok)" "$([ "$slow_code" = 3 ] && echo flagged || echo MISSED)"
done
echo
echo "false alarms: $false_alarms of $PAIRS same-build pairs; detected: $detected of $PAIRS pairs slowed by ${SLOWDOWN} x p50 (service time ${SERVICE_MS} ms)"
echo "last comparison of a slowed run:"; cat "$work/slow-$PAIRS.txt"
