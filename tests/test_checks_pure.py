"""The checks are pure and declared once: each judged once per round, time only from `now` (a store judged at
its own time gives the same verdict a day later), no clock or OS call in tui/rules, no check id written
outside its declaration, the kinds of errors and not their words, "pending" said by the check itself."""

from __future__ import annotations

import ast
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CAPTURES, capture
from tui.collectors.procs import HostCollector
from tui.config import Config
from tui.logs import catalog as log_catalog
from tui.logs import owui as owui_catalog
from tui.logs.parse import parse_line
from tui.rules.checks import BY_CHECK_ID, SPECS, evaluate
from tui.rules.checks.spec import REGISTRY
from tui.rules.result import Status, group_of
from tui.samples import (
    ErrorKind,
    GpuDevice,
    GpuProcess,
    GpuSample,
    HostSample,
    HttpResult,
    LogBatch,
    ModelInfo,
    ProbeSample,
    ServerSample,
)
from tui.state.store import Store

TUI = Path(__file__).resolve().parents[1] / "tui"
URL = "http://127.0.0.1:8011"
CFG = Config(url=URL, log=Path("/var/log/vllm.log"), model="Qwen3-Embedding-4B")
DAY = 86_400.0


def judge(store: Store, now: float, cfg: Config = CFG) -> dict:
    return {r.id: r for r in evaluate(store, cfg, now)}


# ---------------------------------------------------------------- once per round


@pytest.fixture
def calls() -> Iterator[dict[str, int]]:
    """Count every check function's calls (the specs are frozen: their `fn` is swapped for the test)."""
    counts = dict.fromkeys(BY_CHECK_ID, 0)
    originals = {spec.id: spec.fn for spec in SPECS}

    def counting(spec_id: str):
        fn = originals[spec_id]

        def wrapper(c):
            counts[spec_id] += 1
            return fn(c)

        return wrapper

    for spec in SPECS:
        object.__setattr__(spec, "fn", counting(spec.id))
    try:
        yield counts
    finally:
        for spec in SPECS:
            object.__setattr__(spec, "fn", originals[spec.id])


def test_every_check_is_judged_once_per_evaluation(calls: dict[str, int]) -> None:
    store = Store()
    store.apply(ServerSample(10.0, URL, HttpResult(200), version="0.32.0", models=(ModelInfo("Qwen3-Embedding-4B"),)))
    store.apply(ProbeSample(10.0, "Qwen3-Embedding-4B", 200, 0.04, dims=2560, norm=1.0, finite=True, all_zero=False))
    results = evaluate(store, CFG, 10.0)
    assert [r.id for r in results] == [spec.id for spec in SPECS]
    assert calls == dict.fromkeys(BY_CHECK_ID, 1)  # probe.status too: its dependents read this round's verdict
    assert {r.id: r.status for r in results}["probe.dimensions"] == Status.PASS
    evaluate(Store(), CFG, 10.0)  # blocked everywhere: still once each
    assert calls == dict.fromkeys(BY_CHECK_ID, 2)


# ---------------------------------------------------------------- time only from `now`

OWUI = CAPTURES / "openwebui-real-vllm"


def _replayed(phase: str, start: float) -> tuple[Store, float]:
    """A phase of the real Open WebUI → vLLM capture read from `start` on (~19 access lines a second)."""
    store = Store()
    store.apply(ServerSample(start - 1, URL, HttpResult(200), models=(ModelInfo("Qwen3-Embedding-4B"),)))
    lines = [
        parse_line(x) for x in capture(f"{phase}/vllm.log", OWUI).read_text().splitlines() if not x.startswith("#")
    ]
    t = start
    for i in range(0, len(lines), 19):
        store.apply(LogBatch(t, "vllm.log", tuple(lines[i : i + 19])))
        t += 1.0
    return store, t


