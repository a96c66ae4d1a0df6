# Sourced by scripts/test and the benchmarks: starts a throw-away
# PostgreSQL cluster (Debian's `postgresql`, installed when missing) in a
# temporary folder, on a free port of 127.0.0.1, as an unprivileged user
# (initdb refuses root), and stops it when the calling script exits, even
# on failure. Sets MOZI_POSTGRES_URL to an account that may create
# databases.

postgres_bin() {
    local initdb
    initdb="$( (ls -1 /usr/lib/postgresql/*/bin/initdb 2>/dev/null || true) | sort -V | tail -n 1)"
    [ -n "$initdb" ] && dirname "$initdb"
}

if [ -z "$(postgres_bin)" ]; then
    install_deb postgresql
fi
PG_BIN="$(postgres_bin)"

# The cluster's owner: this user, or `postgres` (or `nobody`) for root.
if [ "$(id -u)" -eq 0 ]; then
    PG_USER="$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)"
    as_pg_user() { runuser -u "$PG_USER" -- "$@"; }
else
    as_pg_user() { "$@"; }
fi

PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/mozi-postgres.XXXXXX")"
chmod 0755 "$PG_DIR"
[ "$(id -u)" -eq 0 ] && chown "$PG_USER" "$PG_DIR"
PG_PORT="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"

stop_postgres() {
    as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
}
trap stop_postgres EXIT

say "Starting a throw-away PostgreSQL on 127.0.0.1:$PG_PORT"
as_pg_user "$PG_BIN/initdb" -D "$PG_DIR/data" -U mozi --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
# Tests want speed, not durability: the cluster is deleted at the end.
# MOZI_POSTGRES_DURABLE=1 (the benchmarks) keeps PostgreSQL's defaults.
pg_options="-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300"
if [ -z "${MOZI_POSTGRES_DURABLE:-}" ]; then
    pg_options="$pg_options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi
as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -o "$pg_options" -w start >/dev/null
export MOZI_POSTGRES_URL="postgres://mozi@127.0.0.1:$PG_PORT/postgres"
