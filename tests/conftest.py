"""Shared test helpers: paths to the real captures, raw HTTP response parsing, a demo target fixture."""

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
SHARED = Path(os.environ.get("EMBEDTOP_SHARED", ROOT.parent / "shared"))
FIXTURES = SHARED / "fixtures" / "vllm-0.32-cpu"


def fixture(rel: str) -> Path:
    path = FIXTURES / rel
    if not path.exists():
        pytest.skip(f"shared fixture {path} not present")
    return path


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
