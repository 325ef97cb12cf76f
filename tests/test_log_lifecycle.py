"""Lifecycle, findings and root causes for every real capture (failures/INDEX.tsv says what each one is)."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, fixture
from tui.logs.parse import parse_line
from tui.state import lifecycle
from tui.state.lifecycle import LogState, log_time

NOW = datetime(2026, 11, 28, 12, 0, 0).timestamp()  # the captures are from 11-24


def feed(rel: str | Path) -> LogState:
    path = rel if isinstance(rel, Path) else fixture(rel)
    state = LogState(now=NOW)
    for raw in path.read_text(errors="replace").split("\n"):
        state.feed(parse_line(raw))
    return state


def index() -> dict[str, str]:
    rows = {}
    for row in fixture("failures/INDEX.tsv").read_text().splitlines():
        name, rc = row.split("\t")[:2]
        rows[name] = rc
    return rows


# What each failure capture is (INDEX.tsv args) → the root cause we must name.
EXPECTED_ROOT = {
    "fail-model-path-does-not-exist": "startup.model_path",
    "fail-model-dir-empty": "startup.model_path",
    "fail-port-in-use": "startup.port_in_use",
    "fail-max-model-len-beyond-model-limit": "startup.max_model_len",
    "fail-default-gpu-memory-utilization-no-kvcache-env": "startup.memory_utilization",
    "fail-default-gpu-memory-utilization-via-python-m-api_server": "startup.memory_utilization",
}


FAILURE_LOGS = sorted(p.stem for p in (FIXTURES / "failures").glob("*.log"))


@pytest.mark.parametrize("name", FAILURE_LOGS)
def test_failure_captures_name_their_root_cause(name: str) -> None:
    # INDEX.tsv gives rc=1 for the failures; the python -m api_server variant is not in it, its name says it.
    rc = index().get(name, "rc=1")
    state = feed(f"failures/{name}.log")
    if rc == "rc=1":
        root = state.root_cause("vllm.startup")
        assert root is not None and root.id == EXPECTED_ROOT[name]
        assert not getattr(root.pattern, "generic", False)
        assert state.phase == lifecycle.CRASHED and state.ready_at is None
    else:  # "not-a-failure…": started fine, then stopped by `timeout` with SIGTERM
        assert not state.findings
        assert state.ready_at is not None and state.phase == lifecycle.SHUTTING_DOWN


def test_the_index_covers_every_failure_capture() -> None:
    names = set(FAILURE_LOGS)
    assert set(index()) <= names
    failed = {n for n in names if not n.startswith("not-a-failure")}
    assert failed == set(EXPECTED_ROOT)


HEALTHY = [
    *sorted((FIXTURES / "logs").glob("*.log")),
    *sorted((FIXTURES / "qwen3-tiny").glob("*.log")),
    *sorted((FIXTURES / "kill-tests").glob("sigterm-*.log")),
    FIXTURES / "kill-tests" / "sigkill-apiserver-full-session.log",
    FIXTURES / "kill-tests" / "sigkill-apiserver-then-sigterm-orphan-enginecore.log",
]


@pytest.mark.parametrize("path", HEALTHY, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_healthy_and_clean_shutdown_logs_have_no_server_failure(path: Path) -> None:
    state = feed(path)
    if path.name == "runB-full-session.log":  # its worker was killed with -9 on purpose
        assert state.root_cause().id == "engine.worker_died"
        return
    assert state.root_cause() is None, [f.line for f in state.findings]
    assert state.phase != lifecycle.CRASHED


@pytest.mark.parametrize(
    ("rel", "root"),
    [
        ("kill-tests/sigkill-enginecore-full-session.log", "engine.core_died"),
        ("kill-tests/sigkill-enginecore.log", "engine.core_died"),
        ("logs/runB-full-session.log", "engine.worker_died"),
    ],
)
def test_engine_deaths_after_ready_go_to_the_engine_check(rel: str, root: str) -> None:
    state = feed(rel)
    found = state.root_cause("vllm.engine")
    assert found is not None and found.id == root
    assert state.phase == lifecycle.CRASHED
    assert not state.findings_for("vllm.startup")
    ids = [f.id for f in state.findings_for("vllm.engine")]
    assert "engine.dead" in ids  # the generic consequence is kept, but is not the root


def test_phase_times_come_from_log_timestamps() -> None:
    state = feed("logs/startup.log")
    assert state.phase == lifecycle.READY
    phases = state.phase_durations()
    # Banner 18:54:33 → load 18:54:47 → warm-up 18:54:48 → "Starting vLLM server" 18:54:57.
    assert [(p, s) for p, _, s in phases] == [
        (lifecycle.STARTING, 14.0),
        (lifecycle.LOADING, 1.0),
        (lifecycle.WARMING, 9.0),
        (lifecycle.READY, None),
    ]
    assert time.strftime("%H:%M:%S", time.localtime(state.ready_at)) == "18:54:57"
    facts = state.run.facts
    assert facts["version"] == "0.32.0" and facts["weights_s"] == "0.05" and facts["init_engine_s"] == "8.26"
    assert facts["tasks"] == "['embed', 'token_embed']" and facts["max_model_len"] == "256"


def test_serving_after_the_first_client_request_not_ours() -> None:
    state = LogState(now=NOW)
    for raw in [
        "(APIServer pid=1) INFO 11-24 18:54:33 [api_utils.py:286] non-default args: {}",
        "INFO:     Application startup complete.",
        'INFO:     127.0.0.1:1 - "POST /v1/embeddings?embedtop=probe HTTP/1.1" 200 OK',
    ]:
        state.feed(parse_line(raw))
    assert state.phase == lifecycle.READY and state.requests_total == 0
    state.feed(parse_line('INFO:     10.0.0.5:9 - "POST /v1/embeddings HTTP/1.1" 200 OK'))
    assert state.phase == lifecycle.SERVING and state.requests_total == 1


def test_second_start_in_same_file_resets() -> None:
    state = LogState(now=NOW)
    crash = (
        "(EngineCore pid=2) ERROR 11-24 18:57:01 [multiproc_executor.py:315] Worker proc VllmWorker-0 "
        "died unexpectedly (exit code: -9), shutting down executor."
    )
    for raw in [
        "(APIServer pid=1) INFO 11-24 18:54:33 [api_utils.py:286] non-default args: {}",
        "INFO:     Application startup complete.",
        crash,
        "(APIServer pid=9) INFO 11-24 19:00:00 [api_utils.py:286] non-default args: {}",
    ]:
        state.feed(parse_line(raw))
    assert state.phase == lifecycle.STARTING and not state.findings and state.starts == 2


def test_sigterm_shutdown_traceback_is_not_a_crash() -> None:
    text = fixture("logs/shutdown-sigterm-idle.log").read_text()
    assert "EngineDeadError" in text
    state = feed("logs/shutdown-sigterm-idle.log")
    assert not state.findings and state.phase in (lifecycle.SHUTTING_DOWN, lifecycle.EXITED)


def test_5xx_during_shutdown_are_not_a_request_failure() -> None:
    # run2 aborted in-flight requests with 500 after "shutdown triggered".
    assert '" 500 Internal' in fixture("kill-tests/sigterm-under-load-run2-full-session.log").read_text()
    state = feed("kill-tests/sigterm-under-load-run2-full-session.log")
    assert not state.findings_for("vllm.requests")


def test_request_bursts_from_access_lines() -> None:
    state = feed("logs/runB-full-session.log")
    ids = {f.id: f.count for f in state.findings_for("vllm.requests")}
    assert ids["request.bad_request"] == 12 and ids["request.not_found"] == 3
    # the 404 on /v1/embeddings itself is a model name the server does not serve: client.model_name's
    (wrong_model,) = state.findings_for("client.model_name")
    assert wrong_model.id == "request.model_not_found" and '"POST /v1/embeddings HTTP/1.1" 404' in wrong_model.line


def test_401_without_api_key() -> None:
    state = LogState(now=NOW)
    state.feed(parse_line('INFO:     172.17.0.3:4000 - "POST /v1/embeddings HTTP/1.1" 401 Unauthorized'))
    (finding,) = state.findings_for("api.auth")
    assert finding.id == "request.unauthorized" and "api-key" in finding.pattern.fix.lower()


def test_generic_only_failure_cites_the_first_exception() -> None:
    state = LogState(now=NOW)
    for raw in [
        "(APIServer pid=1) INFO 11-24 18:54:33 [api_utils.py:286] non-default args: {}",
        "(EngineCore pid=2) ERROR 11-24 18:54:40 [core.py:1510] EngineCore failed to start.",
        "(EngineCore pid=2) ERROR 11-24 18:54:40 [core.py:1510] Traceback (most recent call last):",
        "(EngineCore pid=2) ERROR 11-24 18:54:40 [core.py:1510] ZeroDivisionError: something new",
    ]:
        state.feed(parse_line(raw))
    root = state.root_cause("vllm.startup")
    # the catalog's generic entry fired, but the traceback's innermost exception is the root
    assert root is not None and root.structural and "ZeroDivisionError: something new" in root.line
    assert [f.id for f in state.findings if f.pattern.generic] == ["startup.engine_init"]
    assert state.run.first_error is not None and "ZeroDivisionError" in state.run.first_error[0]


def test_supported_tasks_without_embed_means_a_generate_model() -> None:
    state = LogState(now=NOW)
    state.feed(parse_line("(APIServer pid=1) INFO 11-24 18:54:56 [entry.py:136] Supported tasks: ['generate']"))
    assert [f.id for f in state.findings] == ["startup.not_embedding"]
    state = feed("logs/startup.log")  # ['embed', 'token_embed']: fine
    assert not state.findings


def test_log_time_infers_the_year() -> None:
    ref = datetime(2026, 1, 2, 0, 0).timestamp()
    assert datetime.fromtimestamp(log_time("12-31 23:59:00", ref)).year == 2025
    assert datetime.fromtimestamp(log_time("01-01 10:00:00", ref)).year == 2026
    assert log_time("13-45 99:99:99", ref) == ref  # garbage: no crash


def test_the_fast_gate_never_hides_a_milestone_or_fact() -> None:
    from tui.state.phases import FACTS, MILESTONES, MSG_START_RE

    regexes = [r for _, r in MILESTONES] + [r for _, r in FACTS]
    seen = 0
    for path in sorted(FIXTURES.glob("*/*.log")):
        for raw in path.read_text(errors="replace").splitlines():
            line = parse_line(raw)
            if line.kind in ("vllm", "uvicorn") and any(r.search(line.msg) for r in regexes):
                seen += 1
                assert MSG_START_RE.match(line.msg), raw
    # And the older releases' forms (their logger's texts), which no 0.32 capture holds.
    for msg in (
        "vLLM API server version 0.6.3.post1",
        "Loading model weights took 7.5 GB",
        "# GPU blocks: 2000, # CPU blocks: 512",
        "GPU KV cache size: 141,024 tokens",
        "Maximum concurrency for 40,960 tokens per request: 3.44x",
        "Starting vLLM API server on http://0.0.0.0:8000",
        "Memory profiling takes 5.12 seconds",
        "vLLM server version 0.33.0, serving model Qwen/Qwen3-Embedding-4B",
        "Uvicorn running on socket ('0.0.0.0', 8000) (Press CTRL+C to quit)",
        "Shutting down FastAPI HTTP server.",
    ):
        assert any(r.search(msg) for r in regexes) and MSG_START_RE.match(msg), msg
    assert seen > 150
    # INFO-level catalog entries are only tried on lines the gate lets through.
    from tui.logs import catalog

    for pattern in catalog.PATTERNS:
        if pattern.levels == "info":
            for example in pattern.examples:
                assert MSG_START_RE.match(parse_line(example).msg), (pattern.id, example)


def test_a_tail_that_starts_mid_run_is_running_not_not_started() -> None:
    # load.log begins with access lines of a server already up (as a 64 KB tail of a long log does).
    state = feed("logs/load.log")
    assert state.phase in (lifecycle.RUNNING, lifecycle.SERVING) and state.ready_at is None
    assert state.phase_durations()[0][0] == lifecycle.RUNNING
    assert not state.findings_for("vllm.startup")
