"""Rates and percentiles over a time window, from counter and histogram-bucket DELTAS between scrapes.

Lifetime averages hide what is happening now, so everything here is an increase over the window.
A counter that goes down (vLLM restarted) restarts from zero: the increase across that step is the new
value, never negative — Prometheus' `increase()` rule. Percentiles follow `histogram_quantile()`:
linear interpolation inside the bucket that holds the rank, the first bucket starting at 0, and the
highest finite bound when the rank falls in +Inf.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import pairwise

from tui.samples import Histogram, MetricsSample


def increase(values: Sequence[float]) -> float:
    """Total increase of a counter over consecutive readings, reset-aware."""
    total = 0.0
    for prev, cur in pairwise(values):
        total += cur - prev if cur >= prev else cur
    return total


def in_window(history: Sequence[MetricsSample], seconds: float, now: float) -> list[MetricsSample]:
    """The good scrapes in the window, plus the last one before it (the baseline for deltas)."""
    good = [m for m in history if m.ok]
    start = now - seconds
    inside = [m for m in good if m.t >= start]
    before = [m for m in good if m.t < start]
    return ([before[-1]] if before else []) + inside


def _restarted(prev: MetricsSample, cur: MetricsSample) -> bool:
    return prev.start_time is not None and cur.start_time is not None and cur.start_time != prev.start_time


def counter_increase(samples: Sequence[MetricsSample], read: Callable[[MetricsSample], float | None]) -> float | None:
    """Increase of one counter across the samples (None with fewer than two readings)."""
    total, seen = 0.0, 0
    for prev, cur in pairwise(samples):
        a, b = read(prev), read(cur)
        if a is None or b is None:
            continue
        seen += 1
        total += b if (b < a or _restarted(prev, cur)) else b - a
    return total if seen else None


def histogram_increase(samples: Sequence[MetricsSample], name: str) -> Histogram | None:
    """Per-bucket increase of a histogram across the samples, reset-aware (a reset: any bucket goes down)."""
    acc: dict[float, float] = {}
    total_sum = total_count = 0.0
    seen = 0
    for prev, cur in pairwise(samples):
        a, b = prev.histograms.get(name), cur.histograms.get(name)
        if a is None or b is None:
            continue
        seen += 1
        before = dict(a.buckets)
        reset = _restarted(prev, cur) or b.count < a.count or any(v < before.get(le, 0.0) for le, v in b.buckets)
        for le, v in b.buckets:
            acc[le] = acc.get(le, 0.0) + (v if reset else v - before.get(le, 0.0))
        total_sum += b.sum if reset else b.sum - a.sum
        total_count += b.count if reset else b.count - a.count
    if not seen:
        return None
    return Histogram(tuple(sorted(acc.items())), total_sum, total_count)


def quantile(q: float, hist: Histogram) -> float | None:
    """Prometheus `histogram_quantile(q, …)` over cumulative buckets; None when nothing was observed."""
    buckets = [(le, c) for le, c in hist.buckets]
    if not buckets or buckets[-1][1] <= 0:
        return None
    total = buckets[-1][1]
    rank = q * total
    prev_le, prev_count = 0.0, 0.0
    for le, count in buckets:
        if count >= rank:
            if math.isinf(le):
                return prev_le  # rank in +Inf: the highest finite bound is all that is known
            if count == prev_count:
                return le
            return prev_le + (le - prev_le) * (rank - prev_count) / (count - prev_count)
        prev_le, prev_count = le, count
    return prev_le


def percentiles(values: Sequence[float], qs: Sequence[float] = (0.5, 0.95, 0.99)) -> list[float]:
    """Exact percentiles of raw values (nearest-rank on the sorted list), for the probe's own latencies."""
    if not values:
        return []
    ordered = sorted(values)
    n = len(ordered)
    return [ordered[min(n - 1, max(0, math.ceil(q * n) - 1))] for q in qs]
