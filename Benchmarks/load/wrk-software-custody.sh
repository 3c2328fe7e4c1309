#!/usr/bin/env bash
# What software custody in locked memory costs at the token endpoint: this checkout's `keybound`
# (keys unsealed into locked memory, a swift-crypto key rebuilt for each signature on a secret
# worker thread, BoringSSL's heap out of dumps, zero on free) against a baseline `keybound` built
# from an earlier commit (keys cached as swift-crypto objects). Each binary serves its own
# development store (release build, SQLite); the rounds alternate between them, so both see the
# same machine. Reports each one's median requests/s for /health and client_credentials at
# /contoso/token, and this ÷ baseline.
#
# Usage: Benchmarks/load/wrk-software-custody.sh BASELINE_KEYBOUND [seconds per run, default 5]
#        [connections, default 64] [rounds, default 3]
# Build the baseline in a worktree, for example:
#   git worktree add /tmp/keybound-baseline 97c458c
#   (cd /tmp/keybound-baseline && swift build -c release --product keybound)
#   Benchmarks/load/wrk-software-custody.sh /tmp/keybound-baseline/.build/release/keybound
set -euo pipefail
baseline=${1:?usage: wrk-software-custody.sh BASELINE_KEYBOUND [seconds] [connections] [rounds]}
duration=${2:-5}
connections=${3:-64}
rounds=${4:-3}
port=${KEYBOUND_BENCH_PORT:-18191}
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/Benchmarks/load/wrk-common.sh"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
[ -x "$baseline" ] || { echo "no baseline executable at $baseline" >&2; exit 2; }

[ -n "${KEYBOUND_SKIP_BUILD:-}" ] || swift build -c release --product keybound --package-path "$root" >/dev/null
unset KEYBOUND_SKIP_BUILD   # keybound would warn about a KEYBOUND_* variable it does not read
current="$root/.build/release/keybound"
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

start() {  # start NAME BINARY: serve NAME's store with BINARY, wait for /health
    "$2" serve --data "$work/$1" --port "$port" --metrics-listen off >>"$work/$1.log" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && return; sleep 0.1; done
    echo "$1 did not start" >&2; cat "$work/$1.log" >&2; exit 1
}
stop() { kill $server; wait $server 2>/dev/null || true; server=; }

declare -A secrets
for name in locked cached; do
    binary=$current; [ "$name" = cached ] && binary=$baseline
    start "$name" "$binary"
    secrets[$name]=$(awk '/confidential client: contoso-daemon/ {print $5}' "$work/$name.log")
    [ -n "${secrets[$name]}" ] || { echo "no development client secret in $name's output" >&2; exit 1; }
    curl -sf -u "contoso-daemon:${secrets[$name]}" -d grant_type=client_credentials -d scope=api://mail/.default \
        "http://127.0.0.1:$port/contoso/token" >/dev/null || { echo "$name's token endpoint refused the benchmark client" >&2; exit 1; }
    stop
done

echo "wrk: 1 thread, $connections connections, ${duration}s per run, $rounds alternating rounds, loopback, release builds" >&2
results=()
for _ in $(seq 1 "$rounds"); do
    for name in cached locked; do
        binary=$current; [ "$name" = cached ] && binary=$baseline
        start "$name" "$binary"
        results+=("$(wrk_run "$name-health" "http://127.0.0.1:$port/health")")
        results+=("$(KEYBOUND_BASIC=$(printf 'contoso-daemon:%s' "${secrets[$name]}" | base64 -w0) wrk_run "$name-token" "http://127.0.0.1:$port/contoso/token" -s "$root/Benchmarks/load/token.lua")")
        stop
    done
done

cached=$(summary cached-token | awk '{print $1}')
printf '| Server | Endpoint | Median requests/s | ÷ its /health | ÷ cached keys | Runs (requests/s) | non-2xx | socket errors |\n|---|---|---|---|---|---|---|---|\n'
for name in cached locked; do
    health=$(summary "$name-health" | awk '{print $1}')
    for endpoint in health token; do
        read -r median non2xx errors all <<<"$(summary "$name-$endpoint")"
        printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$endpoint" "$median" \
            "$(awk -v a="$median" -v b="$health" 'BEGIN { printf "%.2f", a / b }')" \
            "$([ "$endpoint" = token ] && awk -v a="$median" -v b="$cached" 'BEGIN { printf "%.2f", a / b }' || echo -)" "$all" "$non2xx" "$errors"
    done
done
