"""Replay: a time cursor over one or more recordings (state/recording.py), and the loop that plays them.

`ReplayCursor` is pure: it orders every recorded sample by time (with the index of its target) and hands
them out — one at a time (`step`), everything up to a time (`seek`), or up to the next recorded status
change (`next_change`). Going back starts over from the first sample (`Seek.restart`), so the checklist's
hysteresis sees the same sequence it saw live. The caller folds the samples into its targets; `play()`
paces them on a clock at the recording's own speed (÷ `speed`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tui.clock import SYSTEM, Clock

Record = tuple[float, str, Any]  # (t, kind, sample or transition dict), as recording.read() yields them
MAX_GAP_S = 5.0  # a pause in the recording longer than this plays as this long
PAUSED_POLL_S = 0.1


@dataclass(frozen=True)
class Seek:
    """What a move of the cursor asks of the caller: start every target over (`restart`), then fold in
    `samples` (target index, sample) in this order."""

    restart: bool = False
    samples: list[tuple[int, Any]] = field(default_factory=list)


class ReplayCursor:
    """The position in one recording (a list of records) or several (one per target, on one shared clock)."""

    def __init__(self, recordings: Sequence[Sequence[Record]] | Sequence[Record]) -> None:
        if recordings and isinstance(recordings[0], tuple):
            recordings = [recordings]  # type: ignore[list-item]
        each: list[Sequence[Record]] = list(recordings)  # type: ignore[arg-type]
        self.samples: list[tuple[float, int, Any]] = sorted(
            ((t, i, s) for i, recs in enumerate(each) for t, kind, s in recs if kind != "transition"),
            key=lambda x: x[0],
        )
        self.changes: list[float] = sorted(t for recs in each for t, kind, _ in recs if kind == "transition")
        self.targets = len(each)
        self.pos = 0  # the index of the next sample
        self.t: float | None = None  # the time of the last sample handed out (None: at the start)
        self._change: float | None = None  # the status change `next_change` moved to (until another move)

    @property
    def done(self) -> bool:
        return self.pos >= len(self.samples)

    @property
    def fraction(self) -> float | None:
        """How far it is (0..1), None for an empty recording."""
        return self.pos / len(self.samples) if self.samples else None

    def step(self) -> tuple[int, Any] | None:
        """The next sample (target index, sample), None at the end."""
        if self.done:
            return None
        t, i, sample = self.samples[self.pos]
        self.pos += 1
        self.t = t
        return i, sample

    def gap(self) -> float | None:
        """Recorded seconds from the last sample handed out to the next one (None: nothing to wait for)."""
        if self.done or self.t is None:
            return None
        return self.samples[self.pos][0] - self.t

    def seek(self, when: float) -> Seek:
        """Move to `when`: every sample up to it (from the start again when going back)."""
        if not self.samples:
            return Seek()
        self._change = None
        restart = self.t is not None and when < self.t
        if restart:
            self.pos = 0
        out = []
        while not self.done and self.samples[self.pos][0] <= when:
            _, i, sample = self.samples[self.pos]
            out.append((i, sample))
            self.pos += 1
        self.t = self.samples[self.pos - 1][0] if self.pos else None
        return Seek(restart, out)

    def seek_by(self, seconds: float) -> Seek:
        """Move `seconds` forward (or back, negative) from where it is (from the first sample at the start)."""
        if not self.samples:
            return Seek()
        return self.seek((self.t if self.t is not None else self.samples[0][0]) + seconds)

    def next_change(self) -> tuple[Seek, int] | None:
        """Move to the next recorded status change: the move and how many changes come after it; None when
        no later change was recorded. A change is stamped when it was judged, a moment after the sample that
        caused it: the cursor stops at that sample, and the next call moves on to the change after."""
        now = self.t if self.t is not None else float("-inf")
        if self._change is not None:
            now = max(now, self._change)
        later = [t for t in self.changes if t > now]
        if not later:
            return None
        move = self.seek(later[0])
        self._change = later[0]
        return move, len(later) - 1


async def play(
    cursor: ReplayCursor,
    deliver: Callable[[int, Any], None],
    speed: float = 1.0,
    clock: Clock = SYSTEM,
    paused: Callable[[], bool] = lambda: False,
) -> None:
    """Hand every sample to `deliver(target index, sample)` at the recording's pace ÷ `speed` (gaps longer
    than MAX_GAP_S play as that long). While `paused()`, wait; the cursor may be moved meanwhile."""
    while not cursor.done:
        if paused():
            await clock.sleep(PAUSED_POLL_S)
            continue
        step = cursor.step()
        if step is None:
            break
        deliver(*step)
        gap = cursor.gap()
        if gap is not None and gap > 0:
            await clock.sleep(min(MAX_GAP_S, gap / speed))
