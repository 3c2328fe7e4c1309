#!/usr/bin/env bash
# Key revocation across nodes: two `keybound serve` nodes on one PostgreSQL; each key is revoked on
# node A's admin API while N validators (KeyboundPropagation, each a RemoteTrustStore with a
# KeyEventSubscriber) follow node B's /<issuer>/key-events. Node B's stream poll is set to one hour,
# so only PostgreSQL LISTEN/NOTIFY carries a revocation from A to B. Reports p50, p99 and max of the
# time from A's answer to each validator having the revocation (target: p99 < 1 s).
#
# Usage: Benchmarks/load/revocation-nodes.sh [subscribers, default 8] [revocations, default 200]
# KEYBOUND_SKIP_BUILD=1 uses the existing builds; KEYBOUND_BUILD=debug|release (default release).
set -euo pipefail
subscribers=${1:-8}
revocations=${2:-200}
build=${KEYBOUND_BUILD:-release}
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/Benchmarks/load/postgres-common.sh"

binary="$root/.build/$build/keybound"
propagation="$root/Benchmarks/.build/$build/KeyboundPropagation"
if [ -z "${KEYBOUND_SKIP_BUILD:-}" ]; then
    swift build -c "$build" --product keybound --package-path "$root" >/dev/null
    swift build -c "$build" --product KeyboundPropagation --package-path "$root/Benchmarks" >/dev/null
fi
work=$(mktemp -d)
servers=()
pgpid=""
cleanup() {
    for pid in "${servers[@]:-}"; do [ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }; done
    stop_postgres
    rm -rf "$work"
}
trap cleanup EXIT
start_postgres
head -c 32 /dev/urandom | base64 >"$work/kek"
export KEYBOUND_KEK_FILE="$work/kek"
psql_run "CREATE DATABASE revocation"
database="postgres://keybound@127.0.0.1:$pgport/revocation"

port_a=18390; port_b=18391
# Both nodes publish node B's address: the validators find the issuer, its JWKS and its key-events there.
start() {
    local name=$1 port=$2
    KEYBOUND_STREAMS_POLL_INTERVAL_MS=3600000 "$binary" serve --database "$database" --port "$port" \
        --public-url "http://127.0.0.1:$port_b" --metrics-listen off >"$work/$name.log" 2>&1 &
    servers+=($!)
    for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && return; sleep 0.1; done
    echo "$name did not start" >&2; cat "$work/$name.log" >&2; exit 1
}
start node-a "$port_a"
start node-b "$port_b"

KEYBOUND_ADMIN_TOKEN=$(grep -o 'development token for this run: [^)]*' "$work/node-a.log" | awk '{print $NF}')
secret=$(awk '/confidential client: contoso-daemon/ {print $5}' "$work/node-a.log")
[ -n "$KEYBOUND_ADMIN_TOKEN" ] && [ -n "$secret" ] || { echo "no development credentials in node A's output" >&2; exit 1; }
export KEYBOUND_ADMIN_TOKEN KEYBOUND_BENCH_CLIENT="contoso-daemon:$secret"
"$propagation" --revoke-at "http://127.0.0.1:$port_a" --issuer "http://127.0.0.1:$port_b/contoso" \
    --subscribers "$subscribers" --revocations "$revocations"
