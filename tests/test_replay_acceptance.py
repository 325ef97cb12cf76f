"""Issue 16's acceptance: a live demo fault, recorded, replayed a day later on a MockClock, gives the same
verdict after every sample and the same transitions as the live run.

The live half is real: the demo target (HTTP server and log file) and a `TargetRun` with its own pollers,
judged on the real clock. The recording is then played by `tui.runtime.replay.play` on a MockClock that
starts a day after the live run, into a fresh `TargetRun(live=False)`; the clock moves only when the test
advances it, so the replay's pace is exact and nothing in it can read the wall clock unseen.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui.clock import MockClock
from tui.config import Config
from tui.demo.target import DemoTarget
from tui.rules.result import Status
from tui.runtime.replay import MAX_GAP_S, ReplayCursor, play
from tui.runtime.target import TargetRun
from tui.state.recording import read

DAY = 86_400.0
Verdict = list[tuple[str, str, str]]  # (check id, status, summary) of every check, in display order


def verdict(run: TargetRun) -> Verdict:
    return [(r.id, r.status.value, r.summary) for r in run.results]


def events(run: TargetRun) -> list[tuple[str, str | None, str, str]]:
    return [(e.check_id, e.old.value if e.old else None, e.new.value, e.summary) for e in run.checklist.events]


def status(run: TargetRun, check: str) -> Status | None:
    r = run.result(check)
    return r.status if r is not None else None


async def until(cond: Callable[[], bool], timeout: float = 30.0) -> None:
    """A bounded wait on the live run (a real server, real files, the real clock)."""
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "the live run did not get there in time"
        await asyncio.sleep(0.05)


def recording_steps(run: TargetRun, steps: list[tuple[str, float, Verdict]], rechecks: list[float]) -> None:
    """Keep the verdict after each sample the run folds in (wraps its sink before its pollers are made), and
    when time alone judged it again (an input gone stale: live only, so it would explain a difference)."""
    fold = run.on_sample

    def on_sample(sample: Any) -> None:
        fold(sample)
        if not run._closing:
            steps.append((type(sample).__name__, sample.t, verdict(run)))

    run.on_sample = on_sample  # type: ignore[method-assign]
    recheck = run.recheck

    def rechecked() -> bool:
        rechecks.append(run.clock.time())
        return recheck()

    run.recheck = rechecked  # type: ignore[method-assign]


async def test_a_recorded_demo_fault_replays_a_day_later_with_the_same_verdicts_and_transitions(
    tmp_path: Path,
) -> None:
    rec = tmp_path / "fault.jsonl"
    demo = DemoTarget("healthy", tmp_path / "vllm.log").start()
    cfg = Config(
        url=demo.url, log=demo.log_path, model="Qwen3-Embedding-4B", interval=0.3, probe_interval=0.3, timeout=0.5
    )
    live_steps: list[tuple[str, float, Verdict]] = []
    rechecks: list[float] = []
    live = TargetRun(cfg, live=True, record=rec, demo=demo)
    recording_steps(live, live_steps, rechecks)
    try:
        live.start()
        await until(
            lambda: status(live, "probe.dimensions") == Status.PASS and status(live, "vllm.engine") == Status.PASS
        )
        demo.set_scenario("engine-dead")  # the worker is killed: EngineDeadError in the log, /health 503
        await until(lambda: status(live, "vllm.engine") == Status.FAIL and status(live, "api.reachable") == Status.FAIL)
        settled = len(live_steps)
        await until(lambda: len(live_steps) >= settled + 6)  # a few more polls of the dead server
        await live.stop()
    finally:
        demo.stop()
    live_events = events(live)
    assert ("vllm.engine", "pass", "fail") in [e[:3] for e in live_events]
    assert ("api.reachable", "pass", "fail") in [e[:3] for e in live_events]

    records = list(read(rec))
    samples = [(kind, t) for t, kind, _ in records if kind != "transition"]
    assert samples == [(kind, t) for kind, t, _ in live_steps]  # every sample folded in live was recorded
    recorded = [(d["id"], d["old"], d["new"], d["summary"]) for _, kind, d in records if kind == "transition"]
    assert recorded == live_events

    # A day later, on a clock that moves only when told.
    clock = MockClock(start=records[-1][0] + DAY)
    replay = TargetRun(cfg, live=False, clock=clock)
    replay_steps: list[tuple[str, float, Verdict]] = []

    def deliver(_target: int, sample: Any) -> None:
        replay.on_sample(sample)
        replay_steps.append((type(sample).__name__, sample.t, verdict(replay)))

    player = asyncio.create_task(play(ReplayCursor(records), deliver, 1.0, clock))
    for _ in range(20 * len(samples)):
        await asyncio.sleep(0)
        if player.done():
            break
        clock.advance(MAX_GAP_S / 8)
    assert player.done(), "the replay never finished"
    await player
    assert clock.time() > records[-1][0] + DAY  # it was judged a day later

    assert len(replay_steps) == len(live_steps)
    for i, (got, want) in enumerate(zip(replay_steps, live_steps, strict=True)):
        differ = [(w, g) for w, g in zip(want[2], got[2], strict=True) if w != g]
        assert got == want, f"step {i} ({want[0]} at {want[1]}), live → replay: {differ}; live rechecks {rechecks}"
    assert events(replay) == live_events
