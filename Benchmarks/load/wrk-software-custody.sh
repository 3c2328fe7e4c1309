#!/usr/bin/env bash
# What software custody in locked memory costs at the token endpoint: this checkout's `keybound`
# (keys unsealed into locked memory, a swift-crypto key rebuilt for each signature on a secret
# worker thread, BoringSSL's heap out of dumps, zero on free) against a baseline `keybound` built
# from an earlier commit (keys cached as swift-crypto objects). Each binary serves its own
# development store (release build, SQLite); the rounds alternate between them, so both see the
# same machine. Reports each one's median requests/s for /health and client_credentials at
# /contoso/token, and this ÷ baseline. With softhsm2 installed, this checkout's store also has an
# issuer `hsm` whose keys are in a SoftHSM2 token, measured in the same rounds: PKCS#11 custody,
# software custody and cached keys, all in one run.
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
    local run=exec; [ "$1" = locked ] && run=with_token
    $run "$2" serve --data "$work/$1" --port "$port" --metrics-listen off >>"$work/$1.log" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && return; sleep 0.1; done
    echo "$1 did not start" >&2; cat "$work/$1.log" >&2; exit 1
}
stop() { kill $server; wait $server 2>/dev/null || true; server=; }

hsm=
if command -v softhsm2-util >/dev/null; then
    mkdir -p "$work/tokens"
    printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$work/tokens" >"$work/softhsm2.conf"
    export SOFTHSM2_CONF="$work/softhsm2.conf"
    softhsm2-util --init-token --free --label bench --pin 4242 --so-pin 5353 >/dev/null
    printf '4242' >"$work/pin" && chmod 600 "$work/pin"
    hsm=yes
fi
# Only this checkout's server reads the token (the baseline has no reason to see it). It execs, so
# that a server started in the background with it is the process `$!` names.
with_token() {
    if [ -n "$hsm" ]; then
        KEYBOUND_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so KEYBOUND_PKCS11_TOKEN=bench KEYBOUND_PKCS11_PIN_FILE="$work/pin" exec "$@"
    else exec "$@"; fi
}

declare -A secrets
for name in locked cached; do
    binary=$current; [ "$name" = cached ] && binary=$baseline
    start "$name" "$binary"
    stop   # the output is flushed at exit
    secrets[$name]=$(awk '/confidential client: contoso-daemon/ {print $5}' "$work/$name.log")
    [ -n "${secrets[$name]}" ] || { echo "no development client secret in $name's output" >&2; cat "$work/$name.log" >&2; exit 1; }
    start "$name" "$binary"
    curl -sf -u "contoso-daemon:${secrets[$name]}" -d grant_type=client_credentials -d scope=api://mail/.default \
        "http://127.0.0.1:$port/contoso/token" >/dev/null || { echo "$name's token endpoint refused the benchmark client" >&2; exit 1; }
    stop
done
if [ -n "$hsm" ]; then
    (with_token "$current" issuer create --data "$work/locked" --id hsm --url "http://localhost:$port/hsm" --kind tenant --tenant-id t-hsm --custody pkcs11 >/dev/null)
    "$current" resource set --data "$work/locked" --issuer hsm --audience api://mail --scope Mail.Read --role Mail.Read.All >/dev/null
    secrets[hsm]=$("$current" client create --data "$work/locked" --json --issuer hsm --client-id hsm-daemon --name Daemon \
        --auth-method client_secret_basic --grant-type client_credentials --role api://mail/Mail.Read.All | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')
fi

echo "wrk: 1 thread, $connections connections, ${duration}s per run, $rounds alternating rounds, loopback, release builds" >&2
results=()
for _ in $(seq 1 "$rounds"); do
    for name in cached locked; do
        binary=$current; [ "$name" = cached ] && binary=$baseline
        start "$name" "$binary"
        results+=("$(wrk_run "$name-health" "http://127.0.0.1:$port/health")")
        results+=("$(KEYBOUND_BASIC=$(printf 'contoso-daemon:%s' "${secrets[$name]}" | base64 -w0) wrk_run "$name-token" "http://127.0.0.1:$port/contoso/token" -s "$root/Benchmarks/load/token.lua")")
        if [ "$name" = locked ] && [ -n "$hsm" ]; then
            results+=("$(KEYBOUND_BASIC=$(printf 'hsm-daemon:%s' "${secrets[hsm]}" | base64 -w0) wrk_run "pkcs11-token" "http://127.0.0.1:$port/hsm/token" -s "$root/Benchmarks/load/token.lua")")
        fi
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
if [ -n "$hsm" ]; then
    health=$(summary locked-health | awk '{print $1}')
    read -r median non2xx errors all <<<"$(summary pkcs11-token)"
    printf '| locked, issuer in SoftHSM2 (%s PKCS#11 sessions) | token | %s | %s | %s | %s | %s | %s |\n' "${KEYBOUND_PKCS11_SESSIONS:-4}" "$median" \
        "$(awk -v a="$median" -v b="$health" 'BEGIN { printf "%.2f", a / b }')" \
        "$(awk -v a="$median" -v b="$cached" 'BEGIN { printf "%.2f", a / b }')" "$all" "$non2xx" "$errors"
    locked=$(summary locked-token | awk '{print $1}')
    echo "PKCS#11 ÷ software custody (same server, same rounds): $(awk -v a="$median" -v b="$locked" 'BEGIN { printf "%.2f", a / b }')"
fi
