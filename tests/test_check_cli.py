"""`embedtop check`, headless: in-process against the demo target in every fault scenario (the expected red
root item, table-driven), and as a user runs it — a subprocess against `embedtop demo --serve-only` — with
its exit codes and JSON validated against the documented schema."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from tui.config import Config
from tui.demo.target import DemoTarget
from tui.headless import SCHEMA_PATH, run_check
from tui.rules.result import Status, worst_first

# scenario → (root item: the first red/yellow row of the worst-first checklist, its status, exit code)
ROOTS = {
    "healthy": (None, None, 0),
    "wrong-model": ("api.models", Status.FAIL, 1),
    "wrong-dims": ("probe.dimensions", Status.FAIL, 1),
    "slow": ("probe.latency", Status.WARN, 3),
    "engine-dead": ("vllm.engine", Status.FAIL, 1),
    "starting": ("api.reachable", Status.WARN, 1),  # vllm.startup and vllm.engine undecided when --wait runs out
}


@pytest.mark.parametrize("scenario", list(ROOTS))
async def test_each_fault_has_its_root_item(scenario: str, tmp_path: Path) -> None:
    target = DemoTarget(scenario, tmp_path / "vllm.log").start()
    try:
        cfg = Config(url=target.url, log=target.log_path, model="Qwen3-Embedding-4B", interval=0.5, timeout=5)
        verdict = await run_check(cfg, wait=1.5)
    finally:
        target.stop()
    root_id, root_status, code = ROOTS[scenario]
    bad = [r for r in worst_first(verdict.results) if r.status in (Status.FAIL, Status.WARN)]
    if root_id is None:
        assert not bad, [(r.id, r.summary) for r in bad]
    else:
        assert bad and (bad[0].id, bad[0].status) == (root_id, root_status), [(r.id, r.status) for r in bad]
        assert bad[0].fix and bad[0].evidence
    assert verdict.exit_code == code
    assert verdict.pending == (["vllm.startup", "vllm.engine"] if scenario == "starting" else [])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.parametrize("scenario", list(ROOTS))
def test_check_subprocess_exit_code_and_json(scenario: str, tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "vllm.log"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui",
            "demo",
            "--serve-only",
            "--scenario",
            scenario,
            "--port",
            str(port),
            "--log",
            str(log),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None and "demo target" in server.stdout.readline()
        proc = cli(
            "check",
            "--url",
            f"http://127.0.0.1:{port}",
            "--log",
            str(log),
            "--model",
            "Qwen3-Embedding-4B",
            "--json",
            "--wait",
            "2",
            "--interval",
            "0.5",
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
    code = ROOTS[scenario][2]
    assert proc.returncode == code, proc.stdout[-2000:] + proc.stderr
    report = json.loads(proc.stdout)
    jsonschema.validate(report, json.loads(SCHEMA_PATH.read_text()))
    assert report["exit_code"] == code and report["status"] == {0: "pass", 1: "fail", 3: "warn"}[code]
    assert {c["id"] for c in report["checks"]} >= {"api.reachable", "probe.dimensions", "vllm.engine"}


def test_human_output_and_secret_never_printed(tmp_path: Path) -> None:
    target = DemoTarget("wrong-dims", tmp_path / "vllm.log").start()
    try:
        env = dict(os.environ, MY_KEY="sk-very-secret-123")
        proc = subprocess.run(
            [sys.executable, "-m", "tui", "check", "--url", target.url, "--api-key-env", "MY_KEY", "--wait", "1"],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=False,
        )
    finally:
        target.stop()
    assert proc.returncode == 1
    assert "✖ FAIL  probe.dimensions" in proc.stdout and "fix: " in proc.stdout
    assert "result: FAIL" in proc.stdout and "→ exit 1" in proc.stdout
    assert "sk-very-secret-123" not in proc.stdout + proc.stderr


def test_down_server_fails_fast_and_bad_input_is_exit_2() -> None:
    start = time.monotonic()
    proc = cli("check", "--url", f"http://127.0.0.1:{free_port()}", "--wait", "1", "--json")
    assert proc.returncode == 1 and time.monotonic() - start < 30
    report = json.loads(proc.stdout)
    reach = next(c for c in report["checks"] if c["id"] == "api.reachable")
    assert reach["status"] == "fail" and "refused" in reach["summary"]
    bad = cli("check", "--url", "not a url")
    assert bad.returncode == 2 and bad.stderr.startswith("embedtop: error: ") and bad.stderr.count("\n") == 1
