"""The dashboard, driven by Textual's pilot against the real demo target on 127.0.0.1."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from tui.app import EmbedtopApp
from tui.clock import Clock, MockClock
from tui.config import Config
from tui.demo.target import DemoTarget
from tui.rules.result import Status
from tui.screens.help import HelpScreen
from tui.widgets.checklist import CheckDetail, Checklist, render_detail
from tui.widgets.styles import STATUS_LOOK

P, F, W, U, B = Status.PASS, Status.FAIL, Status.WARN, Status.UNKNOWN, Status.BLOCKED

EXPECTED: dict[str, dict[str, Status]] = {
    "healthy": {
        "vllm.startup": P,
        "vllm.engine": P,
        "api.reachable": P,
        "api.models": P,
        "probe.status": P,
        "probe.dimensions": P,
        "probe.values": P,
        "probe.latency": P,
    },
    "wrong-model": {"api.reachable": P, "api.models": F, "probe.status": B, "probe.dimensions": B},
    "wrong-dims": {"api.models": P, "probe.status": P, "probe.dimensions": F, "probe.values": P},
    "slow": {"probe.status": P, "probe.latency": W},
    "engine-dead": {"vllm.engine": F, "api.reachable": F, "api.models": B, "probe.status": B},
    "starting": {"vllm.startup": U, "api.reachable": W, "probe.status": B},
}


def make_app(
    target: DemoTarget, probe_interval: float = 0.3, interval: float = 0.2, clock: Clock | None = None
) -> EmbedtopApp:
    cfg = Config(
        url=target.url,
        log=target.log_path,
        model="Qwen3-Embedding-4B",
        interval=interval,
        probe_interval=probe_interval,
        timeout=3.0,
    )
    return EmbedtopApp(cfg, demo=target, nvml=None, **({"clock": clock} if clock is not None else {}))


async def wait_for(pilot: Pilot, cond: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met in time")


def plain(renderable: object, width: int = 40) -> str:
    """What a panel's renderable reads as on screen."""
    from rich.console import Console

    console = Console(width=width, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def statuses(app: EmbedtopApp) -> dict[str, Status]:
    return {r.id: r.status for r in app.targets[0].results}


def pollers(app: EmbedtopApp) -> list:
    """Every poll loop of the app: the target's and the host's."""
    return [*app.targets[0].pollers.values(), *app.watch.host.pollers.values()]


@pytest.mark.parametrize("scenario", list(EXPECTED))
async def test_scenario_shows_right_checks(scenario: str, tmp_path: Path) -> None:
    target = DemoTarget(scenario, tmp_path / "vllm.log", stats_interval=1.0).start()
    try:
        app = make_app(target)
        expected = EXPECTED[scenario]
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: all(statuses(app).get(k) == v for k, v in expected.items()))
            table = app.query_one(Checklist)
            # The table redraws on the TargetChanged that follows the sample the checks were judged on.
            await wait_for(
                pilot, lambda: all(str(table.get_cell(k, "status")) == STATUS_LOOK[v][0] for k, v in expected.items())
            )
            for check_id, status in expected.items():
                assert str(table.get_cell(check_id, "status")) == STATUS_LOOK[status][0]
            # The detail panel follows the worst item: a red or yellow one shows its fix.
            await wait_for(pilot, lambda: app.query_one(CheckDetail).shown == table.result_at_cursor())
            shown = app.query_one(CheckDetail).shown
            assert shown is not None and shown == table.result_at_cursor()
            if any(v in (F, W) for v in expected.values()):
                assert shown.status in (F, W) and shown.fix
            else:  # healthy: nothing red or yellow, so the top row is not either
                assert not [r for r in app.targets[0].results if r.status in (F, W)] and shown.status not in (F, W)
    finally:
        target.stop()


async def test_p_sends_a_probe_now(tmp_path: Path) -> None:
    target = DemoTarget("healthy", tmp_path / "vllm.log").start()
    try:
        app = make_app(target, probe_interval=60)
        async with app.run_test(size=(120, 36)) as pilot:
            key = "POST /v1/embeddings?embedtop=probe"
            await wait_for(pilot, lambda: target.calls[key] == 1 and app.targets[0].store.probe is not None)
            await pilot.press("p")
            await wait_for(pilot, lambda: target.calls[key] == 2 and app.targets[0].store.counts.probe == 2, timeout=5)
            assert app.targets[0].store.probe is not None and app.targets[0].store.probe.manual
    finally:
        target.stop()


