"""The panels' shared formatting: times and sparklines (tui/widgets/format.py)."""

from __future__ import annotations

import time

from tui.widgets.format import BLOCKS, hms, spark, stamp


def test_times_are_local_wall_clock() -> None:
    t = time.mktime((2026, 11, 24, 18, 55, 23, 0, 0, -1))
    assert hms(t) == "18:55:23" and stamp(t) == "2026-11-24 18:55:23"


def test_spark_on_its_own_scale_and_on_a_fixed_one() -> None:
    assert spark([0, 5, 10], 10) == "▁▅█"
    assert spark([0.0, 0.0], 10) == "▁▁"  # nothing yet: the lowest block each
    assert spark([1, 2, 3, 4], 2) == "▆█"  # the newest `width` values
    assert spark([12, 24], 10, top=24) == "▅█"  # a card half full, then full
    assert spark([], 10, top=24) == "" and spark([3], 10, top=0) == ""
    history = list(range(100))
    assert len(spark(history, 10, top=100, spread=True)) == 10  # the whole history, every n-th value
    assert spark(history, 10, top=100, spread=True)[0] == BLOCKS[0]
