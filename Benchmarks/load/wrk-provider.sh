#!/usr/bin/env bash
# Load benchmark of `keybound serve` on loopback with wrk (Debian's `wrk` package):
# a trivial route (/health), the JWKS endpoint and the client_credentials token endpoint, each
# for the same bounded duration in the same run, reported as requests/s and as a ratio to the
# trivial route. Uses a fresh temporary data directory and a release build.
#
# Usage: Benchmarks/load/wrk-provider.sh [seconds per endpoint, default 10] [connections, default 32]
set -euo pipefail
duration=${1:-10}
connections=${2:-32}
port=${KEYBOUND_BENCH_PORT:-18180}
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }

[ -n "${KEYBOUND_SKIP_BUILD:-}" ] || swift build -c release --product keybound --package-path "$root" >/dev/null
data=$(mktemp -d)
"$root/.build/release/keybound" serve --data "$data" --port "$port" >"$data/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT

for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
    sleep 0.1
done
secret=$(awk '/confidential client: contoso-daemon/ {print $5}' "$data/serve.log")
[ -n "$secret" ] || { echo "no development client secret in the server output" >&2; cat "$data/serve.log" >&2; exit 1; }
export KEYBOUND_BASIC=$(printf 'contoso-daemon:%s' "$secret" | base64 -w0)

# One token request by hand first: it must succeed, or the numbers mean nothing.
curl -sf -u "contoso-daemon:$secret" -d grant_type=client_credentials -d scope=api://mail/.default \
    "http://127.0.0.1:$port/contoso/token" >/dev/null || { echo "the token endpoint refused the benchmark client" >&2; exit 1; }

run() { # name, url, extra wrk arguments...
    local name=$1 url=$2; shift 2
    local out
    out=$(wrk -t1 -c"$connections" -d"${duration}s" --latency "$@" "$url")
    local rps errors non2xx p99
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out"); non2xx=${non2xx:-0}
    errors=$(awk '/Socket errors:/ {gsub(",", ""); print $4+$6+$8+$10}' <<<"$out"); errors=${errors:-0}
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    echo "$name $rps $non2xx $errors $p99"
}

echo "wrk: 1 thread, $connections connections, ${duration}s per endpoint, loopback, release build" >&2
trivial=$(run health "http://127.0.0.1:$port/health")
jwks=$(run jwks "http://127.0.0.1:$port/contoso/jwks")
token=$(run token "http://127.0.0.1:$port/contoso/token" -s "$root/Benchmarks/load/token.lua")
ledger=$(sqlite3 "$data/provider.sqlite" "SELECT count(*) FROM issuance" 2>/dev/null || echo "?")

base=$(awk '{print $2}' <<<"$trivial")
printf '| Endpoint | Requests/s | ÷ trivial route | non-2xx | socket errors | p99 latency |\n|---|---|---|---|---|---|\n'
for line in "$trivial" "$jwks" "$token"; do
    read -r name rps non2xx errors p99 <<<"$line"
    ratio=$(awk -v a="$rps" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
    printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$rps" "$ratio" "$non2xx" "$errors" "$p99"
done
echo "ledger records after the run: $ledger" >&2
