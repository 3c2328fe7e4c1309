# Shared by the wrk load scripts (source it): one measured run, and the per-name summary of runs.
# Expects $connections and $duration set, and collects lines in the array `results`.

# wrk_run NAME URL [wrk arguments...] -> "NAME requests/s non2xx socket_errors p99"
wrk_run() {
    local name=$1 url=$2; shift 2
    local out rps non2xx errors p99
    out=$(wrk -t1 -c"$connections" -d"${duration}s" --latency "$@" "$url")
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out"); non2xx=${non2xx:-0}
    errors=$(awk '/Socket errors:/ {gsub(",", ""); print $4+$6+$8+$10}' <<<"$out"); errors=${errors:-0}
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    echo "$name $rps $non2xx $errors $p99"
}

# summary NAME -> "median_rps non2xx_total errors_total all_rps" over the runs of NAME in `results`
summary() {
    local lines median bad err all
    lines=$(printf '%s\n' "${results[@]}" | awk -v n="$1" '$1 == n')
    median=$(awk '{print $2}' <<<"$lines" | sort -n | awk '{ r[NR] = $1 } END { printf "%.0f", (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }')
    bad=$(awk '{ s += $3 } END { print s + 0 }' <<<"$lines")
    err=$(awk '{ s += $4 } END { print s + 0 }' <<<"$lines")
    all=$(awk '{ printf "%s%d", (NR > 1 ? "/" : ""), $2 }' <<<"$lines")
    echo "$median $bad $err $all"
}

# start_development_server: builds keybound in release (unless KEYBOUND_SKIP_BUILD is set), starts
# `keybound serve` on a fresh temporary data directory at $port, stops it and removes the directory
# on exit, and waits for its development client (await_development_client). Expects $root and
# $port; sets $data and $server.
start_development_server() {
    [ -n "${KEYBOUND_SKIP_BUILD:-}" ] || swift build -c release --product keybound --package-path "$root" >/dev/null
    data=$(mktemp -d)
    "$root/.build/release/keybound" serve --data "$data" --port "$port" >"$data/serve.log" 2>&1 &
    server=$!
    trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
    await_development_client "$data/serve.log"
}

# await_development_client LOG: waits (up to 20 s) for /health at $port, then reads the
# development client contoso-daemon's secret from the server's LOG into $KEYBOUND_SECRET and
# exports its HTTP Basic credentials as KEYBOUND_BASIC (for token.lua); exits if there is none.
await_development_client() {
    for _ in $(seq 1 200); do
        curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
        sleep 0.1
    done
    KEYBOUND_SECRET=$(awk '/confidential client: contoso-daemon/ {print $5}' "$1")
    [ -n "$KEYBOUND_SECRET" ] || { echo "no development client secret in the server output" >&2; cat "$1" >&2; exit 1; }
    export KEYBOUND_BASIC=$(printf 'contoso-daemon:%s' "$KEYBOUND_SECRET" | base64 -w0)
}