async def test_space_pauses_and_resumes_polling(tmp_path: Path) -> None:
    """On a MockClock: each poll loop polls once at start, then sleeps until the clock moves. Paused, moving
    it far past every interval polls nothing: every loop waits for space instead of on the clock."""
    target = DemoTarget("healthy", tmp_path / "vllm.log").start()
    try:
        clock = MockClock(start=time.time())
        app = make_app(target, interval=0.1, probe_interval=0.1, clock=clock)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: len(pollers(app)) == 6 and all(p.polls >= 1 for p in pollers(app)))
            polls = [p.polls for p in pollers(app)]
            n = sum(target.requests.values())
            clock.advance(0.1)  # running: one interval on, each fast loop polls again
            await wait_for(
                pilot, lambda: target.requests["GET /health"] == 2 and app.targets[0].pollers["server"].polls == 2
            )
            await pilot.press("space")
            assert "PAUSED" in app.sub_title
            # Nothing in flight: every loop sleeps on the clock, as does the wake-up for a stale input.
            await wait_for(
                pilot, lambda: clock.sleepers == len(pollers(app)) + (app.targets[0].next_recheck is not None)
            )
            polls, n = [p.polls for p in pollers(app)], sum(target.requests.values())
            clock.advance(600)  # past every interval (the semantic probe's 300 s too) and every stale limit
            await wait_for(pilot, lambda: clock.sleepers == 0)  # every loop waits for a key, none sleeps
            assert [p.polls for p in pollers(app)] == polls and sum(target.requests.values()) == n
            # Time alone (no sample) turns what was judged stale: the wake-up on the clock judged again.
            await wait_for(pilot, lambda: statuses(app)["api.reachable"] == Status.STALE)
            assert "polling is paused" in app.targets[0].result("api.reachable").summary
            await pilot.press("space")
            await wait_for(pilot, lambda: sum(target.requests.values()) > n, timeout=5)
            assert "PAUSED" not in app.sub_title
    finally:
        target.stop()


async def test_f_cycles_faults_live_and_back_to_green(tmp_path: Path) -> None:
    target = DemoTarget("healthy", tmp_path / "vllm.log", stats_interval=1.0).start()
    try:
        app = make_app(target)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: statuses(app).get("probe.dimensions") == P)
            await pilot.press("f")  # → ingest: a simulated Open WebUI sends bursts of chunks
            await wait_for(pilot, lambda: target.scenario.name == "ingest")
            await wait_for(pilot, lambda: statuses(app).get("client.base_url") == P, timeout=20)
            await pilot.press("f")  # → bad-base-url: POST /embeddings 404
            await wait_for(pilot, lambda: statuses(app).get("client.base_url") == F, timeout=20)
            assert "/v1" in app.targets[0].result("client.base_url").fix
            target.set_scenario("wrong-model")
            await wait_for(pilot, lambda: statuses(app).get("api.models") == F)
            await pilot.press("f")  # → wrong-dims
            await wait_for(pilot, lambda: statuses(app).get("probe.dimensions") == F)
            target.set_scenario("healthy")
            await wait_for(pilot, lambda: statuses(app).get("probe.dimensions") == P)
            assert statuses(app)["api.models"] == P
    finally:
        target.stop()


