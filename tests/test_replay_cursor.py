"""The replay cursor (tui/runtime/replay.py) without Textual: order, stepping, seeking, status changes, and
the player's pace on a MockClock."""

from __future__ import annotations

import asyncio

from tui.clock import MockClock
from tui.runtime.replay import MAX_GAP_S, ReplayCursor, Seek, play

A = [(10.0, "ServerSample", "a1"), (12.0, "transition", {"id": "x"}), (20.0, "ProbeSample", "a2")]
B = [(11.0, "ServerSample", "b1"), (30.0, "ServerSample", "b2"), (31.0, "transition", {"id": "y"})]


def test_one_recording_steps_in_time_order() -> None:
    cursor = ReplayCursor(A)
    assert cursor.targets == 1 and cursor.fraction == 0.0 and cursor.t is None and cursor.gap() is None
    assert cursor.step() == (0, "a1") and cursor.t == 10.0 and cursor.gap() == 10.0
    assert cursor.step() == (0, "a2") and cursor.done and cursor.fraction == 1.0
    assert cursor.step() is None and cursor.gap() is None


def test_several_recordings_share_one_clock() -> None:
    cursor = ReplayCursor([A, B])
    assert cursor.targets == 2
    assert [cursor.step() for _ in range(4)] == [(0, "a1"), (1, "b1"), (0, "a2"), (1, "b2")]
    assert cursor.changes == [12.0, 31.0]


def test_seek_forward_folds_everything_up_to_the_time() -> None:
    cursor = ReplayCursor([A, B])
    assert cursor.seek(15.0) == Seek(False, [(0, "a1"), (1, "b1")]) and cursor.t == 11.0
    assert cursor.seek(15.0) == Seek(False, []) and cursor.t == 11.0  # already there
    assert cursor.seek_by(60) == Seek(False, [(0, "a2"), (1, "b2")]) and cursor.done and cursor.t == 30.0


def test_seek_back_starts_over_from_the_first_sample() -> None:
    cursor = ReplayCursor([A, B])
    cursor.seek(25.0)
    back = cursor.seek_by(-12)  # 11 - 12 + ... : from t=20 to 8, before the first sample
    assert back == Seek(True, []) and cursor.t is None and cursor.pos == 0
    again = cursor.seek(11.0)
    assert again == Seek(False, [(0, "a1"), (1, "b1")])
    assert cursor.seek(10.5) == Seek(True, [(0, "a1")]) and cursor.t == 10.0


def test_seek_by_from_the_start_counts_from_the_first_sample() -> None:
    cursor = ReplayCursor(A)
    assert cursor.seek_by(5) == Seek(False, [(0, "a1")])
    assert ReplayCursor([]).seek_by(5) == Seek() and ReplayCursor([]).fraction is None


def test_next_change_stops_at_each_recorded_change() -> None:
    cursor = ReplayCursor([A, B])
    move = cursor.next_change()
    assert move == (Seek(False, [(0, "a1"), (1, "b1")]), 1) and cursor.t == 11.0
    move = cursor.next_change()
    assert move == (Seek(False, [(0, "a2"), (1, "b2")]), 0) and cursor.t == 30.0
    assert cursor.next_change() is None


async def run(task: asyncio.Task, clock: MockClock, step: float, turns: int = 400) -> None:
    """Let the loop run and move the clock `step` at a time until the task is done (bounded)."""
    for _ in range(turns):
        await asyncio.sleep(0)
        if task.done():
            break
        clock.advance(step)
    assert task.done(), "the player never finished"
    await task


async def test_play_keeps_the_recordings_pace_on_the_clock() -> None:
    clock = MockClock(start=0.0)
    got: list[tuple[float, int, str]] = []
    task = asyncio.create_task(
        play(ReplayCursor([A, B]), lambda i, s: got.append((clock.monotonic(), i, s)), 2.0, clock)
    )
    await run(task, clock, 0.25)
    # Gaps of 1 s, 9 s and 10 s at speed 2: 0.5 s, 4.5 s, and 5 s (MAX_GAP_S: no longer).
    assert [(i, s) for _, i, s in got] == [(0, "a1"), (1, "b1"), (0, "a2"), (1, "b2")]
    assert [t for t, _, _ in got] == [0.0, 0.5, 5.0, 10.0] and MAX_GAP_S == 5.0


async def test_play_waits_while_paused() -> None:
    clock = MockClock(start=0.0)
    paused = True
    got: list[str] = []
    task = asyncio.create_task(play(ReplayCursor(A), lambda i, s: got.append(s), 1.0, clock, lambda: paused))
    for _ in range(10):
        await asyncio.sleep(0)
        clock.advance(1.0)
    assert got == [] and not task.done()
    paused = False
    await run(task, clock, 1.0)
    assert got == ["a1", "a2"]
