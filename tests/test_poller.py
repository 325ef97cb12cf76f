"""The Poller, stepped on a MockClock: exact poll times for the interval, the back-off, a raising collector,
pause / resume / trigger, `wake(after)`, an interval changed by the sink, and a stop mid-poll.

Nothing here sleeps: time moves only by `clock.advance`, and `settle()` lets the event loop run what that
woke (a fixed number of loop turns, no wall time), so every count and time is exact.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from tui.clock import SYSTEM, MockClock
from tui.runtime.poller import Poller


@dataclass
class S:
    ok: bool = True


async def settle() -> None:
    """Let every task woken so far run until it waits again (each hop of the poller takes a few turns)."""
    for _ in range(50):
        await asyncio.sleep(0)


class Rig:
    """A poller on a MockClock that records the clock's time of each poll's start and each sample."""

    def __init__(self, interval: float = 1.0, took: float = 0.0, ok: bool = True, **kw: object) -> None:
        self.clock = MockClock()
        self.starts: list[float] = []
        self.samples: list[float] = []
        self.took = took
        self.ok = ok
        self.raises: BaseException | None = None
        self.active = 0
        self.peak = 0
        self.poller = Poller("x", self.collect, self.sink, interval, clock=self.clock, **kw)

    async def collect(self) -> S:
        self.starts.append(self.clock.monotonic())
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            if self.took:
                await self.clock.sleep(self.took)
            if self.raises is not None:
                raise self.raises
            return S(ok=self.ok)
        finally:
            self.active -= 1

    def sink(self, sample: S) -> None:
        self.samples.append(self.clock.monotonic())

    async def start(self) -> None:
        self.poller.start()
        await settle()

    async def run_for(self, seconds: float, step: float = 0.25) -> None:
        """Advance the clock by `seconds` in steps, letting the loop run after each."""
        for _ in range(round(seconds / step)):
            self.clock.advance(step)
            await settle()


def test_the_default_clock_is_the_system_clock() -> None:
    p = Poller("x", lambda: asyncio.sleep(0, S()), lambda s: None, interval=1.0)
    assert p.clock is SYSTEM


async def test_polls_every_interval_from_the_end_of_the_last_poll() -> None:
    rig = Rig(interval=1.0)
    await rig.start()
    assert rig.starts == [0.0] and rig.samples == [0.0]  # the first poll runs at once
    await rig.run_for(3.0)
    assert rig.starts == [0.0, 1.0, 2.0, 3.0]
    assert rig.poller.polls == 4 and rig.clock.sleepers == 1  # waiting for the next one
    await rig.poller.stop()
    assert rig.clock.sleepers == 0


async def test_slow_collector_never_overlaps() -> None:
    # Each poll takes 1 s and the next starts 0.25 s after it ends, however short the interval.
    rig = Rig(interval=0.25, took=1.0)
    await rig.start()
    await rig.run_for(5.0)
    assert rig.peak == 1
    assert rig.starts == [0.0, 1.25, 2.5, 3.75, 5.0]
    assert rig.samples == [1.0, 2.25, 3.5, 4.75]
    await rig.poller.stop()
    assert rig.active == 0 and len(rig.samples) == 4  # stopped mid-poll: that poll never reaches the sink


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
    assert len(out) == 4 and p.polls == 4  # failed samples still reach the sink


async def test_the_loop_backs_off_on_failed_samples_then_recovers() -> None:
    rig = Rig(interval=1.0, ok=False, max_backoff=4.0)
    await rig.start()
    await rig.run_for(14.0)
    # waits of 2, 4, 4, 4 s after 1, 2, 3, 4 failures (×2 each, capped at 4× the interval)
    assert rig.starts == [0.0, 2.0, 6.0, 10.0, 14.0] and rig.poller.failures == 5
    rig.ok = True
    await rig.run_for(4.0)
    assert rig.starts == [0.0, 2.0, 6.0, 10.0, 14.0, 18.0]  # the last failure's 4 s wait, then it answered
    await rig.run_for(2.0)
    assert rig.starts[-3:] == [18.0, 19.0, 20.0] and rig.poller.failures == 0  # back to the interval
    await rig.poller.stop()


async def test_raising_collector_is_reported_and_loop_continues() -> None:
    errors: list[str] = []
    rig = Rig(interval=1.0, on_error=lambda n, e: errors.append(f"{n}:{e}"))
    rig.raises = RuntimeError("bug")
    await rig.start()
    await rig.run_for(6.0)
    assert rig.starts == [0.0, 2.0, 6.0]  # a raise counts as a failure: it backs off too
    assert errors == ["x:bug"] * 3 and rig.samples == [] and rig.poller.polls == 3
    rig.raises = None
    await rig.run_for(4.0)
    assert rig.starts == [0.0, 2.0, 6.0, 10.0] and rig.samples == [10.0] and rig.poller.failures == 0
    await rig.poller.stop()


async def test_a_raising_collector_without_on_error_is_swallowed() -> None:
    rig = Rig(interval=1.0)
    rig.raises = ValueError("quiet")
    await rig.start()
    await rig.run_for(2.0)
    assert rig.starts == [0.0, 2.0] and rig.samples == [] and rig.poller.failures == 2
    await rig.poller.stop()


async def test_pause_stops_polls_and_trigger_runs_one() -> None:
    rig = Rig(interval=1.0)
    p = rig.poller
    await rig.start()
    await rig.run_for(1.0)
    assert rig.starts == [0.0, 1.0]
    p.pause()
    assert p.paused
    await rig.run_for(0.75)
    assert rig.starts == [0.0, 1.0] and rig.clock.sleepers == 1  # pausing does not cut the wait short
    await rig.run_for(0.25)  # the wait in progress ends, sees the pause, and waits for a wake only
    assert rig.starts == [0.0, 1.0] and rig.clock.sleepers == 0
    await rig.run_for(30.0)
    assert rig.starts == [0.0, 1.0]  # paused: nothing
    p.trigger()
    await settle()
    assert rig.starts == [0.0, 1.0, 32.0]  # one manual poll, at once
    await rig.run_for(30.0)
    assert rig.starts == [0.0, 1.0, 32.0] and p.paused  # still paused
    p.resume()
    await settle()
    assert rig.starts[-1] == 62.0 and not p.paused  # resuming polls at once
    await rig.run_for(2.0)
    assert rig.starts == [0.0, 1.0, 32.0, 62.0, 63.0, 64.0]
    await p.stop()


async def test_paused_before_start_waits_for_a_trigger() -> None:
    rig = Rig(interval=1.0)
    rig.poller.pause()
    await rig.start()
    await rig.run_for(10.0)
    assert rig.starts == []
    rig.poller.trigger()
    await settle()
    await rig.run_for(10.0)
    assert rig.starts == [10.0]
    await rig.poller.stop()


async def test_trigger_wakes_a_long_wait() -> None:
    rig = Rig(interval=60.0)
    await rig.start()
    await rig.run_for(5.0)
    assert rig.starts == [0.0]
    rig.poller.trigger()
    await settle()
    assert rig.starts == [0.0, 5.0]
    await rig.run_for(59.75)
    assert rig.starts == [0.0, 5.0]  # the interval counts from the triggered poll
    await rig.run_for(0.25)
    assert rig.starts == [0.0, 5.0, 65.0]
    await rig.poller.stop()


async def test_a_trigger_during_a_poll_runs_the_next_right_after_it() -> None:
    rig = Rig(interval=10.0, took=1.0)
    await rig.start()
    await rig.run_for(0.5)
    rig.poller.trigger()  # mid-poll: never a second poll at once, one as soon as this one ends
    await settle()
    assert rig.starts == [0.0] and rig.peak == 1
    await rig.run_for(0.5)
    assert rig.starts == [0.0, 1.0] and rig.samples == [1.0]
    await rig.run_for(11.0)
    assert rig.starts == [0.0, 1.0, 12.0] and rig.peak == 1
    await rig.poller.stop()


async def test_wake_polls_after_the_delay_asked_while_running_only() -> None:
    rig = Rig(interval=10.0)
    p = rig.poller
    await rig.start()
    await rig.run_for(2.0)
    p.wake(3.0)
    p.wake(0.5)  # a wake already pending: the first one's time stands
    await rig.run_for(2.75)
    assert rig.starts == [0.0]
    await rig.run_for(0.25)
    assert rig.starts == [0.0, 5.0]
    await rig.run_for(10.0)
    assert rig.starts == [0.0, 5.0, 15.0]  # then the interval again, from the woken poll
    p.pause()
    p.wake()
    await rig.run_for(20.0)
    assert rig.starts == [0.0, 5.0, 15.0]  # paused: a wake does nothing (a trigger would)
    await p.stop()


async def test_a_wake_later_than_the_deadline_does_not_delay_the_poll() -> None:
    rig = Rig(interval=2.0)
    await rig.start()
    rig.poller.wake(5.0)
    await rig.run_for(2.0)
    assert rig.starts == [0.0, 2.0]
    await rig.run_for(2.0)
    assert rig.starts == [0.0, 2.0, 4.0]  # the wake was spent by the poll at 2 s
    await rig.poller.stop()


async def test_an_interval_set_by_the_sink_paces_the_next_wait() -> None:
    rig = Rig(interval=1.0)
    paces = iter([5.0, 0.5])

    def sink(sample: S) -> None:  # as the log poller's pace is set from each batch
        rig.samples.append(rig.clock.monotonic())
        rig.poller.interval = next(paces, 2.0)

    rig.poller.sink = sink
    await rig.start()
    await rig.run_for(9.5)
    assert rig.starts == [0.0, 5.0, 5.5, 7.5, 9.5]
    await rig.poller.stop()


async def test_stop_is_idempotent_and_a_stopped_poller_polls_no_more() -> None:
    rig = Rig(interval=1.0)
    await rig.start()
    await rig.poller.stop()
    await rig.poller.stop()
    await rig.run_for(5.0)
    rig.poller.trigger()
    await settle()
    assert rig.starts == [0.0] and rig.clock.sleepers == 0
