"""Shared test helpers: paths to the real captures, raw HTTP response parsing, a demo target fixture; the
`real` marker (tests that run a real vLLM / Open WebUI) and EMBEDTOP_SKIP_REAL."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.loopback import serve  # noqa: F401  (a fixture for every test module)
from tui.collectors.http_util import Answer
from tui.demo.target import DemoTarget

ROOT = Path(__file__).resolve().parents[1]
# Every process this test run starts inherits this mark, so a check for leftovers counts only our own
# (another run of the suite on the same machine has its own vLLMs).
SESSION_MARK = "EMBEDTOP_TEST_SESSION"
os.environ.setdefault(SESSION_MARK, str(os.getpid()))
CAPTURES = ROOT / "tests" / "captures"  # every capture the tests read lives here (see its README)
FIXTURES = CAPTURES / "vllm-0.32-cpu"  # the real vLLM 0.32 captures

# The only way to leave the real-server tests out (they install what they need on first use otherwise).
SKIP_REAL = os.environ.get("EMBEDTOP_SKIP_REAL") == "1"
SKIP_REAL_REASON = "EMBEDTOP_SKIP_REAL=1: real vLLM / Open WebUI test left out"
# Narrower, kept from before: leaves out only the Open WebUI end-to-end test.
SKIP_OWUI = os.environ.get("EMBEDTOP_SKIP_OWUI_E2E") == "1"
SKIP_OWUI_REASON = "EMBEDTOP_SKIP_OWUI_E2E=1: real Open WebUI test left out"


def capture(rel: str, folder: Path = FIXTURES) -> Path:
    """A capture under tests/captures; a missing one fails the test (never a skip)."""
    path = folder / rel
    if not path.exists():
        pytest.fail(f"capture {path.relative_to(ROOT)} is missing (tests/captures/ holds every capture)", pytrace=False)
    return path


def fixture(rel: str) -> Path:
    """A capture under tests/captures/vllm-0.32-cpu (the older name, used by several modules)."""
    return capture(rel)


def raw_response(rel: str) -> tuple[int, dict[str, str], bytes]:
    """Parse a captured `NN-*.response` file: status, headers (lower-case), body."""
    data = fixture(rel).read_bytes()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().splitlines()
    status = int(lines[0].split()[1])
    headers = {}
    for line in filter(None, lines[1:]):
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return status, headers, body


def captured_answer(rel: str) -> Answer:
    status, headers, body = raw_response(rel)
    return Answer(status=status, content_type=headers.get("content-type", ""), body=body, latency_s=0.01)


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Times on screen are local time: pin the zone so snapshots are stable."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    time.tzset()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoTarget]:
    target = DemoTarget("healthy", tmp_path / "vllm.log", stats_interval=0.5).start()
    try:
        yield target
    finally:
        target.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("real") is None:
            continue
        if SKIP_REAL:
            item.add_marker(pytest.mark.skip(reason=SKIP_REAL_REASON))
        elif SKIP_OWUI and item.get_closest_marker("openwebui") is not None:
            item.add_marker(pytest.mark.skip(reason=SKIP_OWUI_REASON))


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Say how many real-server tests were left out, and why."""
    counts = {SKIP_REAL_REASON: 0, SKIP_OWUI_REASON: 0}
    for report in terminalreporter.stats.get("skipped", []):
        text = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        for reason in counts:
            counts[reason] += reason in text
    markexpr = config.option.markexpr or ""
    deselected = 0
    if "real" in markexpr:  # -m "not real": the fast lane
        deselected = sum(1 for x in terminalreporter.stats.get("deselected", []) if x.get_closest_marker("real"))
        deselected = deselected or -1  # under pytest-xdist (-n) the workers deselect: no count reaches here
    lines = [
        f"{n} skipped because {reason.split(': ')[0]} (unset it to run them; they install into ~/.cache/embedtop)"
        for reason, n in counts.items()
        if n
    ]
    if deselected:
        n = "the" if deselected < 0 else str(deselected)
        lines.append(f"-m {markexpr!r}: {n} real vLLM / Open WebUI tests (marked `real`) deselected")
    if lines:
        terminalreporter.write_sep("=", "real servers not run")
        for line in lines:
            terminalreporter.write_line(line)
