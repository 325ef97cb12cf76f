"""vLLM's JSON log format (`--logging-config.formatter json`, 0.3x) against REAL captures of vLLM 0.32
(tests/captures/vllm-0.32-json, made with tools/real-vllm/start.sh … -- --logging-config.formatter
json): a healthy start, requests, then `kill -9` of the worker; and a second server on a taken port.
Each record is read as the lines the text format would print, so the lifecycle, the access log, the
event grouping and the catalog work unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from tui.collectors.logtail import LogTail
from tui.diagnose import diagnose
from tui.logs.parse import parse_json_record, parse_line
from tui.logs.split import LineSplitter
from tui.state import lifecycle
from tui.state.events import EventGrouper
from tui.state.lifecycle import LogState

CAPTURES = Path(__file__).parent / "captures" / "vllm-0.32-json"
KILL = CAPTURES / "worker-kill.log"
PORT = CAPTURES / "port-in-use.log"


def lines_of(path: Path) -> list:
    splitter = LineSplitter()
    return splitter.feed(path.read_bytes()) + splitter.flush()


def test_every_json_record_is_read_as_text_lines() -> None:
    raw = KILL.read_text().splitlines()
    records = [json.loads(x) for x in raw if x.startswith("{")]
    assert len(records) > 100
    for text, record in zip((x for x in raw if x.startswith("{")), records, strict=True):
        lines = parse_json_record(text)
        assert lines is not None and lines[0].level == record["levelname"]
        extra = record.get("exc_info", "").count("\n") + 1 if record.get("exc_info") else 0
        assert len(lines) == 1 + record["message"].count("\n") + extra
    # Not JSON records: plain text, a JSON value that is no record, a broken record.
    assert parse_json_record("INFO:     Application startup complete.") is None
    assert parse_json_record('{"a": 1}') is None and parse_json_record("[1, 2]") is None
    assert parse_json_record('{"levelname": "INFO", "message": "x"') is None


def test_prefix_pid_time_and_access_lines() -> None:
    lines = lines_of(KILL)
    start = next(x for x in lines if "Starting vLLM server on" in x.msg)
    assert (start.kind, start.proc, start.pid, start.ts, start.level) == (
        "vllm",
        "APIServer",
        494,
        "11-28 10:20:03",
        "INFO",
    )
    assert start.text.startswith(
        "(APIServer pid=494) INFO 11-28 10:20:03 [vllm.entrypoints.launchers.api_server.entry] "
    )
    worker = next(x for x in lines if x.proc == "Worker")
    assert worker.pid == 614
    access = [x for x in lines if x.kind == "access"]
    assert [(x.method, x.path, x.status) for x in access] == [
        ("GET", "/health", 200),
        ("POST", "/v1/embeddings", 200),
        ("POST", "/v1/embeddings?embedtop=probe", 404),
        ("GET", "/health", 200),
        ("POST", "/v1/embeddings", 500),
    ]
    assert [x.ours for x in access] == [False, False, True, False, False]
    uvicorn = [x.msg for x in lines if x.kind == "uvicorn"]
    assert "Application startup complete." in uvicorn and "Finished server process [494]" in uvicorn
    # The same line as the text format would print it parses the same way.
    assert parse_line(access[2].text).path == "/v1/embeddings?embedtop=probe"


def test_lifecycle_facts_and_the_kill_from_a_json_log() -> None:
    state = LogState(now=1_795_900_000.0)
    for line in lines_of(KILL):
        state.feed(line)
    run = state.run
    assert state.phase == lifecycle.CRASHED
    assert run.facts["version"] == "0.32.0" and run.facts["max_model_len"] == "256"
    assert run.facts["listen"] == "http://127.0.0.1:8123"
    assert {560, 614, 494} <= set(state.pids)  # the log names the engine and worker processes
    report = diagnose(KILL)
    assert (
        not report.healthy
        and report.state.root_cause() is not None
        and report.state.root_cause().pattern.id == "engine.worker_died"
    )
    root = report.state.root_cause()
    assert "exit code: None" in root.line and "`None` means" in root.pattern.cause


def test_the_traceback_in_exc_info_is_one_event_with_its_root() -> None:
    grouper, events = EventGrouper(), []
    for line in lines_of(KILL):
        event, new = grouper.feed(line)
        if new:
            events.append(event)
    fatal = next(e for e in events if e.first.msg == "EngineCore encountered a fatal error.")
    assert fatal.kind == "traceback" and len(fatal.lines) > 5
    assert fatal.lines[-1].msg == "RuntimeError: Executor failed." and fatal.root_line.msg.startswith("RuntimeError")
    assert all(x.proc == "EngineCore" and x.pid == 560 for x in fatal.lines)


def test_port_in_use_from_a_json_log() -> None:
    report = diagnose(PORT)
    root = report.state.root_cause()
    assert root is not None and root.pattern.id == "startup.port_in_use"
    assert "[Errno 98]" in root.line


def test_a_json_log_is_followed_like_any_other(tmp_path: Path) -> None:
    """The file tail reads a JSON log that grows, record by record."""
    log = tmp_path / "vllm.log"
    data = KILL.read_bytes()
    cut = data.index(b"\n", len(data) // 2) + 1
    log.write_bytes(b"")
    tail = LogTail(log)
    try:
        tail.read()
        log.write_bytes(data[:cut])
        first = tail.read()
        with log.open("ab") as fh:
            fh.write(data[cut:])
        second = tail.read()
    finally:
        tail.close()
    assert [x.text for x in first.lines + second.lines] == [x.text for x in lines_of(KILL)]
