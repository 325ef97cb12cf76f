#!/usr/bin/env bash
# Stop a PostgreSQL started by start.sh, by its PID only (never by name): SIGINT (fast shutdown), then SIGKILL
# after GRACE_SECONDS. Refuses a PID that is not a `postgres -D` postmaster.
# usage: stop.sh PID [GRACE_SECONDS=15]
set -u
PID=${1:?usage: stop.sh PID [GRACE_SECONDS]}
GRACE=${2:-15}
case "$PID" in ''|*[!0-9]*) echo "stop: PID must be a number, got '$PID'" >&2; exit 2;; esac
kill -0 "$PID" 2>/dev/null || { echo "stop: pid $PID not running" >&2; exit 0; }
CMD=$(tr '\0' ' ' < "/proc/$PID/cmdline" 2>/dev/null)
case "$CMD" in
  *postgres\ -D*) ;;
  *) echo "stop: pid $PID is not a postgres postmaster ($CMD); refusing" >&2; exit 2;;
esac
kill -INT "$PID"
end=$(( $(date +%s) + GRACE ))
while kill -0 "$PID" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
if kill -0 "$PID" 2>/dev/null; then echo "stop: $PID still alive after ${GRACE}s, SIGKILL" >&2; kill -KILL "$PID"; fi
echo "stop: done" >&2
