#!/usr/bin/env bash
# Where the token endpoint's time goes: `perf record` of a release `keybound serve` while wrk
# drives client_credentials at it (1 thread, 128 connections), then the inclusive share of the
# server's CPU samples of each part of a request, as Benchmarks/README.md reports them.
#
# Usage: Benchmarks/load/profile-token.sh [seconds recorded, default 8]
# Needs perf (apt-get install linux-perf) and wrk; builds keybound in release unless
# KEYBOUND_SKIP_BUILD is set. Leaves perf.data and the full report in $KEYBOUND_PROFILE_DIR
# (default: a temporary directory, printed at the end).
set -euo pipefail
seconds=${1:-8}
port=${KEYBOUND_BENCH_PORT:-18190}
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${KEYBOUND_PROFILE_DIR:-$(mktemp -d)}
command -v perf >/dev/null || { echo "perf is not installed (apt-get install linux-perf)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
source "$root/Benchmarks/load/wrk-common.sh"
start_development_server
url="http://127.0.0.1:$port/contoso/token"

wrk -t1 -c128 -d3s -s "$root/Benchmarks/load/token.lua" "$url" >/dev/null   # warm up
wrk -t1 -c128 -d"$((seconds + 4))s" -s "$root/Benchmarks/load/token.lua" "$url" >"$out/wrk.txt" &
load=$!
sleep 2
perf record -F 999 -g --call-graph dwarf,16384 -p "$server" -o "$out/perf.data" -- sleep "$seconds" 2>"$out/record.log"
wait $load
perf report -i "$out/perf.data" --children --sort sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' >"$out/children.txt"

# share SYMBOL-PATTERN -> the largest inclusive share of a symbol matching it
share() { grep -E "$1" "$out/children.txt" | head -1 | awk '{print $1}'; }
echo "token endpoint under load: $(awk '/^Requests\/sec:/ {print $2}' "$out/wrk.txt") requests/s while recorded"
printf '| Part of a request | Inclusive share of the server'"'"'s CPU samples |\n|---|---|\n'
printf '| HTTP and sockets (NIO event loops, with their system calls) | %s |\n' "$(share 'NIOPosix19SelectableEventLoopC3runyyKF')"
printf '| Ledger group commit (all) | %s |\n' "$(share 'GroupCommitWriterC5flush')"
printf '| … inserting the batch'"'"'s records | %s |\n' "$(share 'SQLiteProviderB0C6insert_4into')"
printf '| … committing (WAL write and fdatasync) | %s |\n' "$(share 'GRDB8DatabaseC6commityyKF')"
printf '| Signing on the secret workers (all) | %s |\n' "$(share 'SecretWorkersC3run33_')"
printf '| … the signature, with the key rebuilt from locked memory | %s |\n' "$(share 'SigningKeyV13signatureData2of')"
printf '| Minting the claims | %s |\n' "$(share 'TokenMinterV06accessC0_3now')"
printf '| Reading and parsing the form | %s |\n' "$(share 'FormBodyV4read')"
printf '| Client authentication | %s |\n' "$(share 'ClientAuthenticatorV12authenticate')"
printf '| Routing | %s |\n' "$(share 'RouterResponderV7respond')"
printf '| The JSON response | %s |\n' "$(share 'TokenEndpointV13tokenResponse')"
echo "perf data and report: $out" >&2
