"""Poll loops: one asyncio task per collector, never overlapping, with back-off and pause.

The next poll is scheduled from the *end* of the previous one, so a slow target can never pile
up requests. Failures back off (×2 per failure, up to 4× the interval) so a dead server costs
little, and a `trigger()` (the `p` key) runs a poll at once. Every wait and time read goes through the
injected `Clock` (tui/clock.py): tests step a `MockClock` instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from tui.clock import SYSTEM, Clock

Collect = Callable[[], Awaitable[Any]]
Sink = Callable[[Any], None]


class Poller:
    """Runs `collect()` every `interval` seconds and hands each sample to `sink`."""

    def __init__(
        self,
        name: str,
        collect: Collect,
        sink: Sink,
        interval: float,
        max_backoff: float = 4.0,
        on_error: Callable[[str, BaseException], Any] | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        self.name = name
        self.collect = collect
        self.sink = sink
        self.interval = interval
        self.max_backoff = max_backoff
        self.on_error = on_error
        self.clock = clock
        self.failures = 0
        self.polls = 0
        self._wake = asyncio.Event()
        self._manual = False
        self._soon: float | None = None  # monotonic time of a poll asked for by `wake()`
        self._running = asyncio.Event()
        self._running.set()
        self._task: asyncio.Task[None] | None = None

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def start(self) -> asyncio.Task[None]:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name=f"poll-{self.name}")
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()
        self.trigger()

    def trigger(self) -> None:
        """Poll now (also while paused: a manual request is honoured once, then it stays paused)."""
        self._manual = True
        self._wake.set()

    def wake(self, after: float = 0.0) -> None:
        """Poll `after` seconds from now if running (the source says it has something new: what else comes
        in that time is read by the same poll); unlike `trigger()`, not while paused."""
        if self._running.is_set() and self._soon is None:
            self._soon = self.clock.monotonic() + after
            self._wake.set()

    def next_delay(self) -> float:
        factor = min(2.0**self.failures, self.max_backoff) if self.failures else 1.0
        return self.interval * factor

    async def poll_once(self) -> Any:
        try:
            sample = await self.collect()
        except Exception as exc:  # a collector bug must not kill the loop; report it
            self.failures += 1
            if self.on_error is not None:
                self.on_error(self.name, exc)
            return None
        finally:
            self.polls += 1
        ok = getattr(sample, "ok", True)
        self.failures = 0 if ok else self.failures + 1
        self.sink(sample)
        return sample

    async def _wait_next(self) -> None:
        deadline = self.clock.monotonic() + self.next_delay()
        while True:
            if self._manual:
                self._manual = False
                return
            remaining: float | None = None
            if self._running.is_set():
                due = deadline if self._soon is None else min(deadline, self._soon)
                remaining = due - self.clock.monotonic()
                if remaining <= 0:
                    self._soon = None
                    return
            else:
                self._soon = None
            self._wake.clear()
            if self._manual:
                continue
            await self._sleep(remaining)

    async def _sleep(self, seconds: float | None) -> None:
        """Until `seconds` have passed on the clock (None: forever) or something sets `_wake`."""
        if seconds is None:
            await self._wake.wait()
            return
        woken = asyncio.ensure_future(self._wake.wait())
        slept = asyncio.ensure_future(self.clock.sleep(seconds))
        try:
            await asyncio.wait((woken, slept), return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            slept.cancel()

    async def _loop(self) -> None:
        if not self._running.is_set():
            await self._wait_next()
        while True:
            await self.poll_once()
            await self._wait_next()


def set_paused(pollers: Iterable[Poller], paused: bool) -> None:
    """Pause or resume every poller of a group (a target's, the host's)."""
    for poller in pollers:
        if paused:
            poller.pause()
        else:
            poller.resume()


def trigger(pollers: Iterable[Poller]) -> None:
    """Poll every one of a group now."""
    for poller in pollers:
        poller.trigger()