@pytest.mark.parametrize(
    ("phase", "check", "status"),
    [("fail_no_v1", "client.base_url", Status.FAIL), ("fail_too_long", "ingest.errors", Status.FAIL)],
)
def test_a_store_judged_at_its_own_time_is_the_same_a_day_later(
    phase: str, check: str, status: Status, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The live/replay bug: these samples, judged at their own time, once turned FAIL → PASS (client.base_url)
    and fail → n/a (ingest.errors) when the wall clock had moved on a day."""
    store, end = _replayed(phase, time.time() - DAY)
    today = judge(store, end)
    assert today[check].status == status, today[check].summary
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + DAY)  # the same recording, replayed a day later
    later = judge(store, end)
    assert [(r.id, r.status, r.summary, r.evidence, r.fix) for r in later.values()] == [
        (r.id, r.status, r.summary, r.evidence, r.fix) for r in today.values()
    ]
    # `now` is what moves the verdict: a day after the samples, the burst is over.
    assert judge(store, end + DAY)[check].summary != today[check].summary


def test_the_shown_checklist_holds_and_stales_on_the_time_it_is_given() -> None:
    from tui.rules.shown import ShownChecklist

    cfg = Config(url=URL, model="Qwen3-Embedding-4B", dims=2560, fail_after=2, pass_after=2)
    store, cl = Store(), ShownChecklist(cfg)
    t0 = time.time() - DAY
    store.apply(ServerSample(t0, URL, HttpResult(200), models=(ModelInfo("Qwen3-Embedding-4B"),)))
    store.apply(ProbeSample(t0, "Qwen3-Embedding-4B", 200, 0.04, dims=2560, norm=1.0, finite=True, all_zero=False))
    cl.update(store, t0)
    store.apply(ProbeSample(t0 + 1, "Qwen3-Embedding-4B", 200, 0.04, dims=1024, norm=1.0, finite=True, all_zero=False))
    held = next(r for r in cl.update(store, t0 + 1) if r.id == "probe.dimensions")
    assert held.status == Status.PASS and held.evidence[-1].startswith(
        time.strftime("%H:%M:%S", time.localtime(t0 + 1))
    )
    assert all(r.status != Status.STALE for r in cl.update(store, t0 + 2))  # a day old, but judged at its time


# ---------------------------------------------------------------- no clock, no OS, no id literals


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def test_rules_never_read_the_clock_or_ask_the_os() -> None:
    banned = {("time", "time"), ("time", "monotonic"), ("os", "kill")}
    found = []
    for path in sorted((TUI / "rules").rglob("*.py")):
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if (node.value.id, node.attr) in banned:
                    found.append(f"{path.relative_to(TUI)}:{node.lineno} {node.value.id}.{node.attr}")
            elif isinstance(node, ast.ImportFrom) and node.module in ("time", "os"):
                found += [
                    f"{path.relative_to(TUI)}:{node.lineno} from {node.module} import {a.name}"
                    for a in node.names
                    if (node.module, a.name) in banned
                ]
    assert not found


def _declarations(tree: ast.Module) -> set[int]:
    """The id nodes of `@check("id", …)` decorators: the one place an id may be written."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                if isinstance(dec, ast.Call) and getattr(dec.func, "id", None) == "check" and dec.args:
                    ids.add(id(dec.args[0]))
    return ids


def test_no_check_id_is_written_outside_its_declaration() -> None:
    registered = set(REGISTRY)
    declared: dict[str, int] = {}
    strays = []
    for path in sorted(TUI.rglob("*.py")):
        tree = _tree(path)
        allowed = _declarations(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in registered:
                if id(node) in allowed:
                    declared[node.value] = declared.get(node.value, 0) + 1
                else:
                    strays.append(f"{path.relative_to(TUI)}:{node.lineno} {node.value!r}")
    assert not strays
    assert declared == dict.fromkeys(registered, 1)  # each declared exactly once


def test_the_catalogs_name_only_declared_checks() -> None:
    named = {p.check for p in log_catalog.PATTERNS if p.check} | {r.check for r in log_catalog.ACCESS_RULES}
    named |= set(log_catalog.STAGE_CHECKS.values()) | set(owui_catalog.CHECKS)
    assert named <= set(REGISTRY), named - set(REGISTRY)


def test_each_log_pattern_states_its_stage() -> None:
    for p in log_catalog.PATTERNS:
        assert p.stage in ("startup", "engine", "server", "request") and p.id.startswith(p.stage + "."), p.id


# ---------------------------------------------------------------- one declaration: group, title, order


def test_group_and_title_come_from_the_declaration() -> None:
    for spec in SPECS:
        assert spec.group == group_of(spec.id) == spec.id.split(".", 1)[0] and spec.title
    assert BY_CHECK_ID["vllm.requests"].group == "vllm"  # was "client" in the JSON, "vllm" in the UI
    results = evaluate(Store(), CFG, 0.0)
    assert all(r.title == BY_CHECK_ID[r.id].title and r.group == BY_CHECK_ID[r.id].group for r in results)


# ---------------------------------------------------------------- pending, said by the check

OLD_PENDING = ("waiting", "still starting", "not run yet", "no probe yet", "the engine has not started")


def test_pending_is_set_by_the_check_where_the_old_prefixes_said_so() -> None:
    stores = []
    empty = Store()
    stores.append((empty, CFG))
    down = Store()
    down.apply(ServerSample(5.0, URL, HttpResult(None, error="connection refused", error_kind=ErrorKind.REFUSED)))
    stores.append((down, Config(url=URL)))
    up = Store()
    up.apply(ServerSample(5.0, URL, HttpResult(200), models=(ModelInfo("Qwen3-Embedding-4B"),)))
    up.apply(
        LogBatch(5.0, "vllm.log", (parse_line("INFO 11-24 18:55:23 [api_server.py:1] vLLM API server version 0.32"),))
    )
    stores.append((up, CFG))
    seen = 0
    for store, cfg in stores:
        for r in evaluate(store, cfg, 10.0):
            assert r.pending == (r.status == Status.UNKNOWN and r.summary.startswith(OLD_PENDING)), (r.id, r.summary)
            seen += r.pending
    assert seen >= 5
    final = judge(empty, 0.0, Config(url=URL))["vllm.startup"]
    assert final.status == Status.UNKNOWN and not final.pending  # "no log source": n/a for good


# ---------------------------------------------------------------- kinds, not words


def test_the_fix_follows_the_error_kind_not_its_words() -> None:
    def fix(kind: ErrorKind, text: str) -> str:
        store = Store()
        store.apply(ServerSample(1.0, URL, HttpResult(None, error=text, error_kind=kind)))
        return judge(store, 1.0)["api.reachable"].fix

    assert "Start vLLM" in fix(ErrorKind.REFUSED, "whatever the words")
    assert "hung or stopped" in fix(ErrorKind.TIMEOUT, "connection refused")  # the kind decides
    assert "Use http://" in fix(ErrorKind.TLS, "")
    assert "host name" in fix(ErrorKind.DNS, "")
    assert "listens at" in fix(ErrorKind.OTHER, "refused, TLS, resolve")


def test_models_401_is_read_from_the_status() -> None:
    store = Store()
    error = "HTTP 401: Unauthorized"
    store.apply(ServerSample(1.0, URL, HttpResult(200), models_error=error, models_error_kind=ErrorKind.HTTP_STATUS))
    assert judge(store, 1.0)["api.auth"].status != Status.FAIL  # no status recorded: not a 401, whatever the text
    store.apply(
        ServerSample(
            2.0, URL, HttpResult(200), models_error=error, models_error_kind=ErrorKind.HTTP_STATUS, models_status=401
        )
    )
    assert judge(store, 2.0)["api.auth"].status == Status.FAIL


# ---------------------------------------------------------------- process visibility from the host scan


def _gpu_with(pid: int) -> GpuSample:
    device = GpuDevice(0, "L4", 9 * 1024**3, 24 * 1024**3, processes=(GpuProcess(pid, 9 * 1024**3),))
    return GpuSample(1.0, available=True, devices=(device,))


def test_gpu_pid_visibility_comes_from_the_host_sample() -> None:
    scan = HostCollector()
    gone = 4_194_000  # above the usual pid_max: no such process
    scan.watch_gpu_pids({os.getpid(), gone})
    sample = scan.collect()
    assert sample.visible_pids == (os.getpid(),)
    cfg = Config(url=URL)
    store = Store()
    store.apply(_gpu_with(os.getpid()))
    store.apply(sample)
    r = judge(store, 2.0, cfg)["gpu.model_resident"]
    assert "not visible" not in r.summary  # visible here, just not vLLM
    hidden = Store()
    hidden.apply(_gpu_with(gone))
    hidden.apply(HostSample(1.0, 1.0, 1, 2, 0, 0, visible_pids=()))
    r = judge(hidden, 2.0, cfg)["gpu.model_resident"]
    assert r.status == Status.UNKNOWN and "not visible here" in r.summary and "--pid=host" in r.fix


def test_a_recorded_error_kind_replays_as_its_kind(tmp_path: Path) -> None:
    from tui.state.recording import Recorder, read

    rec = Recorder(tmp_path / "rec.jsonl")
    rec.sample(ProbeSample(1.0, "m", None, 0.5, error="no answer within 5s", error_kind=ErrorKind.TIMEOUT))
    rec.close()
    ((_, _, sample),) = list(read(tmp_path / "rec.jsonl"))
    assert sample.error_kind is ErrorKind.TIMEOUT and sample.error_kind.transport
