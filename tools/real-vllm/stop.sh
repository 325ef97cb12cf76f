#!/usr/bin/env bash
# Stop a vLLM server started by start.sh, by PID only (never by name).
# usage: stop.sh PID [GRACE_SECONDS=20]
# Sends SIGTERM to the API-server PID. If it has not exited after GRACE_SECONDS
# (observed: with requests in flight vLLM 0.32.0 closes the engine at once but uvicorn
# then waits for those HTTP connections to close, indefinitely), it sends SIGKILL to the
# API server and to the descendants recorded before the SIGTERM (EngineCore, Worker,
# resource_tracker).
set -u
PID=${1:?usage: stop.sh PID [GRACE_SECONDS]}
GRACE=${2:-20}
case "$PID" in ''|*[!0-9]*) echo "stop: PID must be a number, got '$PID'" >&2; exit 2;; esac
kill -0 "$PID" 2>/dev/null || { echo "stop: pid $PID not running" >&2; exit 0; }
# refuse anything that is not a 'vllm serve' API server (guards against a wrong/empty PID)
CMD=$(tr '\0' ' ' < "/proc/$PID/cmdline" 2>/dev/null)
case "$CMD" in
  *vllm*serve*) ;;
  *) echo "stop: pid $PID is not a 'vllm serve' process ($CMD); refusing" >&2; exit 2;;
esac

descendants() {
  local p c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$c"; descendants "$c"
  done
}
KIDS=$(descendants "$PID" | tr '\n' ' ')
echo "stop: SIGTERM $PID (descendants: ${KIDS:-none})" >&2
kill -TERM "$PID"
end=$(( $(date +%s) + GRACE ))
while kill -0 "$PID" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 0.25; done
if kill -0 "$PID" 2>/dev/null; then
  echo "stop: $PID still alive after ${GRACE}s, SIGKILL" >&2
  kill -KILL "$PID" 2>/dev/null
fi
sleep 0.5
for k in $KIDS; do
  if kill -0 "$k" 2>/dev/null && [ "$(ps -o stat= -p "$k" | cut -c1)" != "Z" ]; then
    echo "stop: descendant $k still alive, SIGKILL" >&2
    kill -KILL "$k" 2>/dev/null
  fi
done
echo "stop: done" >&2
