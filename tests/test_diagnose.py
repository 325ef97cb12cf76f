"""`embedtop diagnose` on the real captures, run as a user runs it (a subprocess), plus fuzzing of the
whole log path: random bytes and mutated real lines never raise."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES, fixture
from tui.logs.split import LineSplitter
from tui.state.events import EventGrouper
from tui.state.lifecycle import LogState

REAL_LINES = [
    x for p in sorted(FIXTURES.glob("*/*.log")) for x in p.read_text(errors="replace").splitlines() if x.strip()
][::7]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", "diagnose", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_failure_log_exits_1_with_cause_fix_and_cited_line() -> None:
    proc = run("--log", str(fixture("failures/fail-port-in-use.log")))
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert "verdict: FAILED" in out and "[startup.port_in_use]" in out
    assert "OSError: [Errno 98] Address already in use" in out
    assert "fix:   Find the holder with `ss -ltnp" in out
    assert "Traceback" not in proc.stderr


def test_healthy_log_exits_0() -> None:
    proc = run("--log", str(fixture("logs/startup.log")))
    assert proc.returncode == 0 and "verdict: healthy" in proc.stdout
    assert "starting 14 s → loading 1 s → warming-up 9 s → ready" in proc.stdout


def test_json_report() -> None:
    proc = run("--log", str(fixture("failures/fail-default-gpu-memory-utilization-no-kvcache-env.log")), "--json")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["healthy"] is False
    assert report["root_cause"]["id"] == "startup.memory_utilization"
    assert report["root_cause"]["line_number"] == 52
    assert "Available memory on node 0" in report["root_cause"]["line"]
    assert report["lifecycle"]["phase"] == "crashed"
    assert {f["id"] for f in report["findings"]} == {"startup.memory_utilization", "startup.engine_init"}


def test_engine_death_json() -> None:
    proc = run("--log", str(fixture("kill-tests/sigkill-enginecore-full-session.log")), "--json")
    report = json.loads(proc.stdout)
    assert proc.returncode == 1 and report["root_cause"]["id"] == "engine.core_died"
    assert report["root_cause"]["check"] == "vllm.engine"


def test_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    for args in (["--log", str(tmp_path / "missing.log")], ["--log", str(tmp_path)], []):
        proc = run(*args)
        assert proc.returncode == 2
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("embedtop: error: ")


def _feed_all(data: bytes) -> None:
    split = LineSplitter()
    state, grouper = LogState(now=1.8e9), EventGrouper()
    for line in split.feed(data) + split.flush():
        state.feed(line)
        event, _ = grouper.feed(line)
        assert event.root_line is not None
    state.root_cause()
    state.phase_durations()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4096))
def test_random_bytes_never_raise(data: bytes) -> None:
    _feed_all(data)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(REAL_LINES), min_size=1, max_size=30),
    st.integers(min_value=0, max_value=200),
    st.binary(max_size=8),
    st.sampled_from([b"\n", b"\r\n", b"\r", b"\x00", b""]),
)
def test_mutated_real_lines_never_raise(lines: list[str], cut: int, junk: bytes, sep: bytes) -> None:
    data = sep.join(x.encode()[:cut] + junk + x.encode()[cut:] for x in lines)
    _feed_all(data)
