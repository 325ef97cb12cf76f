"""`embedtop export`: the checklist as Prometheus metrics, scraped over HTTP and parsed with prometheus_client's
own parser; bounded labels; a target outage is a value; the API key never appears."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tui.config import Config
from tui.demo.target import DemoTarget
from tui.exporter import serve
from tui.rules.checks import SPECS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def until(pilot, cond, timeout: float = 15.0) -> None:
    """Let the app run until `cond()` holds (bounded: it fails the test when it never does)."""
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        await pilot.pause(0.05)


def samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def scrape_while_serving(cfg: Config | list[Config], port: int, rounds: int) -> str:
    task = asyncio.create_task(serve(cfg, "127.0.0.1", port, rounds=rounds, nvml=None))
    text = ""
    async with httpx.AsyncClient(trust_env=False) as c:
        while not task.done():
            with contextlib.suppress(httpx.HTTPError):
                text = (await c.get(f"http://127.0.0.1:{port}/metrics")).text
            await asyncio.sleep(0.2)
    await task
    return text


async def test_exporter_against_the_demo_target(tmp_path: Path) -> None:
    target = DemoTarget("wrong-dims", tmp_path / "vllm.log").start()
    port = free_port()
    try:
        cfg = Config(url=target.url, log=target.log_path, model="Qwen3-Embedding-4B", interval=0.3, api_key="sk-zz9")
        text = await scrape_while_serving(cfg, port, rounds=6)
    finally:
        target.stop()
    m = samples(text)
    t = ("target", cfg.label)
    assert cfg.label == target.url.removeprefix("http://")  # no name: HOST:PORT
    assert m[("embedtop_check_status", (("id", "probe.dimensions"), t))] == 2  # fail
    assert m[("embedtop_check_status", (("id", "api.reachable"), t))] == 0  # pass
    assert m[("embedtop_target_up", (t,))] == 1 and m[("embedtop_probe_dimensions", (t,))] == 1024
    assert m[("embedtop_probe_latency_seconds_count", (t,))] >= 1
    assert m[("embedtop_lifecycle_phase", (("phase", "ready"), t))] == 1
    assert m[("embedtop_vllm_requests_waiting", (t,))] >= 0 and m[("embedtop_vllm_requests_running", (t,))] >= 0
    ids = {dict(k[1])["id"] for k in m if k[0] == "embedtop_check_status"}
    assert ids == {s.id for s in SPECS}  # one series per check: bounded
    assert "sk-zz9" not in text


async def test_exporter_survives_a_target_outage(tmp_path: Path) -> None:
    port = free_port()
    cfg = Config(url=f"http://127.0.0.1:{free_port()}", interval=0.3, timeout=0.5)
    text = await scrape_while_serving(cfg, port, rounds=3)
    m = samples(text)
    t = ("target", cfg.label)
    assert m[("embedtop_target_up", (t,))] == 0
    assert m[("embedtop_check_status", (("id", "api.reachable"), t))] == 2
    assert not any(k[0].startswith("embedtop_vllm_requests_") for k in m)  # no scrape: absent, not a stale 0


async def test_one_exporter_for_several_targets(tmp_path: Path) -> None:
    """A target label per server; series stay bounded (targets × checks); no key of any target leaks."""
    good = DemoTarget("healthy", tmp_path / "a.log").start()
    bad = DemoTarget("wrong-dims", tmp_path / "b.log").start()
    port = free_port()
    try:
        common = dict(model="Qwen3-Embedding-4B", interval=0.3)
        cfgs = [
            Config(url=good.url, name="embed", log=good.log_path, api_key="sk-aa1", **common),
            Config(url=bad.url, name="embed-small", log=bad.log_path, api_key="sk-bb2", **common),
            Config(url=f"http://127.0.0.1:{free_port()}", name="down", timeout=0.5, interval=0.3),
        ]
        text = await scrape_while_serving(cfgs, port, rounds=6)
    finally:
        good.stop()
        bad.stop()
    m = samples(text)
    dims = {
        name: m[("embedtop_check_status", (("id", "probe.dimensions"), ("target", name)))]
        for name in ("embed", "embed-small")
    }
    assert dims == {"embed": 0, "embed-small": 2}
    assert m[("embedtop_target_up", (("target", "down"),))] == 0
    assert m[("embedtop_check_status", (("id", "api.reachable"), ("target", "down")))] == 2
    assert m[("embedtop_probe_dimensions", (("target", "embed-small"),))] == 1024
    series = [k for k in m if k[0] == "embedtop_check_status"]
    assert len(series) == 3 * len(SPECS)
    assert {dict(k[1])["target"] for k in m if "target" in dict(k[1])} == {"embed", "embed-small", "down"}
    assert "sk-aa1" not in text and "sk-bb2" not in text


def test_export_cli_bad_listen_is_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "export", "--url", "http://127.0.0.1:9", "--listen", "nope"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2 and proc.stderr.startswith("embedtop: error: --listen 'nope'")
    assert time.time()


async def test_export_beside_the_dashboard(tmp_path: Path) -> None:
    """`watch --export`: /metrics carries what the dashboard shows (its hysteresis included)."""
    from tui.app import EmbedtopApp
    from tui.exporter import start
    from tui.rules.result import Status

    target = DemoTarget("wrong-dims", tmp_path / "vllm.log").start()
    port = free_port()
    cfg = Config(url=target.url, log=target.log_path, model="Qwen3-Embedding-4B", interval=0.3, probe_interval=0.3)
    exporter, stop = start([cfg], "127.0.0.1", port)
    try:
        app = EmbedtopApp(cfg, demo=target, exporter=exporter)
        async with app.run_test(size=(120, 36)) as pilot:
            dims = ("embedtop_check_status", (("id", "probe.dimensions"), ("target", cfg.label)))

            def exported() -> float | None:
                return samples(generate_latest(exporter.registry).decode()).get(dims)

            def failed() -> bool:
                r = app.targets[0].result("probe.dimensions")
                return r is not None and r.status == Status.FAIL

            await until(pilot, failed)
            await until(pilot, lambda: exported() == 2)  # the exporter follows at most once a second
            async with httpx.AsyncClient(trust_env=False) as c:
                text = (await c.get(f"http://127.0.0.1:{port}/metrics")).text
            shown = {r.id: r.status for r in app.targets[0].results}
    finally:
        stop()
        target.stop()
    m = samples(text)
    t = ("target", cfg.label)
    assert shown["probe.dimensions"] == Status.FAIL
    for check in ("probe.dimensions", "api.reachable", "vllm.startup"):
        value = m[("embedtop_check_status", (("id", check), t))]
        assert value == {Status.PASS: 0, Status.WARN: 1, Status.FAIL: 2}.get(shown[check], value), check
    assert m[("embedtop_probe_dimensions", (t,))] == 1024


def test_export_flag_is_checked_like_listen() -> None:
    for args in (["watch", "--url", "http://127.0.0.1:9", "--export", "nope"], ["check", "--export", "127.0.0.1:9464"]):
        proc = subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, timeout=30)
        assert (
            proc.returncode == 2
            and proc.stderr.startswith("embedtop: error: --export")
            and "Traceback" not in proc.stderr
        )


# ---------------------------------------------------------------- record and replay


async def test_a_recorded_fault_replays_to_the_same_check_transitions(tmp_path: Path) -> None:
    from tui.app import EmbedtopApp
    from tui.clock import MockClock
    from tui.rules.result import Status
    from tui.state.recording import read

    def status(app: EmbedtopApp, check: str) -> Status | None:
        r = app.targets[0].result(check)
        return r.status if r is not None else None

    rec = tmp_path / "rec.jsonl"
    target = DemoTarget("healthy", tmp_path / "vllm.log").start()
    try:
        cfg = Config(
            url=target.url,
            log=target.log_path,
            model="Qwen3-Embedding-4B",
            interval=0.3,
            probe_interval=0.3,
            api_key="sk-never-recorded",
        )
        app = EmbedtopApp(cfg, demo=target, record=rec)
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: status(app, "probe.dimensions") == Status.PASS)
            target.set_scenario("wrong-dims")
            await until(pilot, lambda: status(app, "probe.dimensions") == Status.FAIL)
            live = [(e.check_id, e.old, e.new) for e in app.targets[0].checklist.events]
    finally:
        target.stop()
    text = rec.read_text()
    assert "sk-never-recorded" not in text
    records = list(read(rec))
    recorded = [(d["id"], d["old"], d["new"]) for _, k, d in records if k == "transition"]
    assert recorded == [(i, o.value if o else None, n.value) for i, o, n in live]
    assert ("probe.dimensions", "pass", "fail") in recorded
    replay = EmbedtopApp(Config(url=cfg.url, log=cfg.log, model=cfg.model), live=False, replay=records, speed=1000)
    async with replay.run_test(size=(120, 36)) as pilot:
        # The cursor moves over samples only (transitions are judged again): it is done after the last sample.
        cursor = replay.watch.cursor
        await until(pilot, lambda: cursor.done, timeout=20)
        assert cursor.t == [t for t, k, _ in records if k != "transition"][-1]
        replayed = [
            (e.check_id, e.old.value if e.old else None, e.new.value) for e in replay.targets[0].checklist.events
        ]
        assert "replay of" in replay.sub_title
    assert replayed == recorded
    # The time cursor, on a clock that never moves (the player hands out the first sample, then waits):
    # `n` jumps from status change to status change, `<` goes back a minute.
    fail_t = next(
        t for t, k, d in records if k == "transition" and d["id"] == "probe.dimensions" and d["new"] == "fail"
    )
    moved = EmbedtopApp(
        Config(url=cfg.url, log=cfg.log, model=cfg.model), live=False, replay=records, clock=MockClock(start=0.0)
    )
    async with moved.run_test(size=(120, 36)) as pilot:
        cursor = moved.watch.cursor
        await until(pilot, lambda: cursor.pos == 1)
        stops = []
        for _ in range(len(recorded)):
            await pilot.press("n")
            stops.append(cursor.t)
            if status(moved, "probe.dimensions") == Status.FAIL:
                break
        assert status(moved, "probe.dimensions") == Status.FAIL, stops
        # It stops at the sample that caused the change (the change is stamped when it was judged).
        assert cursor.t is not None and fail_t - 1.0 < cursor.t <= fail_t, (stops, fail_t)
        assert stops == sorted(stops) and len(set(stops)) == len(stops) and "%" in moved.sub_title
        before = cursor.t
        await pilot.press("less_than_sign")
        earlier = [t for t, k, _ in records if k != "transition" and t <= before - 60]
        assert cursor.t == (earlier[-1] if earlier else None)
        assert status(moved, "probe.dimensions") != Status.FAIL  # judged again from the start, before the fault
        assert all(e.t < fail_t for e in moved.targets[0].checklist.events)


def test_diagnose_recording_prints_the_timeline(tmp_path: Path) -> None:
    from tui.state.recording import Recorder

    rec = Recorder(tmp_path / "r.jsonl")
    rec.transition(1_800_000_000.0, "api.reachable", "pass", "fail", "no answer: connection refused")
    rec.close()
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "diagnose", "--recording", str(tmp_path / "r.jsonl")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 1 and "api.reachable" in proc.stdout and "pass → fail" in proc.stdout
