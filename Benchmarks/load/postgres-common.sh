# Shared by the load scripts that need PostgreSQL (source it after setting $work, a temporary
# directory the script removes at exit): start_postgres starts a PostgreSQL 15 of the script's own
# (Debian's postgresql-15, initdb in $work/pg, on loopback, fsync on), as the postgres user when
# run as root, and sets $pgport and $pgpid; stop_postgres stops it (call it at exit);
# psql_run SQL runs one statement on its maintenance database.
pg=/usr/lib/postgresql/15/bin

start_postgres() {
    [ -x "$pg/initdb" ] || { echo "PostgreSQL 15 is not installed (apt-get install postgresql-15)" >&2; exit 2; }
    local as_pg=()
    [ "$(id -u)" = 0 ] && as_pg=(runuser -u postgres --)
    chmod 755 "$work"
    head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$work/pgpass"
    chmod 600 "$work/pgpass"
    mkdir -p "$work/pg"
    if [ "$(id -u)" = 0 ]; then chown postgres "$work/pgpass" "$work/pg"; fi
    "${as_pg[@]}" "$pg/initdb" -D "$work/pg/data" -U keybound --auth=scram-sha-256 --pwfile="$work/pgpass" -E UTF8 --locale=C >/dev/null
    pgport=$(( 20000 + RANDOM % 20000 ))
    "${as_pg[@]}" "$pg/postgres" -D "$work/pg/data" -p "$pgport" -k "$work/pg" -c listen_addresses=127.0.0.1 \
        -c max_connections=200 >"$work/pg/log" 2>&1 &
    pgpid=$!
    for _ in $(seq 1 100); do grep -q "ready to accept" "$work/pg/log" && break; sleep 0.1; done
    grep -q "ready to accept" "$work/pg/log" || { echo "PostgreSQL did not start:" >&2; cat "$work/pg/log" >&2; exit 1; }
    if [ "$(id -u)" = 0 ]; then chown root "$work/pgpass"; fi
    export KEYBOUND_DATABASE_PASSWORD_FILE="$work/pgpass"
}

# A fast shutdown of the postmaster itself (runuser does not pass signals on), then its end.
stop_postgres() {
    [ -n "${pgpid:-}" ] || return 0
    local postmaster
    postmaster=$(head -1 "$work/pg/data/postmaster.pid" 2>/dev/null || true)
    [ -z "$postmaster" ] || kill -INT "$postmaster" 2>/dev/null || true
    wait "$pgpid" 2>/dev/null || true
    pgpid=""
}

psql_run() { PGPASSWORD=$(cat "$work/pgpass") "$pg/psql" -h 127.0.0.1 -p "$pgport" -U keybound -d postgres -qAt -c "$1"; }
