#!/usr/bin/env bash
# Load benchmark of Keybound Mail on loopback with wrk: GET /users/adele@contoso.example/messages
# (five messages read from mail.sqlite) with real application tokens of contoso (role
# Mail.Read.All) in four configurations served side by side by the KeyboundMailLoad executable
# (release build), in interleaved rounds of the same bounded duration:
#
#   cached+audit   verified-token cache, issuance-ledger check on a miss, audit record per request (what ships)
#   verify+audit   full signature verification and ledger check on every request, audit record per request
#   cached         its own verified-token cache and the ledger check, no audit
#   no-auth        no authentication, no audit (a fixed identity): the baseline
#   edge           the mail edge as `keybound mail serve` builds it: remote trust, its cache, the issuance
#                  check fed by contoso's issuance feed, audit record per request
#   edge-skip      the same edge with the issuance check skipped (--unsafe-skip-issuance-check)
#
# The server has the provider issue KEYBOUND_MAIL_TOKENS distinct tokens (default 10,000, to 100
# applications, each in the issuance ledger); every request carries one of them, chosen
# Zipf-distributed (exponent KEYBOUND_ZIPF_S, default 1.0) by Benchmarks/load/zipf-tokens.lua, the
# same sequence in every configuration. Reports the median requests/s of each and its ratio to the
# baseline, with non-2xx responses and socket errors, and each cache's hit rate as the server
# counted it over the measured runs. Usage:
#   Benchmarks/load/wrk-mail.sh [seconds per run, default 5] [connections, default 128] [rounds, default 3]
set -euo pipefail
duration=${1:-5}
connections=${2:-128}
rounds=${3:-3}
base=${KEYBOUND_BENCH_PORT:-18280}
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/Benchmarks/load/wrk-common.sh"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
scratch=${KEYBOUND_BENCH_SCRATCH:-$root/Benchmarks/.build}
export KEYBOUND_ZIPF_S=${KEYBOUND_ZIPF_S:-1.0}

[ -n "${KEYBOUND_SKIP_BUILD:-}" ] || swift build -c release --package-path "$root/Benchmarks" --scratch-path "$scratch" --product KeyboundMailLoad >/dev/null
log=$(mktemp)
export KEYBOUND_TOKENS=$(mktemp)
"$scratch/release/KeyboundMailLoad" --base-port "$base" --tokens "${KEYBOUND_MAIL_TOKENS:-10000}" --token-file "$KEYBOUND_TOKENS" >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log" "$KEYBOUND_TOKENS"' EXIT
for _ in $(seq 1 1200); do grep -q READY "$log" && break; kill -0 $server 2>/dev/null || break; sleep 0.1; done
grep -q READY "$log" || { echo "the mail load server did not start" >&2; cat "$log" >&2; exit 1; }
grep '^TOKENS' "$log" | sed 's/^TOKENS /tokens: /' >&2
token=$(head -n 1 "$KEYBOUND_TOKENS")
path="/users/adele@contoso.example/messages"

# Every configuration must answer 200 to the benchmark request, or the numbers mean nothing.
for offset in 1 2 3 4 6 7; do
    curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$((base + offset))$path" >/dev/null \
        || { echo "port $((base + offset)) refused the benchmark request" >&2; exit 1; }
done
# And the authenticated ones must refuse a request without the token.
curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((base + 1))$path" | grep -q 401 \
    || { echo "the authenticated configuration answered without a token" >&2; exit 1; }

# cache_counts NAME -> "hits misses" of that configuration's cache, as the server counts them.
cache_counts() { curl -sf "http://127.0.0.1:$((base + 5))/cache" | awk -v n="$1" '$1 == n { print $2, $3 }'; }
declare -A hits misses
# cached_run NAME PORT: one wrk run, adding the cache's hits and misses during it to the totals.
cached_run() {
    local name=$1 port=$2 before after
    before=$(cache_counts "$name")
    results+=("$(wrk_run "$name" "http://127.0.0.1:$port$path" -s "$root/Benchmarks/load/zipf-tokens.lua")")
    after=$(cache_counts "$name")
    read -r h0 m0 <<<"$before"; read -r h1 m1 <<<"$after"
    hits[$name]=$(( ${hits[$name]:-0} + h1 - h0 )); misses[$name]=$(( ${misses[$name]:-0} + m1 - m0 ))
}

echo "wrk: 1 thread, $connections connections, ${duration}s per run, $rounds interleaved rounds, loopback, release build; Zipf s=$KEYBOUND_ZIPF_S" >&2
results=()
for round in $(seq 1 "$rounds"); do
    results+=("$(wrk_run no-auth "http://127.0.0.1:$((base + 4))$path" -s "$root/Benchmarks/load/zipf-tokens.lua")")
    cached_run cached+audit $((base + 1))
    cached_run cached $((base + 3))
    results+=("$(wrk_run verify+audit "http://127.0.0.1:$((base + 2))$path" -s "$root/Benchmarks/load/zipf-tokens.lua")")
    # The two edges in alternating order, so neither always runs on the longer audit log.
    if [ $((round % 2)) -eq 1 ]; then cached_run edge-skip $((base + 7)); cached_run edge $((base + 6))
    else cached_run edge $((base + 6)); cached_run edge-skip $((base + 7)); fi
done

baseline=$(summary no-auth | awk '{print $1}')
printf '| Configuration | Median requests/s | ÷ no-auth | Runs (requests/s) | non-2xx | socket errors | cache hits / lookups |\n|---|---|---|---|---|---|---|\n'
for name in no-auth cached+audit cached verify+audit edge-skip edge; do
    read -r median non2xx errors all <<<"$(summary "$name")"
    ratio=$(awk -v a="$median" -v b="$baseline" 'BEGIN { printf "%.2f", a / b }')
    rate="-"
    if [ -n "${hits[$name]:-}" ]; then
        rate=$(awk -v h="${hits[$name]}" -v m="${misses[$name]}" 'BEGIN { printf "%.1f %% (%d / %d)", (h + m) ? 100 * h / (h + m) : 0, h, h + m }')
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$median" "$ratio" "$all" "$non2xx" "$errors" "$rate"
done
edge=$(summary edge | awk '{print $1}'); skip=$(summary edge-skip | awk '{print $1}')
awk -v a="$edge" -v b="$skip" 'BEGIN { printf "\nthe mail edge with the issuance check ÷ without it: %.3f (target >= 0.9)\n", a / b }'
