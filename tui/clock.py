"""Time, injected: the one place embedtop's runtime reads the wall clock, the monotonic clock or sleeps.

Rules never read the clock: they get `now`. The Poller, the target runtime and the headless rounds take a
`Clock` (default `SYSTEM`); tests hand them a `MockClock` and step it, as Textual's own `MockClock` does for
its widgets, so a test controls time instead of sleeping through it and a recording replayed a day later is
judged at its own times.
"""

from __future__ import annotations

import asyncio
import time


class Clock:
    """The real clocks. `time()` is wall time (sample stamps), `monotonic()` measures spans."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM = Clock()


class MockClock(Clock):
    """A clock that moves only when told. `sleep()` returns once `advance()` has moved time past its end.

    Both clocks move together; `time()` starts at `start` (a wall time), `monotonic()` at 0.
    """

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._offset = start
        self._t = 0.0
        self._waiters: list[tuple[float, asyncio.Future[None]]] = []

    def time(self) -> float:
        return self._offset + self._t

    def monotonic(self) -> float:
        return self._t

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((self._t + seconds, fut))
        await fut

    @property
    def sleepers(self) -> int:
        """How many coroutines are waiting in `sleep()` now."""
        return sum(1 for _, f in self._waiters if not f.done())

    def advance(self, seconds: float) -> None:
        """Move time on and wake every sleeper whose end has come (they run at the loop's next turn)."""
        self._t += max(0.0, seconds)
        due = [(end, f) for end, f in self._waiters if end <= self._t]
        self._waiters = [(end, f) for end, f in self._waiters if end > self._t]
        for _, fut in sorted(due, key=lambda x: x[0]):
            if not fut.done():
                fut.set_result(None)

    def set(self, wall: float) -> None:
        """Jump to a wall time (forward only), waking sleepers as `advance` does."""
        self.advance(wall - self.time())
