"""The log parser, lifecycle and failure catalog against the real vLLM 0.32 captures."""

from __future__ import annotations

import pytest

from tests.conftest import fixture
from tui.logs import lifecycle
from tui.logs.catalog import PATTERNS
from tui.logs.lifecycle import LogState
from tui.logs.parse import parse_line


def feed(rel: str) -> LogState:
    state = LogState()
    for i, raw in enumerate(fixture(rel).read_text(errors="replace").splitlines()):
        state.feed(parse_line(raw), float(i))
    return state


def test_parses_every_line_kind_of_a_real_startup() -> None:
    lines = [parse_line(x) for x in fixture("logs/startup.log").read_text().splitlines()]
    kinds = {line.kind for line in lines}
    assert {"vllm", "uvicorn", "access", "other"} <= kinds
    vllm = [x for x in lines if x.kind == "vllm"]
    assert {x.proc for x in vllm} >= {"APIServer", "EngineCore", "Worker"}
    access = [x for x in lines if x.kind == "access"]
    assert access[0].path == "/health" and access[0].status == 200


def test_access_line_fields() -> None:
    line = parse_line('INFO:     127.0.0.1:44588 - "POST /v1/embeddings HTTP/1.1" 500 Internal Server Error')
    assert (line.kind, line.path, line.status, line.level) == ("access", "/v1/embeddings", 500, "INFO")


def test_ansi_nul_and_cr_are_cleaned() -> None:
    line = parse_line("\x1b[1;36m(APIServer pid=1)\x1b[0;0m ERROR 11-24 18:54:33 [x.py:1] boom\x00\r\n")
    assert line.kind == "vllm" and line.level == "ERROR" and line.text.endswith("boom")


def test_old_prefix_without_bracket() -> None:
    line = parse_line("INFO 10-21 09:12:01 api_server.py:528] vLLM API server version 0.6.3.post1")
    assert line.kind == "vllm" and line.level == "INFO"


def test_startup_reaches_ready_without_findings() -> None:
    state = feed("logs/startup.log")
    assert state.phase == lifecycle.READY
    assert not state.findings


def test_sigterm_shutdown_is_not_a_crash() -> None:
    # The real clean shutdown logs an EngineDeadError traceback after "[shutdown] ... triggered".
    text = fixture("logs/shutdown-sigterm-idle.log").read_text()
    assert "EngineDeadError" in text
    state = feed("logs/shutdown-sigterm-idle.log")
    assert not state.findings
    assert state.phase in (lifecycle.SHUTTING_DOWN, lifecycle.EXITED)


def test_worker_sigkill_is_found_with_its_root_cause() -> None:
    state = feed("logs/runB-full-session.log")
    ids = [f.pattern.id for f in state.findings]
    assert "engine.worker_died" in ids and "engine.dead" in ids
    assert state.phase == lifecycle.CRASHED


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("failures/fail-port-in-use.log", "startup.port_in_use"),
        ("failures/fail-model-path-does-not-exist.log", "startup.model_path"),
        ("failures/fail-model-dir-empty.log", "startup.model_path"),
        ("failures/fail-max-model-len-beyond-model-limit.log", "startup.max_model_len"),
        ("failures/fail-default-gpu-memory-utilization-no-kvcache-env.log", "startup.memory_utilization"),
    ],
)
def test_startup_failures_name_their_cause(rel: str, expected: str) -> None:
    state = feed(rel)
    ids = {f.pattern.id for f in state.findings_for("vllm.startup")}
    assert expected in ids


def test_every_catalog_pattern_has_cause_and_fix() -> None:
    for p in PATTERNS:
        assert p.cause and p.fix and p.check in ("vllm.startup", "vllm.engine")


def test_second_start_in_same_file_resets() -> None:
    state = LogState()
    crash = "(EngineCore pid=2) ERROR 11-24 18:57:01 [multiproc_executor.py:315] Worker proc VllmWorker-0 died unexpectedly (exit code: -9), shutting down executor."
    for i, raw in enumerate(
        [
            "(APIServer pid=1) INFO 11-24 18:54:33 [api_utils.py:286] non-default args: {}",
            "INFO:     Application startup complete.",
            crash,
            "(APIServer pid=9) INFO 11-24 19:00:00 [api_utils.py:286] non-default args: {}",
        ]
    ):
        state.feed(parse_line(raw), float(i))
    assert state.phase == lifecycle.STARTING and not state.findings and state.starts == 2
