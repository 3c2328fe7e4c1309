#!/usr/bin/env bash
# Load benchmark of `keybound serve` on loopback with wrk (Debian's `wrk` package):
# a trivial route (/health), the JWKS endpoint and the client_credentials token endpoint, in
# interleaved rounds (health, jwks, token, health, …) against the same server, each run for the
# same bounded duration. Reports the median requests/s of each endpoint over the rounds and its
# ratio to the trivial route's median, with the total non-2xx responses and socket errors.
# Uses a fresh temporary data directory and a release build.
#
# Usage: Benchmarks/load/wrk-provider.sh [seconds per run, default 5] [connections, default 128] [rounds, default 3]
set -euo pipefail
duration=${1:-5}
connections=${2:-128}
rounds=${3:-3}
port=${KEYBOUND_BENCH_PORT:-18180}
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/Benchmarks/load/wrk-common.sh"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }

start_development_server
secret=$KEYBOUND_SECRET

# One token request by hand first: it must succeed, or the numbers mean nothing.
curl -sf -u "contoso-daemon:$secret" -d grant_type=client_credentials -d scope=api://mail/.default \
    "http://127.0.0.1:$port/contoso/token" >/dev/null || { echo "the token endpoint refused the benchmark client" >&2; exit 1; }


echo "wrk: 1 thread, $connections connections, ${duration}s per run, $rounds interleaved rounds, loopback, release build" >&2
results=()
for _ in $(seq 1 "$rounds"); do
    results+=("$(wrk_run health "http://127.0.0.1:$port/health")")
    results+=("$(wrk_run jwks "http://127.0.0.1:$port/contoso/jwks")")
    results+=("$(wrk_run token "http://127.0.0.1:$port/contoso/token" -s "$root/Benchmarks/load/token.lua")")
done
ledger=$(sqlite3 "$data/provider.sqlite" "SELECT count(*) FROM issuance" 2>/dev/null || echo "?")

base=$(summary health | awk '{print $1}')
printf '| Endpoint | Median requests/s | ÷ trivial route | Runs (requests/s) | non-2xx | socket errors |\n|---|---|---|---|---|---|\n'
for name in health jwks token; do
    read -r median non2xx errors all <<<"$(summary "$name")"
    ratio=$(awk -v a="$median" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
    printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$median" "$ratio" "$all" "$non2xx" "$errors"
done
echo "ledger records after the run: $ledger" >&2
