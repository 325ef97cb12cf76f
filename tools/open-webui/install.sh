#!/usr/bin/env bash
# Build a venv with a REAL Open WebUI 0.12.4 that starts offline (no model downloads): about 70 s, 2.9 GB.
# usage: install.sh        (env: OWUI_VENV, default ~/.cache/embedtop/owui-venv; PYTHON)
# Idempotent: does nothing when the venv already has open-webui. Writes $VENV/.embedtop-installed when done.
set -euo pipefail
VENV=${OWUI_VENV:-$HOME/.cache/embedtop/owui-venv}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
PINS="torch==2.13.0 open-webui==0.12.4"
if [ -x "$VENV/bin/open-webui" ] && [ -f "$VENV/.embedtop-installed" ]; then echo "install.sh: $VENV already has open-webui"; exit 0; fi
t0=$(date +%s)
mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q -U pip
# torch==2.13.0 takes the CPU build on this kind of machine's disk; without it pip pulls a multi-GB CUDA build.
"$VENV/bin/python" -m pip install -q torch==2.13.0
"$VENV/bin/python" -m pip install -q open-webui==0.12.4
"$VENV/bin/python" -c 'import importlib.metadata as m; assert m.version("open-webui") == "0.12.4"'
echo "$PINS" > "$VENV/.embedtop-installed"
echo "install.sh: done in $(( $(date +%s) - t0 )) s; $(du -sh "$VENV" | cut -f1)"
