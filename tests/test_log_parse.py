"""The log parser and event grouping against the real vLLM 0.32 captures and the documented older formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES, fixture
from tui.logs.parse import parse_line, parse_stats
from tui.state.events import EventGrouper, LogEvent

ALL_LOGS = sorted(FIXTURES.glob("*/*.log"))


def events_of(path: Path) -> list[LogEvent]:
    grouper = EventGrouper()
    out = []
    for raw in path.read_text(errors="replace").split("\n"):
        event, new = grouper.feed(parse_line(raw))
        if new:
            out.append(event)
    return out


@pytest.mark.parametrize("path", ALL_LOGS, ids=lambda p: p.name)
def test_every_capture_parses_and_groups(path: Path) -> None:
    raw = path.read_text(errors="replace").split("\n")
    lines = [parse_line(x) for x in raw]
    assert len(lines) == len(raw)
    vllm = [x for x in lines if x.kind == "vllm"]
    for line in vllm:
        assert line.level and line.ts and line.src and ":" in line.src
    # Every line that looks like a vLLM record is parsed as one.
    looks = [x for x in raw if " pid=" in x and "] " in x and x.startswith("(") and " INFO " in x]
    assert len([x for x in vllm if x.level == "INFO"]) >= len(looks)
    events = events_of(path)
    assert sum(len(e.lines) for e in events) == len(lines)


def test_vllm_record_fields() -> None:
    line = parse_line(
        "(APIServer pid=29379) INFO 11-24 18:54:57 [entry.py:140] Starting vLLM server on http://127.0.0.1:8011"
    )
    assert (line.kind, line.proc, line.pid, line.level, line.ts, line.src) == (
        "vllm",
        "APIServer",
        29379,
        "INFO",
        "11-24 18:54:57",
        "entry.py:140",
    )
    assert line.msg == "Starting vLLM server on http://127.0.0.1:8011"


def test_access_line_fields_and_our_marker() -> None:
    line = parse_line('INFO:     127.0.0.1:44588 - "POST /v1/embeddings HTTP/1.1" 500 Internal Server Error')
    assert (line.kind, line.method, line.path, line.status, line.client, line.level) == (
        "access",
        "POST",
        "/v1/embeddings",
        500,
        "127.0.0.1:44588",
        "INFO",
    )
    assert not line.ours
    ours = parse_line('INFO:     127.0.0.1:1 - "POST /v1/embeddings?embedtop=probe HTTP/1.1" 200 OK')
    assert ours.ours and ours.path == "/v1/embeddings?embedtop=probe"


def test_uvicorn_lifecycle_line() -> None:
    line = parse_line("INFO:     Application startup complete.")
    assert (line.kind, line.level, line.msg) == ("uvicorn", "INFO", "Application startup complete.")


@pytest.mark.parametrize(
    ("raw", "level", "msg"),
    [
        # ≤ 0.7: no bracket around file:line (vLLM's logger format up to 0.7)
        ("INFO 10-21 09:12:01 api_server.py:528] vLLM API server version 0.6.3.post1", "INFO", "vLLM API server"),
        # 0.8–0.10.0: brackets, no process prefix
        ("INFO 05-20 10:23:42 [api_server.py:1043] vLLM API server version 0.8.5.post1", "INFO", "vLLM API server"),
        # 0.8–0.11: the prefix is always ANSI-coloured, even in files
        (
            "\x1b[1;36m(EngineCore_DP0 pid=114518)\x1b[0;0m INFO 02-06 16:46:50 [core.py:272] init engine",
            "INFO",
            "init",
        ),
        # 0.12+ ColoredFormatter on a tty
        ("(APIServer pid=1) \x1b[32mINFO\x1b[0m \x1b[2m11-24 18:54:33\x1b[0m [x.py:1] hello", "INFO", "hello"),
        # VLLM_LOGGING_PREFIX="[gpu0] "
        ("[gpu0] (APIServer pid=1) WARNING 11-24 18:54:33 [x.py:1] careful", "WARNING", "careful"),
        # docker logs --timestamps
        ("2026-11-24T18:54:33.123456789Z (APIServer pid=1) ERROR 11-24 18:54:33 [x.py:1] boom", "ERROR", "boom"),
        # journalctl -o short
        ("Nov 24 18:54:33 gpu1 vllm[123]: (APIServer pid=1) INFO 11-24 18:54:33 [x.py:1] hi", "INFO", "hi"),
        # NUL bytes and CRLF
        ("(APIServer pid=1) ERROR 11-24 18:54:33 [x.py:1] boom\x00\r\n", "ERROR", "boom"),
    ],
)
def test_prefix_forms_of_all_versions(raw: str, level: str, msg: str) -> None:
    line = parse_line(raw)
    assert line.kind == "vllm" and line.level == level and line.msg.startswith(msg)
    assert "\x1b" not in line.text and "\x00" not in line.text


def test_prefixed_uvicorn_and_traceback_lines_of_0_8_to_0_30() -> None:
    # 0.8–0.30 wrap stdout/stderr, so uvicorn lines and tracebacks carry the prefix too.
    access = parse_line('(APIServer pid=7) INFO:     127.0.0.1:5 - "GET /health HTTP/1.1" 200 OK')
    assert access.kind == "access" and access.proc == "APIServer" and access.status == 200
    tb = parse_line("(APIServer pid=7) Traceback (most recent call last):")
    assert tb.kind == "other" and tb.pid == 7 and tb.msg == "Traceback (most recent call last):"


def test_stats_lines_v0_v1_and_real_032() -> None:
    real = [x for x in fixture("logs/load.log").read_text().splitlines() if "Avg prompt throughput" in x]
    assert real
    stats = parse_stats(parse_line(real[0]).msg)
    assert stats is not None and stats.running >= 0 and stats.kv_pct is not None
    v1 = parse_stats(
        "Engine 000: Avg prompt throughput: 725.0 tokens/s, Avg generation throughput: 0.0 tokens/s, "
        "Running: 3 reqs, Waiting: 7 reqs, GPU KV cache usage: 12.5%, Prefix cache hit rate: 40.0%"
    )
    assert v1 is not None and (v1.prompt_tps, v1.running, v1.waiting, v1.kv_pct, v1.prefix_hit_pct) == (
        725.0,
        3,
        7,
        12.5,
        40.0,
    )
    v0 = parse_stats(
        "Avg prompt throughput: 10.0 tokens/s, Avg generation throughput: 0.0 tokens/s, Running: 1 reqs, "
        "Swapped: 0 reqs, Pending: 2 reqs, GPU KV cache usage: 0.5%, CPU KV cache usage: 0.0%."
    )
    assert v0 is not None and (v0.running, v0.waiting, v0.kv_pct) == (1, 2, 0.5)
    assert parse_stats("Avg prompt throughput: garbage") is None


def test_prefixed_traceback_is_one_event_rooted_at_the_specific_error() -> None:
    events = events_of(fixture("failures/fail-default-gpu-memory-utilization-no-kvcache-env.log"))
    tracebacks = [e for e in events if e.kind == "traceback"]
    worker = next(e for e in tracebacks if e.first.proc == "VllmWorker-0")
    assert worker.first.msg == "WorkerProc failed to start."
    assert len(worker.lines) == 19
    assert "Available memory on node 0" in worker.root_line.text  # not the generic first line
    # The unprefixed traceback at the end ends in the generic 'Engine core initialization failed'.
    last = tracebacks[-1]
    assert last.first.proc is None and any("Engine core initialization failed" in x.text for x in last.lines)


def test_bare_traceback_root_is_its_exception_line() -> None:
    events = events_of(fixture("failures/fail-port-in-use.log"))
    tb = next(e for e in events if e.kind == "traceback")
    assert tb.root_line.text == "OSError: [Errno 98] Address already in use"
    events = events_of(fixture("failures/fail-max-model-len-beyond-model-limit.log"))
    tb = next(e for e in events if e.kind == "traceback")
    assert "User-specified max_model_len (100000)" in tb.root_line.text  # the pydantic "Value error" line


def test_logo_banner_is_one_record() -> None:
    events = events_of(fixture("logs/startup.log"))
    banner = next(e for e in events if any("█" in x.text for x in e.lines))
    assert banner.kind == "record" and len(banner.lines) == 6


def test_events_fold_a_real_log_to_far_fewer_rows() -> None:
    path = fixture("failures/fail-default-gpu-memory-utilization-no-kvcache-env.log")
    lines = len(path.read_text().split("\n"))
    folded = sum(1 if e.kind == "traceback" else len(e.lines) for e in events_of(path))
    assert folded < lines / 2
