#!/usr/bin/env bash
# Sign-in flood benchmark: client_credentials throughput and /health latency of one provider,
# without and during a flood of wrong-password sign-ins (each with a valid CSRF pair) from 16
# loopback addresses, 64 usernames (half unknown). The release KeyboundSignInLoad executable serves
# the provider (bcrypt cost 12, the default hashing pool and throttles) in one process and drives
# it from another, over real sockets; source addresses 127.0.0.2-127.0.0.17 need Linux loopback.
#
# Usage: Benchmarks/load/signin-flood.sh [seconds per phase, default 10] [extra drive options...]
# KEYBOUND_BENCH_CONFIG=debug smoke-runs a debug build (its figures mean nothing).
set -euo pipefail
seconds=${1:-10}
shift || true
port=${KEYBOUND_BENCH_PORT:-18380}
config=${KEYBOUND_BENCH_CONFIG:-release}
root=$(cd "$(dirname "$0")/../.." && pwd)
scratch=${KEYBOUND_BENCH_SCRATCH:-$root/Benchmarks/.build}

[ -n "${KEYBOUND_SKIP_BUILD:-}" ] || swift build -c "$config" --package-path "$root/Benchmarks" --scratch-path "$scratch" --product KeyboundSignInLoad >/dev/null
binary="$scratch/$config/KeyboundSignInLoad"
log=$(mktemp)
"$binary" serve --port "$port" >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 600); do grep -q READY "$log" && break; sleep 0.1; done
grep -q READY "$log" || { echo "the sign-in load server did not start" >&2; cat "$log" >&2; exit 1; }
read -r _ client secret < <(grep '^CLIENT ' "$log")
read -r _ public redirect < <(grep '^PUBLIC ' "$log")
grep '^THREADS ' "$log" | sed 's/^/server: hashing /' >&2
echo "$config build, loopback, server and driver on the same machine ($(nproc) cores)" >&2
"$binary" drive --port "$port" --client "$client" "$secret" --public-client "$public" "$redirect" --seconds "$seconds" "$@"
