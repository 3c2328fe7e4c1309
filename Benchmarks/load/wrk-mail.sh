#!/usr/bin/env bash
# Load benchmark of Keybound Mail on loopback with wrk: GET /users/adele@contoso.example/messages
# (a real application token of the contoso daemon, role Mail.Read.All; five messages read from
# mail.sqlite) in four configurations served side by side by the KeyboundMailLoad executable
# (release build), in interleaved rounds of the same bounded duration:
#
#   cached+audit   bearer validation with the verified-token cache, audit record per request (what ships)
#   verify+audit   full signature verification on every request, audit record per request
#   cached         bearer validation with the cache, no audit
#   no-auth        no authentication, no audit (a fixed identity): the baseline
#
# Reports the median requests/s of each and its ratio to the baseline, with non-2xx responses
# and socket errors. Usage: Benchmarks/load/wrk-mail.sh [seconds per run, default 5] [connections, default 128] [rounds, default 3]
set -euo pipefail
duration=${1:-5}
connections=${2:-128}
rounds=${3:-3}
base=${KEYBOUND_BENCH_PORT:-18280}
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/Benchmarks/load/wrk-common.sh"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
scratch=${KEYBOUND_BENCH_SCRATCH:-$root/Benchmarks/.build}

[ -n "${KEYBOUND_SKIP_BUILD:-}" ] || swift build -c release --package-path "$root/Benchmarks" --scratch-path "$scratch" --product KeyboundMailLoad >/dev/null
log=$(mktemp)
"$scratch/release/KeyboundMailLoad" --base-port "$base" >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 300); do grep -q READY "$log" && break; sleep 0.1; done
grep -q READY "$log" || { echo "the mail load server did not start" >&2; cat "$log" >&2; exit 1; }
token=$(awk '/^TOKEN / {print $2}' "$log")
path="/users/adele@contoso.example/messages"

# Every configuration must answer 200 to the benchmark request, or the numbers mean nothing.
for offset in 1 2 3 4; do
    curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$((base + offset))$path" >/dev/null \
        || { echo "port $((base + offset)) refused the benchmark request" >&2; exit 1; }
done
# And the authenticated ones must refuse a request without the token.
curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((base + 1))$path" | grep -q 401 \
    || { echo "the authenticated configuration answered without a token" >&2; exit 1; }


echo "wrk: 1 thread, $connections connections, ${duration}s per run, $rounds interleaved rounds, loopback, release build" >&2
results=()
for _ in $(seq 1 "$rounds"); do
    results+=("$(wrk_run no-auth "http://127.0.0.1:$((base + 4))$path" -H "Authorization: Bearer $token")")
    results+=("$(wrk_run cached+audit "http://127.0.0.1:$((base + 1))$path" -H "Authorization: Bearer $token")")
    results+=("$(wrk_run cached "http://127.0.0.1:$((base + 3))$path" -H "Authorization: Bearer $token")")
    results+=("$(wrk_run verify+audit "http://127.0.0.1:$((base + 2))$path" -H "Authorization: Bearer $token")")
done

baseline=$(summary no-auth | awk '{print $1}')
printf '| Configuration | Median requests/s | ÷ no-auth | Runs (requests/s) | non-2xx | socket errors |\n|---|---|---|---|---|---|\n'
for name in no-auth cached+audit cached verify+audit; do
    read -r median non2xx errors all <<<"$(summary "$name")"
    ratio=$(awk -v a="$median" -v b="$baseline" 'BEGIN { printf "%.2f", a / b }')
    printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$median" "$ratio" "$all" "$non2xx" "$errors"
done
