#!/usr/bin/env bash
# Start a REAL PostgreSQL 18 + pgvector (from install.sh) on 127.0.0.1:PORT with a fresh cluster in DIR, wait
# until it accepts connections, and print the postmaster's PID on stdout (only that).
#
# usage: start.sh PORT DIR
# Creates: the databases in $PG_DATABASES (default `openwebui`), each with the `vector` extension (made here by
# the superuser: pgvector is not a trusted extension) and owned by role `owui` (Open WebUI's, password $PG_OWUI_PASSWORD), and a read-only login
# `embedtop_ro` (password $PG_RO_PASSWORD) in the built-in role pg_read_all_data — what embedtop's
# --openwebui-pgvector-dsn needs. Connections from 127.0.0.1 only, scram-sha-256; the superuser `postgres`
# logs in over the socket in DIR only.
# env: PG_HOME (default ~/.cache/embedtop/postgres), PG_DATABASES, PG_OWUI_PASSWORD (default owui-pass),
#      PG_RO_PASSWORD (default ro-pass), PG_READY_TIMEOUT (default 30 s).
# PostgreSQL refuses to run as root: as root it runs as the user `postgres` (or `nobody`), from a copy of the
# binaries inside DIR when that user cannot read PG_HOME. Log: DIR/postgres.log. Stop: stop.sh PID.
set -euo pipefail
[ $# -eq 2 ] || { sed -n '2,14p' "$0" >&2; exit 2; }
PORT=$1; DIR=$(mkdir -p "$2" && cd "$2" && pwd)
PG_HOME=${PG_HOME:-$HOME/.cache/embedtop/postgres}
DBS=${PG_DATABASES:-openwebui}
OWUI_PW=${PG_OWUI_PASSWORD:-owui-pass}; RO_PW=${PG_RO_PASSWORD:-ro-pass}
TIMEOUT=${PG_READY_TIMEOUT:-30}
die() { echo "start: $*" >&2; exit 1; }
[ -x "$PG_HOME/pgserver/pginstall/bin/postgres" ] || die "no PostgreSQL in $PG_HOME (run install.sh first)"
BIN=$PG_HOME/pgserver/pginstall/bin
RUN=()
if [ "$(id -u)" = 0 ]; then
  USER_=postgres; id "$USER_" >/dev/null 2>&1 || USER_=nobody
  RUN=(setpriv --reuid="$USER_" --regid="$(id -g "$USER_")" --clear-groups --)
  if ! "${RUN[@]}" test -x "$BIN/postgres"; then  # e.g. PG_HOME under /root (mode 700)
    cp -a "$PG_HOME" "$DIR/pginstall"
    BIN=$DIR/pginstall/pgserver/pginstall/bin
  fi
  chown -R "$USER_" "$DIR"
  "${RUN[@]}" test -x "$BIN/postgres" || die "user $USER_ cannot reach $DIR (a parent folder is closed to others, e.g. mode 700): give a DIR under /tmp"
fi
as() { "${RUN[@]}" "$@"; }
[ -e "$DIR/data" ] && die "$DIR/data exists: give a fresh DIR"
as "$BIN/initdb" -D "$DIR/data" -U postgres -E UTF8 --locale=C --auth-local=trust --auth-host=scram-sha-256 \
  >"$DIR/initdb.log" 2>&1 || { tail -5 "$DIR/initdb.log" >&2; die "initdb failed"; }
"${RUN[@]}" "$BIN/postgres" -D "$DIR/data" -h 127.0.0.1 -p "$PORT" -k "$DIR" -c shared_buffers=32MB -c max_connections=40 \
  >"$DIR/postgres.log" 2>&1 &
PID=$!
echo "$PID" > "$DIR/postgres.pid"
end=$(( $(date +%s) + TIMEOUT ))
until as "$BIN/pg_isready" -q -h "$DIR" -p "$PORT"; do
  kill -0 "$PID" 2>/dev/null || { tail -5 "$DIR/postgres.log" >&2; die "postgres exited"; }
  [ "$(date +%s)" -lt "$end" ] || { kill -TERM "$PID"; die "not ready after ${TIMEOUT}s"; }
  sleep 0.2
done
{
  echo "CREATE ROLE owui LOGIN PASSWORD :'owui_pw';"
  echo "CREATE ROLE embedtop_ro LOGIN PASSWORD :'ro_pw' IN ROLE pg_read_all_data;"
  for db in $DBS; do
    case "$db" in *[!a-z0-9_]*|'') die "database names are [a-z0-9_]: '$db'";; esac
    printf 'CREATE DATABASE %s OWNER owui;\n\\c %s\nCREATE EXTENSION vector;\n' "$db" "$db"
  done
} | as "$BIN/psql" -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres -d postgres \
  -v owui_pw="$OWUI_PW" -v ro_pw="$RO_PW" >"$DIR/setup.log" 2>&1 || { kill -TERM "$PID"; tail -5 "$DIR/setup.log" >&2; die "setup failed"; }
echo "$PID"
