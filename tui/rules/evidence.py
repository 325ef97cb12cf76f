"""How the rules cite times and durations in their evidence and summaries (their own formatting: the
widgets have theirs in tui/widgets/format.py)."""

from __future__ import annotations

import time


def hms(t: float) -> str:
    """A sample's wall time as local HH:MM:SS."""
    return time.strftime("%H:%M:%S", time.localtime(t))


def ms(seconds: float | None) -> str:
    return "?" if seconds is None else f"{seconds * 1000:.0f} ms"
