#!/usr/bin/env bash
# Does a crowd of anonymous /<issuer>/key-events streams slow the token endpoint down?
#
# `keybound serve` on loopback; in interleaved rounds, the client_credentials token endpoint under
# wrk alone (baseline), then with N anonymous key-event streams attempted and held open by
# hold-streams.py (one Python event loop). Reports the median requests/s of each and their ratio
# (with streams ÷ without), and how many streams were admitted (200) or refused (503).
# Three rows: a control with one stream (the noise floor of the ratio on this machine), the default
# caps (8 per address: nearly all of N are refused) and the caps raised to N (all admitted, idle:
# the cost of open streams themselves).
#
# Usage: Benchmarks/load/wrk-streams.sh [streams, default 1000] [seconds per run, default 5] [connections, default 128] [rounds, default 4]
# KEYBOUND_SKIP_BUILD=1 uses the existing build; KEYBOUND_BUILD=debug|release (default release);
# KEYBOUND_BINARY=PATH runs another keybound binary (for a before/after comparison; implies no build).
set -euo pipefail
streams=${1:-1000}
duration=${2:-5}
connections=${3:-128}
rounds=${4:-4}
port=${KEYBOUND_BENCH_PORT:-18190}
build=${KEYBOUND_BUILD:-release}
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/Benchmarks/load/wrk-common.sh"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed for hold-streams.py" >&2; exit 2; }

binary=${KEYBOUND_BINARY:-"$root/.build/$build/keybound"}
[ -n "${KEYBOUND_SKIP_BUILD:-}" ] || [ -n "${KEYBOUND_BINARY:-}" ] || swift build -c "$build" --product keybound --package-path "$root" >/dev/null
data=$(mktemp -d)
server=""
holder=""
cleanup() {
    [ -z "$holder" ] || { kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null || true; }
    [ -z "$server" ] || { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; }
    rm -rf "$data"
}
trap cleanup EXIT

# start_server CAP_PER_ADDRESS CAP_TOTAL: a fresh data directory each time.
start_server() {
    rm -rf "$data/run"; mkdir -p "$data/run"
    KEYBOUND_STREAMS_ANONYMOUS_PER_ADDRESS=$1 KEYBOUND_STREAMS_ANONYMOUS_TOTAL=$2 \
        "$binary" serve --data "$data/run" --port "$port" >"$data/run/serve.log" 2>&1 &
    server=$!
    await_development_client "$data/run/serve.log"
    curl -sf -u "contoso-daemon:$KEYBOUND_SECRET" -d grant_type=client_credentials -d scope=api://mail/.default \
        "http://127.0.0.1:$port/contoso/token" >/dev/null || { echo "the token endpoint refused the benchmark client" >&2; exit 1; }
}

stop_server() {
    kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true
    server=""
}

# hold: opens the streams (in the background), waits for the holder's summary line.
hold() {
    python3 "$root/Benchmarks/load/hold-streams.py" "$streams" "http://127.0.0.1:$port/contoso/key-events" >"$data/holder.out" 2>&1 &
    holder=$!
    for _ in $(seq 1 600); do
        grep -q '^streams:' "$data/holder.out" && break
        sleep 0.1
    done
    grep -q '^streams:' "$data/holder.out" || { echo "hold-streams.py did not report" >&2; cat "$data/holder.out" >&2; exit 1; }
}

release_streams() {
    kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null || true
    holder=""
    sleep 1
}

# with_streams: one wrk run while the streams are held.
with_streams() {
    hold
    sleep 1
    admitted+="$(awk '/^streams:/ {print $4 "/" $7}' "$data/holder.out") "
    results+=("$(wrk_run streams "http://127.0.0.1:$port/contoso/token" -s "$root/Benchmarks/load/token.lua")")
    release_streams
}

# measure LABEL CAP_PER_ADDRESS CAP_TOTAL [STREAMS]: a fresh server per round (a stream's slot is
# freed at the second write after its client left, up to two 15 s keep-alives later: a restart is
# quicker). The order alternates per round (alone first, then with the streams first), so that the
# ledger growing during a round favours neither.
measure() {
    local label=$1
    local saved=$streams
    streams=${4:-$streams}
    results=()
    admitted=""
    for round in $(seq 1 "$rounds"); do
        start_server "$2" "$3"
        if (( round % 2 == 1 )); then
            results+=("$(wrk_run baseline "http://127.0.0.1:$port/contoso/token" -s "$root/Benchmarks/load/token.lua")")
            with_streams
        else
            with_streams
            results+=("$(wrk_run baseline "http://127.0.0.1:$port/contoso/token" -s "$root/Benchmarks/load/token.lua")")
        fi
        stop_server
    done
    streams=$saved
    read -r base _ _ base_all <<<"$(summary baseline)"
    read -r loaded non2xx errors loaded_all <<<"$(summary streams)"
    ratio=$(awk -v a="$loaded" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
    printf '| %s | %s | %s (%s) | %s (%s) | %s | %s / %s |\n' "$label" "$admitted" "$base" "$base_all" "$loaded" "$loaded_all" "$ratio" "$non2xx" "$errors"
}

echo "wrk: 1 thread, $connections connections, ${duration}s per run, $rounds interleaved rounds, loopback, $binary; $streams streams attempted" >&2
printf '| Caps (per address / total) | Streams open/refused (per round) | Token requests/s alone: median (runs) | With the streams: median (runs) | Ratio | non-2xx / socket errors |\n|---|---|---|---|---|---|\n'
measure "control: 1 stream (defaults)" 8 256 1
measure "defaults (8 / 256)" 8 256
measure "raised ($streams / $streams)" "$streams" "$streams"
