"""How the panels write times and draw sparklines: one place for each, so every panel reads alike."""

from __future__ import annotations

import time
from collections.abc import Sequence

BLOCKS = "▁▂▃▄▅▆▇█"


def hms(t: float) -> str:
    """A sample time as the local wall clock: "18:55:23"."""
    return time.strftime("%H:%M:%S", time.localtime(t))


def stamp(t: float) -> str:
    """A sample time with its date: "2026-11-24 18:55:23" (a replay's cursor)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def spark(values: Sequence[float], width: int, top: float | None = None, spread: bool = False) -> str:
    """One block per value on a 0..top scale, at most `width` of them.

    `top`: the scale's end (a card's memory: a full card reads as full blocks); without it the largest value
    (all zero: the lowest block each). The newest `width` values; `spread`: every n-th value instead, so the
    whole history fits."""
    if top is None:
        values = list(values)[-width:]
        top = max(values, default=0.0)
        if top <= 0:
            return BLOCKS[0] * len(values)
    elif not values or top <= 0:
        return ""
    elif spread and len(values) > width:
        values = list(values)[:: max(1, len(values) // width)][-width:]
    else:
        values = list(values)[-width:]
    last = len(BLOCKS) - 1
    return "".join(BLOCKS[min(last, int(v / top * last + 0.5))] for v in values)


def span(seconds: float) -> str:
    """A duration, short: "7 s", "12 min", "2 h 05", "3 d"."""
    s = max(0.0, seconds)
    if s < 100:
        return f"{s:.0f} s"
    if s < 6000:
        return f"{s / 60:.0f} min"
    if s < 172800:
        return f"{s // 3600:.0f} h {s % 3600 // 60:02.0f}"
    return f"{s / 86400:.0f} d"
