#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the store tests and print its URL.
#
#   FACTS_TEST_POSTGRES_URL=$(bash scripts/postgres-for-tests.sh)
#   export FACTS_TEST_POSTGRES_URL
#
# The URL is the only thing on stdout; progress goes to stderr. Why each choice:
# - Debian's `postgresql` package, installed with apt-get only if no server binaries are
#   present, so a warm machine starts in about a second and a fresh CI container needs no
#   other setup (CI runs as root, with no stdin: apt-get is non-interactive).
# - Our own cluster in a temp directory, not the package's `main` cluster: nothing depends
#   on systemd or on /etc/postgresql, and a leftover from an earlier run is reused.
# - Run as the `postgres` user when we are root, because initdb/postgres refuse to run as
#   root; as any other user the cluster simply belongs to that user.
# - TCP on 127.0.0.1 and a free port (plus a unix socket in the cluster directory), trust
#   authentication: the server is unreachable from outside the machine and holds only
#   test data. Never point this at anything that matters.
# - Stop it with: pg_ctl -D "$FACTS_TEST_PG_DIR/data" stop  (the path is logged below).
set -euo pipefail

PG_DIR="${FACTS_TEST_PG_DIR:-/tmp/facts-test-postgres}"
DB_NAME="${FACTS_TEST_PG_DB:-facts_test}"
DATA="$PG_DIR/data"

log() { echo "postgres-for-tests: $*" >&2; }

find_bindir() {
    # Highest installed major version wins (sort -V), e.g. /usr/lib/postgresql/15/bin.
    local d
    d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null \
        | sort -V | tail -n 1)
    [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]] && echo "$d"
}

BIN=$(find_bindir || true)
if [[ -z "$BIN" ]]; then
    if [[ $EUID -ne 0 ]]; then
        log "PostgreSQL server binaries not found and not root: install Debian's postgresql"
        exit 1
    fi
    log "installing Debian's postgresql package (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    # Only refresh the package lists when they are missing (fresh container) or stale.
    if [[ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 \
            2>/dev/null | head -n 1)" ]]; then
        apt-get update -qq </dev/null >&2
    fi
    apt-get install -y -qq --no-install-recommends postgresql </dev/null >&2
    BIN=$(find_bindir || true)
    [[ -n "$BIN" ]] || { log "postgresql installed but no initdb found"; exit 1; }
fi

# Who owns and runs the cluster.
if [[ $EUID -eq 0 ]]; then
    RUN_AS=postgres
    id -u "$RUN_AS" >/dev/null 2>&1 || useradd --system --home-dir "$PG_DIR" "$RUN_AS"
    as_owner() { (cd / && runuser -u "$RUN_AS" -- "$@"); }
else
    RUN_AS=$(id -un)
    as_owner() { (cd / && "$@"); }
fi

url_for() { echo "postgresql://postgres@127.0.0.1:$1/$DB_NAME"; }

# Already running from an earlier call? Reuse it.
if [[ -f "$PG_DIR/port" ]] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    PORT=$(cat "$PG_DIR/port")
    if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 5; then
        log "reusing server in $DATA on port $PORT"
        # Another caller may have asked for another database name: make this one exist.
        "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB_NAME" </dev/null \
            >/dev/null 2>&1 || true
        url_for "$PORT"
        exit 0
    fi
fi

# Fresh cluster. Anything left in PG_DIR is from a dead run: stop it (if it somehow still
# runs) and start over, so a half-initialised directory never wedges CI.
if [[ -d "$DATA" ]]; then
    as_owner "$BIN/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1 || true
fi
rm -rf "$PG_DIR"
mkdir -p "$PG_DIR"
chmod 0700 "$PG_DIR"
[[ $EUID -eq 0 ]] && chown "$RUN_AS": "$PG_DIR"

log "initdb $DATA ($("$BIN/postgres" --version))"
as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; exit 1; }

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); \
print(s.getsockname()[1])')

log "starting on 127.0.0.1:$PORT (socket dir $PG_DIR, log $PG_DIR/server.log)"
# -l sends the server's own output to a file, so it holds neither our stdout (which the
# caller's $(...) is reading) nor stderr. pg_ctl -w returns once connections are accepted.
as_owner "$BIN/pg_ctl" -D "$DATA" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PG_DIR -c max_connections=200" \
    start >&2 || { cat "$PG_DIR/server.log" >&2; exit 1; }
echo "$PORT" >"$PG_DIR/port"

"$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB_NAME" </dev/null >&2
log "ready; stop with: runuser -u $RUN_AS -- $BIN/pg_ctl -D $DATA stop"
url_for "$PORT"