async def test_down_server_opens_red_and_keys_still_work(tmp_path: Path) -> None:
    cfg = Config(url="http://127.0.0.1:9", interval=0.2, probe_interval=0.2, timeout=1.0)
    app = EmbedtopApp(cfg)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: statuses(app).get("api.reachable") == F)
        r = app.targets[0].result("api.reachable")
        assert r is not None and "refused" in r.summary and "vllm serve" in r.fix
        await pilot.press("p", "space", "question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert "send a probe embedding now" in str(app.screen.query_one("#help-body", Static).render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.dashboard)
        await pilot.press("q")


def test_detail_text_has_fix_and_evidence() -> None:
    from rich.console import Console

    from tui.rules.result import CheckResult

    r = CheckResult(
        "probe.dimensions", "Vector dimensions", F, "vectors have 1024 dims", ("12:00:00 probe",), "Serve it"
    )
    console = Console(width=80, record=True)
    console.print(render_detail(r))
    text = console.export_text()
    assert "Fix" in text and "Serve it" in text and "Evidence" in text and "12:00:00 probe" in text


# ---------------------------------------------------------------- log panel


async def test_log_panel_folds_tracebacks_and_unfolds_on_enter() -> None:
    from tests.frozen import frozen_app
    from tui.widgets.log_panel import LogPanel

    app = frozen_app("engine-dead")
    async with app.run_test(size=(120, 36)) as pilot:
        panel = app.query_one(LogPanel)
        folded = [i for i in range(panel.row_count) if panel.row_text(i).startswith("▸ +6 ")]
        assert len(folded) == 1, [panel.row_text(i) for i in range(panel.row_count)]
        row = folded[0]
        assert "EngineDeadError" in panel.row_text(row)  # the root line, not "AsyncLLM output_handler failed."
        n = panel.row_count
        panel.focus()
        await pilot.pause()
        await pilot.press(*["up"] * (panel.cursor - row))
        assert panel.cursor == row and not panel.follow
        await pilot.press("enter")
        assert panel.row_count == n + 6
        assert panel.row_text(row).endswith("AsyncLLM output_handler failed.")
        assert panel.row_text(row + 1).endswith("Traceback (most recent call last):")
        await pilot.press("enter")
        assert panel.row_count == n
        await pilot.press("end")
        assert panel.follow and panel.cursor == n - 1


async def test_log_level_filter_key() -> None:
    from tests.frozen import frozen_app
    from tui.widgets.log_panel import LogPanel

    app = frozen_app("engine-dead")
    async with app.run_test(size=(120, 36)) as pilot:
        panel = app.query_one(LogPanel)
        everything = panel.row_count
        await pilot.press("v")
        assert panel.level_filter == "warnings" and "warnings only" in str(panel.border_title)
        warnings = [panel.row_text(i) for i in range(panel.row_count)]
        assert 0 < len(warnings) < everything
        assert all(" ERROR " in x or x.startswith("▸") or '" 5' in x or '" 4' in x for x in warnings)
        await pilot.press("v")
        assert panel.level_filter == "errors"
        assert not any('" 200 OK' in panel.row_text(i) for i in range(panel.row_count))
        await pilot.press("v")
        assert panel.level_filter == "all" and panel.row_count == everything


async def test_own_requests_are_hidden_in_the_live_log(tmp_path: Path) -> None:
    from tui.widgets.log_panel import LogPanel

    target = DemoTarget("healthy", tmp_path / "vllm.log").start()
    try:
        app = make_app(target, probe_interval=0.2, interval=0.2)
        async with app.run_test(size=(120, 36)) as pilot:
            panel = app.query_one(LogPanel)
            await wait_for(pilot, lambda: panel.hidden_ours >= 3)
            rows = [panel.row_text(i) for i in range(panel.row_count)]
            assert not any("embedtop=" in x for x in rows)
            assert "own requests hidden (o)" in str(panel.border_title)
            assert app.targets[0].store.log_state.requests_total == 0  # ours are not client traffic
            await pilot.press("o")
            rows = [panel.row_text(i) for i in range(panel.row_count)]
            assert any('"POST /v1/embeddings?embedtop=probe HTTP/1.1" 200' in x for x in rows)
            assert any('"GET /health?embedtop=health HTTP/1.1" 200' in x for x in rows)
            # The lifecycle reached from the demo's log, with phase times.
            assert app.targets[0].store.log_state.phase == "ready"
    finally:
        target.stop()


# ---------------------------------------------------------------- good neighbour, probes, metrics


async def test_at_most_one_metrics_scrape_and_one_probe_per_interval(tmp_path: Path) -> None:
    target = DemoTarget("healthy", tmp_path / "vllm.log").start()
    try:
        app = make_app(target, probe_interval=0.5, interval=0.5)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(
                pilot, lambda: app.targets[0].store.metrics is not None and app.targets[0].store.probe is not None
            )
            metrics0 = target.calls["GET /metrics?embedtop=metrics"]
            probes0 = target.calls["POST /v1/embeddings?embedtop=probe"]
            server = app.targets[0].pollers["server"]
            polls0, start = server.polls, time.monotonic()
            for _ in range(6):  # impatient key presses: each asks for a probe now
                await pilot.press("p")
                await pilot.pause(0.1)
            presses = time.monotonic() - start
            await wait_for(pilot, lambda: server.polls >= polls0 + 6)  # six more polls of the server
            elapsed = time.monotonic() - start
            scrapes = target.calls["GET /metrics?embedtop=metrics"] - metrics0
            probes = target.calls["POST /v1/embeddings?embedtop=probe"] - probes0
            manual = sum(p.manual for p in app.targets[0].store.probes)
            allowed = int(elapsed / 0.5) + 1
            assert 2 <= scrapes <= allowed, (scrapes, allowed)
            # At most one manual probe per second of key presses, and timed probes no more than their interval.
            assert 1 <= manual <= int(presses) + 1, (manual, presses)
            assert probes <= allowed + manual, (probes, allowed, manual)
            assert app.targets[0].store.traffic() is not None
    finally:
        target.stop()


async def test_semantic_long_input_interval_and_chart_keys(tmp_path: Path) -> None:
    from tui.widgets.latency_chart import LatencyChart
    from tui.widgets.log_panel import LogPanel

    target = DemoTarget("healthy", tmp_path / "vllm.log").start()
    try:
        app = make_app(target, probe_interval=0.3, interval=0.3)
        async with app.run_test(size=(120, 36)) as pilot:
            # The semantic probe runs once at start, then on its slow cadence or on `s`.
            await wait_for(pilot, lambda: statuses(app).get("probe.semantic") == P)
            assert app.targets[0].store.semantic is not None and app.targets[0].store.semantic.passed
            n = target.calls["POST /v1/embeddings?embedtop=semantic"]
            await pilot.press("s")
            await wait_for(pilot, lambda: target.calls["POST /v1/embeddings?embedtop=semantic"] == n + 1)
            await wait_for(
                pilot, lambda: app.targets[0].store.semantic is not None and app.targets[0].store.semantic.manual
            )
            await pilot.press("l")
            await wait_for(pilot, lambda: app.targets[0].store.long_input is not None)
            assert (
                app.targets[0].store.long_input.outcome == "rejected"
                and app.targets[0].store.long_input.http_status == 400
            )
            poller = app.targets[0].pollers["probe"]
            await pilot.press("minus")
            assert poller.interval == 2.0  # 0.3 × 2 = 0.6, raised to the 2 s floor
            await pilot.press("minus")
            assert poller.interval == 4.0
            await pilot.press("plus")
            assert poller.interval == 2.0
            await pilot.press("g")
            chart, log = app.query_one(LatencyChart), app.query_one(LogPanel)
            assert chart.display and not log.display
            await wait_for(pilot, lambda: "probe latency" in str(chart.render()))
            await pilot.press("g")
            assert log.display and not chart.display
    finally:
        target.stop()


# ---------------------------------------------------------------- GPU and processes


async def test_real_pynvml_without_driver_shows_nvml_not_available(tmp_path: Path) -> None:
    from tui.widgets.gpu_panel import GpuPanel

    target = DemoTarget("healthy", tmp_path / "vllm.log").start()
    try:
        app = make_app(target)  # nvml=None: the real nvidia-ml-py, and this host has no driver
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(
                pilot, lambda: statuses(app).get("probe.status") == P and app.targets[0].store.gpu is not None
            )
            assert not app.targets[0].store.gpu.available
            assert "NVML: not available on this host" in plain(app.query_one(GpuPanel).render())
            assert statuses(app)["gpu.visible"] == U and statuses(app)["gpu.model_resident"] == B
            assert statuses(app)["api.reachable"] == P
    finally:
        target.stop()


async def test_demo_gpu_and_processes_follow_the_scenario(tmp_path: Path) -> None:
    from tui.widgets.gpu_panel import GpuPanel

    target = DemoTarget("healthy", tmp_path / "vllm.log", processes=True).start()
    try:
        cfg = Config(url=target.url, log=target.log_path, model="Qwen3-Embedding-4B", interval=0.3, probe_interval=0.3)
        app = EmbedtopApp(cfg, demo=target, nvml=target.nvml)
        async with app.run_test(size=(120, 36)) as pilot:
            want = {"gpu.visible": P, "vllm.process": P, "gpu.model_resident": P, "gpu.memory_headroom": P}
            await wait_for(pilot, lambda: all(statuses(app).get(k) == v for k, v in want.items()))
            worker = target.procs.pid("worker")
            assert f"pid {worker}" in app.targets[0].result("gpu.model_resident").summary
            # The checks are judged as each sample arrives; the panel redraws on the TargetChanged that follows.
            await wait_for(pilot, lambda: f"Worker {worker}" in plain(app.query_one(GpuPanel).render()))
            panel = plain(app.query_one(GpuPanel).render())
            assert "GPU0 H200" in panel and f"Worker {worker}" in panel
            target.set_scenario("engine-dead")
            await wait_for(pilot, lambda: statuses(app).get("vllm.process") == F)
            assert f"worker pid {worker} exited" in app.targets[0].result("vllm.process").summary
    finally:
        target.stop()
    assert target.procs.pid("api-server") is None  # stopped by PID


async def test_c_copies_the_selected_fix_and_events_are_listed() -> None:
    from tests.frozen import frozen_app

    app = frozen_app("engine-dead")
    async with app.run_test(size=(120, 36)) as pilot:
        top = app.query_one(Checklist).result_at_cursor()
        assert top is not None and top.id == "vllm.engine" and top.status == F  # worst first
        await pilot.press("c")
        assert app.clipboard == top.fix
        events = [(e.check_id, e.new) for e in app.targets[0].checklist.events]
        assert ("vllm.engine", F) in events and ("api.reachable", F) in events
        detail = app.query_one(CheckDetail)
        text = plain(render_detail(detail.shown, list(app.targets[0].checklist.events)[-5:]), width=60)
        assert "Recent changes" in text and "vllm.engine: start → fail" in text
