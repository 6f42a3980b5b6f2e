#!/usr/bin/env bash
# Proof that `archmesh compare` tells a real slowdown from a rerun, on this machine, release build.
# Every run is a separate `archmesh run` process with its own PostgreSQL cluster and server: what
# differs between two of them is what differs between two CI runs.
#
#   short (default part): the default suite's short scenarios, each run with --repeat $REPEAT
#     (the server restarted between rounds). PAIRS times: a baseline run, a run of the same build
#     (must not be flagged), and a run whose server burns extra CPU on every request (the cpu_ms
#     fault: code that got slower), SLOWDOWN of the whole machine's CPU per health_load request in
#     the baseline, which slows the saturated health scenarios by about that much (must be flagged).
#     A sleep would not do: a saturated closed-loop server hides it. Prints false alarms and
#     detections, and per scenario how often its p50 was flagged with the slowdown it actually saw.
#   long: the 10 s single-run scenario of benchmarks/regression-proof.yaml against one server,
#     PAIRS same-build and PAIRS slowed pairs, judged by per-second windows with the assumed noise.
#
#   benchmarks/regression-proof.sh [short|long ...]   PAIRS=20 REPEAT=5 SLOWDOWN=0.30 to change
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/common.sh
PAIRS="${PAIRS:-20}"; REPEAT="${REPEAT:-5}"; SLOWDOWN="${SLOWDOWN:-0.30}"
SHORT_SCENARIOS=(health_load health_stress projects_load projects_volume project_creation_load workflow_load memory_test cpu_test)
KEEP="${KEEP:-}"  # a folder to keep every report and comparison in
parts=("$@"); [ ${#parts[@]} -eq 0 ] && parts=(short)

build_release
work="${KEEP:-$(mktemp -d)}"; mkdir -p "$work"
trap 'stop_server; [ -n "$KEEP" ] || rm -rf "$work"' EXIT

p50_of() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(next(s['load']['latency_ms']['p50'] for s in d['scenarios'] if s['key']==sys.argv[2]))" "$1" "$2"; }
compare() { "$BIN" compare "$1" "$2" --json "$3.json" >"$3.txt" 2>&1 && echo 0 || echo $?; }

short() {
    echo "== short: ${SHORT_SCENARIOS[*]}"
    echo "   --repeat $REPEAT, $PAIRS pairs, slowed by ${SLOWDOWN} of the machine's CPU per health_load request burnt in the server"
    local false_alarms=0 detected=0 started=$SECONDS
    printf "%-5s %10s %12s %8s %8s\n" "pair" "base p50" "added cpu ms" "same" "slowed"
    for i in $(seq 1 "$PAIRS"); do
        local run=("$BIN" run --scenarios "${SHORT_SCENARIOS[@]}" --repeat "$REPEAT" --log-level error --no-history)
        "${run[@]}" --output "$work/base-$i.json" >/dev/null || true
        "${run[@]}" --output "$work/same-$i.json" >/dev/null || true
        local base added
        base="$(p50_of "$work/base-$i.json" health_load)"
        added="$(python3 -c "import json; d=json.load(open('$work/base-$i.json')); s=next(s for s in d['scenarios'] if s['key']=='health_load'); print(round($SLOWDOWN * d['environment']['cores'] * 1000 / s['requests_per_second'], 4))")"
        "${run[@]}" --output "$work/slow-$i.json" --server-faults "{\"cpu_ms\": $added}" >/dev/null || true
        local same_code slow_code
        same_code="$(compare "$work/same-$i.json" "$work/base-$i.json" "$work/same-$i")"
        slow_code="$(compare "$work/slow-$i.json" "$work/base-$i.json" "$work/slow-$i")"
        if [ "$same_code" = "3" ]; then false_alarms=$((false_alarms + 1)); grep -A3 "^Regressions" "$work/same-$i.txt" >&2; fi
        [ "$slow_code" = "3" ] && detected=$((detected + 1))
        printf "%-5s %10s %12s %8s %8s\n" "$i" "$base" "$added" \
            "$([ "$same_code" = 3 ] && echo FLAGGED || echo ok)" "$([ "$slow_code" = 3 ] && echo flagged || echo MISSED)"
    done
    echo
    echo "false alarms: $false_alarms of $PAIRS same-build pairs; detected: $detected of $PAIRS slowed pairs ($(( (SECONDS - started) / 60 )) min)"
    python3 - "$work" "$PAIRS" <<'EOF'
import glob, json, statistics, sys
work, pairs = sys.argv[1], int(sys.argv[2])
def metrics(kind):
    out = []
    for i in range(1, pairs + 1):
        d = json.load(open(f"{work}/{kind}-{i}.json"))
        out += [m for group in ("regressions", "improvements", "unchanged", "not_judged") for m in d[group]]
    return out
same, slow = metrics("same"), metrics("slow")
print("per scenario, p50: noise measured (1 s.d. between repetitions, median over pairs), same-build pairs flagged, slowed pairs flagged, median slowdown seen")
for key in dict.fromkeys(m["scenario"] for m in slow):
    s = [m for m in same if m["scenario"] == key and m["metric"] == "latency_p50_ms"]
    w = [m for m in slow if m["scenario"] == key and m["metric"] == "latency_p50_ms"]
    noise = statistics.median(m["noise_percent"] for m in s if m.get("noise_percent") is not None)
    print(f"  {key:24} noise ±{noise:4.1f}%   same flagged {sum(m['outcome']=='regression' for m in s):2}/{len(s)}"
          f"   slowed flagged {sum(m['outcome']=='regression' for m in w):2}/{len(w)}   slowdown {statistics.median(m['change_percent'] for m in w):+.0f}%")
print("any metric flagged in same-build pairs:", sum(m["outcome"] == "regression" for m in same), "of", len(same), "metric comparisons")
EOF
    echo "last comparison of a slowed run:"; cat "$work/slow-$PAIRS.txt"
}

long() {
    echo "== long: a 10 s open-model scenario (benchmarks/regression-proof.yaml), single runs, $PAIRS pairs against one server"
    local token="proof-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
    ARCHMESH_FAULT_TOKEN="$token" start_server "$work/server.log" --seed-projects 1000 --enable-faults
    local run=("$BIN" run --target "$SERVER_URL" --config benchmarks/regression-proof.yaml --log-level error --no-history)
    set_latency() { curl -fsS -o /dev/null -X PUT -H "X-Fault-Token: $token" -H "Content-Type: application/json" -d "{\"latency_ms\": $1}" "$SERVER_URL/_faults"; }
    set_latency 0; "${run[@]}" --output "$work/warmup.json" >/dev/null || true
    local false_alarms=0 detected=0
    for i in $(seq 1 "$PAIRS"); do
        set_latency 0
        "${run[@]}" --output "$work/lbase-$i.json" >/dev/null || true
        "${run[@]}" --output "$work/lsame-$i.json" >/dev/null || true
        set_latency "$(python3 -c "print(round($(p50_of "$work/lbase-$i.json" steady_projects) * $SLOWDOWN, 3))")"
        "${run[@]}" --output "$work/lslow-$i.json" >/dev/null || true
        [ "$(compare "$work/lsame-$i.json" "$work/lbase-$i.json" "$work/lsame-$i")" = "3" ] && false_alarms=$((false_alarms + 1))
        [ "$(compare "$work/lslow-$i.json" "$work/lbase-$i.json" "$work/lslow-$i")" = "3" ] && detected=$((detected + 1))
    done
    stop_server
    echo "false alarms: $false_alarms of $PAIRS same-build pairs; detected: $detected of $PAIRS pairs slowed by +${SLOWDOWN} x p50"
    echo "last comparison of a slowed run:"; cat "$work/lslow-$PAIRS.txt"
}

for part in "${parts[@]}"; do case "$part" in
short) short ;;
long) long ;;
*) echo "unknown part '$part': short or long" >&2; exit 2 ;;
esac; done
