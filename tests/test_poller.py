"""Poll loops never overlap, back off on failure, survive a raising collector, pause and trigger."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from tui.runtime.poller import Poller


@dataclass
class S:
    ok: bool = True


async def test_slow_collector_never_overlaps() -> None:
    active = 0
    peak = 0
    out: list[S] = []

    async def collect() -> S:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.15)
        active -= 1
        return S()

    p = Poller("slow", collect, out.append, interval=0.01)
    p.start()
    await asyncio.sleep(0.8)
    await p.stop()
    assert peak == 1 and 3 <= len(out) <= 6


async def test_failures_back_off_and_recover() -> None:
    out: list[S] = []
    p = Poller("x", lambda: asyncio.sleep(0, S(ok=False)), out.append, interval=0.1, max_backoff=4)
    assert p.next_delay() == 0.1
    await p.poll_once()
    await p.poll_once()
    assert p.failures == 2 and abs(p.next_delay() - 0.4) < 1e-9
    await p.poll_once()
    assert abs(p.next_delay() - 0.4) < 1e-9  # capped
    p.collect = lambda: asyncio.sleep(0, S(ok=True))
    await p.poll_once()
    assert p.failures == 0 and p.next_delay() == 0.1


async def test_raising_collector_is_reported_and_loop_continues() -> None:
    errors: list[str] = []
    calls = 0

    async def collect() -> S:
        nonlocal calls
        calls += 1
        raise RuntimeError("bug")

    p = Poller("bad", collect, lambda s: None, interval=0.02, on_error=lambda n, e: errors.append(f"{n}:{e}"))
    p.start()
    await asyncio.sleep(0.3)
    await p.stop()
    assert calls >= 2 and errors[0] == "bad:bug"


async def test_pause_stops_polls_and_trigger_runs_one() -> None:
    out: list[S] = []
    p = Poller("x", lambda: asyncio.sleep(0, S()), out.append, interval=0.05)
    p.start()
    await asyncio.sleep(0.2)
    p.pause()
    await asyncio.sleep(0.1)
    n = len(out)
    await asyncio.sleep(0.3)
    assert len(out) == n  # paused: nothing
    p.trigger()
    await asyncio.sleep(0.1)
    assert len(out) == n + 1  # one manual poll, still paused
    await asyncio.sleep(0.2)
    assert len(out) == n + 1
    p.resume()
    await asyncio.sleep(0.2)
    assert len(out) >= n + 3
    await p.stop()


async def test_trigger_wakes_a_long_wait() -> None:
    out: list[S] = []
    p = Poller("x", lambda: asyncio.sleep(0, S()), out.append, interval=60)
    p.start()
    await asyncio.sleep(0.05)
    assert len(out) == 1
    p.trigger()
    await asyncio.sleep(0.05)
    assert len(out) == 2
    await p.stop()
