#!/usr/bin/env bash
# Proof that `archmesh compare` tells a real slowdown from noise, on this machine, release build.
# For each of PAIRS rounds against one server: a baseline run, a second run of the same build
# (must not be flagged), then a run with the server slowed by 20% of the baseline's p50 latency
# (must be flagged). Prints the false-alarm and detection rates.
#   benchmarks/regression-proof.sh            (PAIRS=10 SLOWDOWN=0.20 to change)
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/common.sh
PAIRS="${PAIRS:-10}"; SLOWDOWN="${SLOWDOWN:-0.20}"
TOKEN="proof-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"

build_release
work="$(mktemp -d)"
trap 'stop_server; rm -rf "$work"' EXIT
ARCHMESH_FAULT_TOKEN="$TOKEN" start_server "$work/server.log" --seed-projects 1000 --enable-faults

run() { "$BIN" run --target "$SERVER_URL" --config benchmarks/regression-proof.yaml --output "$1" --log-level error >/dev/null || true; }
faults() { curl -s -o /dev/null -w "%{http_code}" -X PUT -H "X-Fault-Token: $TOKEN" -H "Content-Type: application/json" -d "$1" "$SERVER_URL/_faults"; }
clear_faults() { curl -s -o /dev/null -X DELETE -H "X-Fault-Token: $TOKEN" "$SERVER_URL/_faults"; }
p50() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['scenarios'][0]['load']['latency_ms']['p50'])" "$1"; }
compare() { "$BIN" compare "$1" "$2" >"$3" 2>&1; echo $?; }

run "$work/warmup.json"
false_alarms=0; detected=0
printf "%-5s %12s %12s %12s %10s %10s\n" "pair" "base p50 ms" "same p50 ms" "slow p50 ms" "same" "slowed"
for i in $(seq 1 "$PAIRS"); do
    clear_faults
    run "$work/base-$i.json"
    run "$work/same-$i.json"
    base="$(p50 "$work/base-$i.json")"
    delay="$(python3 -c "print(round($base * $SLOWDOWN, 3))")"
    [ "$(faults "{\"latency_ms\": $delay}")" = "200" ] || { echo "setting the fault failed" >&2; exit 1; }
    run "$work/slow-$i.json"
    clear_faults
    same_code="$(compare "$work/same-$i.json" "$work/base-$i.json" "$work/same-$i.txt")"
    slow_code="$(compare "$work/slow-$i.json" "$work/base-$i.json" "$work/slow-$i.txt")"
    [ "$same_code" = "3" ] && false_alarms=$((false_alarms + 1))
    [ "$slow_code" = "3" ] && detected=$((detected + 1))
    printf "%-5s %12s %12s %12s %10s %10s\n" "$i" "$base" "$(p50 "$work/same-$i.json")" "$(p50 "$work/slow-$i.json")" \
        "$([ "$same_code" = 3 ] && echo FLAGGED || echo ok)" "$([ "$slow_code" = 3 ] && echo flagged || echo MISSED)"
done
echo
echo "false alarms: $false_alarms of $PAIRS same-build pairs; detected: $detected of $PAIRS pairs slowed by ${SLOWDOWN} x p50"
echo "last comparison of a slowed run:"; cat "$work/slow-$PAIRS.txt"
