#!/usr/bin/env bash
# A run spread over local worker processes (`archmesh run --workers N`), release build, against the
# reference server started here, on a scenario file of one scenario: 32 users on /health/live.
#   1. skew: `--workers 4`, ROUNDS runs: each run's start skew across the workers and the merge's cost
#      (from the report's `distribution`)
#   2. throughput: in one process (no --workers), `--workers 1` and `--workers 2` taking turns, ROUNDS
#      rounds of DURATION each; the median requests/s of each and the ratios
#   3. memory: the coordinator's peak resident memory (`/usr/bin/time`, the `archmesh run` process
#      itself: the server and the workers are other processes) after a LONG run with `--workers WORKERS`
#      (WORKERS=0: the same run in one process, to compare)
#   benchmarks/distributed.sh [skew|throughput|memory ...]   (default: all three)
#   ROUNDS=5 DURATION=8s LONG=10m WORKERS=4 to change the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/common.sh
ROUNDS="${ROUNDS:-5}"; DURATION="${DURATION:-8s}"; LONG="${LONG:-10m}"; WORKERS="${WORKERS:-4}"
parts=("$@"); [ ${#parts[@]} -eq 0 ] && parts=(skew throughput memory)

build_release
work="$(mktemp -d)"
trap 'stop_server; rm -rf "$work"' EXIT
start_server "$work/server.log" --pool-size 20

# scenarios DURATION: the scenario file, written to $work/live.yaml.
scenarios() {
    cat >"$work/live.yaml" <<YAML
thresholds:
  load: { max_error_rate_percent: 5 }
endpoints:
  live: { method: GET, path: /health/live }
scenarios:
  - { key: live, name: Live, description: 32 users on /health/live, type: load, severity: low, endpoints: [live], users: 32, duration: $1 }
YAML
}

# run OUTPUT [run options...]: one run of the file against the server; the report at OUTPUT.
run() {
    local output="$1"; shift
    "$BIN" run --config "$work/live.yaml" --target "$SERVER_URL" --no-history --output "$output" --log-level warning "$@" >"$output.log" 2>&1 \
        || { [ $? -eq 1 ] || { cat "$output.log" >&2; return 1; }; }
}

field() { python3 -c "import json; d=json.load(open('$1'))['scenarios'][0]; print($2)"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for part in "${parts[@]}"; do
    case "$part" in
    skew)
        scenarios "$DURATION"
        echo "== start skew and merge cost, 4 local workers, $ROUNDS runs of $DURATION"
        for round in $(seq 1 "$ROUNDS"); do
            run "$work/skew.json" --workers 4
            echo "  run $round: $(field "$work/skew.json" "'skew %.3f ms (offsets %s ms), merge %.1f ms, %d requests' % (d['load']['distribution']['start_skew_milliseconds'], ', '.join('%.3f' % o for o in d['load']['distribution']['start_offsets_milliseconds']), d['load']['distribution']['merge_milliseconds'], d['total_requests'])")"
        done
        ;;
    throughput)
        scenarios "$DURATION"
        echo "== throughput on /health/live, 32 users, $ROUNDS rounds of $DURATION: one process, 1 worker, 2 workers"
        : >"$work/one"; : >"$work/w1"; : >"$work/w2"
        for round in $(seq 1 "$ROUNDS"); do
            run "$work/one.json"; field "$work/one.json" "d['requests_per_second']" >>"$work/one"
            run "$work/w1.json" --workers 1; field "$work/w1.json" "d['requests_per_second']" >>"$work/w1"
            run "$work/w2.json" --workers 2; field "$work/w2.json" "d['requests_per_second']" >>"$work/w2"
            echo "  round $round: one process $(tail -1 "$work/one"), 1 worker $(tail -1 "$work/w1"), 2 workers $(tail -1 "$work/w2") requests/s"
        done
        one=$(median <"$work/one"); w1=$(median <"$work/w1"); w2=$(median <"$work/w2")
        awk -v a="$one" -v b="$w1" -v c="$w2" 'BEGIN { printf "  medians: one process %.0f, 1 worker %.0f, 2 workers %.0f requests/s; 2 workers / 1 worker %.3f, 1 worker / one process %.3f\n", a, b, c, c / b, b / a }'
        ;;
    memory)
        scenarios "$LONG"
        workers=(); [ "$WORKERS" -gt 0 ] && workers=(--workers "$WORKERS")
        echo "== peak memory of archmesh run after $LONG, ${WORKERS} local workers (0: the load in its own process)"
        /usr/bin/time -f "%M" -o "$work/rss" "$BIN" run --config "$work/live.yaml" --target "$SERVER_URL" --no-history --output "$work/long.json" \
            --log-level warning "${workers[@]}" >"$work/long.log" 2>&1 || true
        echo "  peak resident memory of archmesh run: $(awk '{ printf "%.1f MiB", $1 / 1024 }' "$work/rss"); report $(du -h "$work/long.json" | cut -f1)"
        echo "  $(field "$work/long.json" "'%d requests, %d seconds in the result' % (d['total_requests'], len(d['load']['seconds'])) + (', skew %.3f ms, merge %.1f ms' % (d['load']['distribution']['start_skew_milliseconds'], d['load']['distribution']['merge_milliseconds']) if d['load'].get('distribution') else '')")"
        ;;
    *) echo "unknown part $part (skew, throughput, memory)" >&2; exit 2 ;;
    esac
done
