#!/usr/bin/env bash
# The token endpoint on PostgreSQL against SQLite, and two nodes against one on one PostgreSQL.
#
# Starts its own PostgreSQL 15 (Debian's postgresql-15, in a temporary directory, on loopback, with
# fsync on: the ledger's commits are what is measured) and, in interleaved rounds with a fresh
# store each time, drives the client_credentials token endpoint of `keybound serve` with wrk:
#   sqlite     one node on a fresh data directory (the baseline)
#   postgres   one node on a fresh database
#   two-nodes  two nodes on one fresh database, each driven by its own wrk with half the connections
# Reports the median requests/s of each, the ratios postgres ÷ sqlite and two-nodes ÷ postgres,
# non-2xx responses and socket errors, and the ledger's group-commit batch sizes on PostgreSQL
# (keybound_ledger_batch_size from the metrics listener).
#
# Usage: Benchmarks/load/wrk-postgres.sh [seconds per run, default 5] [connections, default 64] [rounds, default 3]
# KEYBOUND_SKIP_BUILD=1 uses the existing build; KEYBOUND_BUILD=debug|release (default release).
set -euo pipefail
duration=${1:-5}
connections=${2:-64}
rounds=${3:-3}
build=${KEYBOUND_BUILD:-release}
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/Benchmarks/load/wrk-common.sh"
source "$root/Benchmarks/load/postgres-common.sh"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }

binary="$root/.build/$build/keybound"
[ -n "${KEYBOUND_SKIP_BUILD:-}" ] || swift build -c "$build" --product keybound --package-path "$root" >/dev/null
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

port_a=18290; port_b=18291; metrics_a=18292
# start NAME STORE PORT [METRICS]: a serve node; waits for its health.
start() {
    local name=$1 store=$2 port=$3 metrics=${4:-off}
    "$binary" serve --database "$store" --port "$port" --public-url "http://127.0.0.1:$port_a" \
        --metrics-listen "$([ "$metrics" = off ] && echo off || echo "127.0.0.1:$metrics")" >"$work/$name.log" 2>&1 &
    servers+=($!)
    for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && return; sleep 0.1; done
    echo "$name did not start" >&2; cat "$work/$name.log" >&2; exit 1
}
stop_all() {
    for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; done
    servers=()
}
basic_from() {
    local secret
    secret=$(awk '/confidential client: contoso-daemon/ {print $5}' "$work/$1.log")
    [ -n "$secret" ] || { echo "no development client secret in $1's output" >&2; exit 1; }
    printf 'contoso-daemon:%s' "$secret" | base64 -w0
}

results=()
batches=""
for round in $(seq 1 "$rounds"); do
    rm -rf "$work/sqlite"; mkdir -p "$work/sqlite"
    start sqlite "sqlite:$work/sqlite" "$port_a"
    export KEYBOUND_BASIC; KEYBOUND_BASIC=$(basic_from sqlite)
    results+=("$(wrk_run sqlite "http://127.0.0.1:$port_a/contoso/token" -s "$root/Benchmarks/load/token.lua")")
    stop_all

    db="bench_${round}_a"; psql_run "CREATE DATABASE $db"
    start postgres "postgres://keybound@127.0.0.1:$pgport/$db" "$port_a" "$metrics_a"
    KEYBOUND_BASIC=$(basic_from postgres)
    results+=("$(wrk_run postgres "http://127.0.0.1:$port_a/contoso/token" -s "$root/Benchmarks/load/token.lua")")
    batches=$(curl -sf "http://127.0.0.1:$metrics_a/metrics" | grep '^keybound_ledger_batch_size_\(sum\|count\)' || true)
    stop_all

    db="bench_${round}_b"; psql_run "CREATE DATABASE $db"
    start node-a "postgres://keybound@127.0.0.1:$pgport/$db" "$port_a"
    start node-b "postgres://keybound@127.0.0.1:$pgport/$db" "$port_b"
    KEYBOUND_BASIC=$(basic_from node-a)
    half=$(( connections / 2 ))
    (connections=$half wrk_run two-nodes-a "http://127.0.0.1:$port_a/contoso/token" -s "$root/Benchmarks/load/token.lua" >"$work/a.out") &
    first=$!
    (connections=$half wrk_run two-nodes-b "http://127.0.0.1:$port_b/contoso/token" -s "$root/Benchmarks/load/token.lua" >"$work/b.out") &
    second=$!
    wait "$first" "$second"
    read -r _ ra na ea pa <"$work/a.out"; read -r _ rb nb eb pb <"$work/b.out"
    results+=("two-nodes $(awk -v a="$ra" -v b="$rb" 'BEGIN { printf "%.2f", a + b }') $(( na + nb )) $(( ea + eb )) $pa/$pb")
    stop_all
done

printf '%s\n' "${results[@]}"
read -r s_med s_bad s_err s_all <<<"$(summary sqlite)"
read -r p_med p_bad p_err p_all <<<"$(summary postgres)"
read -r t_med t_bad t_err t_all <<<"$(summary two-nodes)"
echo
echo "token endpoint, client_credentials, $connections connections, ${duration}s x $rounds rounds (median req/s; runs)"
echo "  sqlite     $s_med  ($s_all)  non-2xx $s_bad  socket errors $s_err"
echo "  postgres   $p_med  ($p_all)  non-2xx $p_bad  socket errors $p_err"
echo "  two nodes  $t_med  ($t_all)  non-2xx $t_bad  socket errors $t_err"
awk -v p="$p_med" -v s="$s_med" -v t="$t_med" 'BEGIN { printf "  postgres / sqlite = %.2f (target >= 0.5)   two nodes / one node = %.2f\n", p / s, t / p }'
echo "  ledger batches on postgres (last round): $(echo "$batches" | tr '\n' ' ')"
