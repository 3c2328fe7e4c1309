#!/usr/bin/env bash
# What PKCS#11 custody costs at the token endpoint: one `keybound serve` (release build, SQLite,
# development mode) with two tenant issuers side by side, `contoso` with software keys (sealed in
# the store, cached unsealed) and `hsm` with its keys inside a SoftHSM2 token. Interleaved wrk
# rounds against the same server: /health, client_credentials at /contoso/token, the same at
# /hsm/token. Reports each endpoint's median requests/s, hsm ÷ contoso (the custody's cost) and
# both ÷ /health, with non-2xx responses and socket errors (any is a failed run).
#
# Usage: Benchmarks/load/wrk-custody.sh [seconds per run, default 5] [connections, default 64]
#        [rounds, default 3] [PKCS#11 sessions, default 4]
# Needs wrk and softhsm2 (apt-get install wrk softhsm2).
set -euo pipefail
duration=${1:-5}
connections=${2:-64}
rounds=${3:-3}
sessions=${4:-4}
port=${KEYBOUND_BENCH_PORT:-18190}
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/Benchmarks/load/wrk-common.sh"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
command -v softhsm2-util >/dev/null || { echo "softhsm2 is not installed (apt-get install softhsm2)" >&2; exit 2; }

[ -n "${KEYBOUND_SKIP_BUILD:-}" ] || swift build -c release --product keybound --package-path "$root" >/dev/null
unset KEYBOUND_SKIP_BUILD   # keybound would warn about a KEYBOUND_* variable it does not read
keybound="$root/.build/release/keybound"
work=$(mktemp -d)
data="$work/data"
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

# A SoftHSM2 token in the work directory.
mkdir -p "$work/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$work/tokens" >"$work/softhsm2.conf"
export SOFTHSM2_CONF="$work/softhsm2.conf"
softhsm2-util --init-token --free --label bench --pin 4242 --so-pin 5353 >/dev/null
printf '4242' >"$work/pin" && chmod 600 "$work/pin"
export KEYBOUND_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so KEYBOUND_PKCS11_TOKEN=bench KEYBOUND_PKCS11_PIN_FILE="$work/pin"
export KEYBOUND_PKCS11_SESSIONS="$sessions"

# First start: the development bootstrap creates contoso (software custody) and its daemon.
"$keybound" serve --data "$data" --port "$port" --metrics-listen off >"$work/first.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
contoso_secret=$(awk '/confidential client: contoso-daemon/ {print $5}' "$work/first.log")
[ -n "$contoso_secret" ] || { echo "no development client secret in the server output" >&2; cat "$work/first.log" >&2; exit 1; }
kill $server; wait $server 2>/dev/null || true; server=

# The same shape of issuer in the token.
"$keybound" issuer create --data "$data" --id hsm --url "http://localhost:$port/hsm" --kind tenant --tenant-id t-hsm --custody pkcs11 >/dev/null
"$keybound" resource set --data "$data" --issuer hsm --audience api://mail --scope Mail.Read --role Mail.Read.All >/dev/null
hsm_secret=$("$keybound" client create --data "$data" --json --issuer hsm --client-id hsm-daemon --name Daemon \
    --auth-method client_secret_basic --grant-type client_credentials --role api://mail/Mail.Read.All | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')

"$keybound" serve --data "$data" --port "$port" --metrics-listen off >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
for pair in "contoso contoso-daemon:$contoso_secret" "hsm hsm-daemon:$hsm_secret"; do
    read -r issuer basic <<<"$pair"
    curl -sf -u "$basic" -d grant_type=client_credentials -d scope=api://mail/.default \
        "http://127.0.0.1:$port/$issuer/token" >/dev/null || { echo "the token endpoint of $issuer refused the benchmark client" >&2; exit 1; }
done

echo "wrk: 1 thread, $connections connections, ${duration}s per run, $rounds interleaved rounds, loopback, release build; PKCS#11 sessions: $sessions" >&2
results=()
for _ in $(seq 1 "$rounds"); do
    results+=("$(wrk_run health "http://127.0.0.1:$port/health")")
    results+=("$(KEYBOUND_BASIC=$(printf 'contoso-daemon:%s' "$contoso_secret" | base64 -w0) wrk_run software "http://127.0.0.1:$port/contoso/token" -s "$root/Benchmarks/load/token.lua")")
    results+=("$(KEYBOUND_BASIC=$(printf 'hsm-daemon:%s' "$hsm_secret" | base64 -w0) wrk_run pkcs11 "http://127.0.0.1:$port/hsm/token" -s "$root/Benchmarks/load/token.lua")")
done

base=$(summary health | awk '{print $1}')
software=$(summary software | awk '{print $1}')
printf '| Endpoint | Median requests/s | ÷ /health | ÷ software custody | Runs (requests/s) | non-2xx | socket errors |\n|---|---|---|---|---|---|---|\n'
for name in health software pkcs11; do
    read -r median non2xx errors all <<<"$(summary "$name")"
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$median" \
        "$(awk -v a="$median" -v b="$base" 'BEGIN { printf "%.2f", a / b }')" \
        "$(awk -v a="$median" -v b="$software" 'BEGIN { printf "%.2f", a / b }')" "$all" "$non2xx" "$errors"
done
