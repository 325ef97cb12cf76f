"""Idle near the floor without losing anything: the log follower sleeps until the file changes (inotify) and
still sees rotation and truncation, the process scan reads the known PIDs between full scans and sees a
vanished one at once, the log panel adds rows without rebuilding them and keeps its cap, a stale input
shows with no sample arriving, and a panel whose text did not change is not drawn again."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tui.clock import MockClock
from tui.collectors.logtail import FileWatch, LogTail
from tui.collectors.procs import FULL_SCAN_EVERY, HostCollector
from tui.runtime.poller import Poller

if TYPE_CHECKING:
    from textual.pilot import Pilot

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")


@linux
def test_file_watch_sees_writes_rotation_and_recreation_of_its_file_only(tmp_path: Path) -> None:
    path = tmp_path / "vllm.log"
    watch = FileWatch(path)  # the file need not exist yet: the folder is watched
    try:
        assert not watch.changed()
        path.write_text("one\n")
        assert watch.changed()
        assert not watch.changed()  # read once
        (tmp_path / "other.log").write_text("noise\n")
        assert not watch.changed()
        with path.open("a") as fh:
            fh.write("two\n")
        assert watch.changed()
        os.rename(path, tmp_path / "vllm.log.1")
        assert watch.changed()
        path.write_text("three\n")
        assert watch.changed()
        path.write_text("")  # copy-truncate
        assert watch.changed() and not watch.lost
    finally:
        watch.close()


@linux
def test_file_watch_is_lost_with_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    watch = FileWatch(folder / "vllm.log")
    try:
        folder.rmdir()
        assert watch.changed() and watch.lost
    finally:
        watch.close()


def test_no_folder_no_watch(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        FileWatch(tmp_path / "missing" / "vllm.log")


def test_tail_says_when_a_partial_line_is_pending(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"")
    tail = LogTail(path)
    tail.read()
    with path.open("ab") as fh:
        fh.write(b"done\nhalf")
    assert [x.text for x in tail.read().lines] == ["done"] and tail.partial
    assert tail.read().lines == () and tail.partial
    assert [x.text for x in tail.read().lines] == ["half"] and not tail.partial


async def test_wake_polls_soon_once_and_not_while_paused() -> None:
    clock = MockClock()
    polls: list[float] = []

    async def collect() -> object:
        polls.append(clock.monotonic())
        return None

    p = Poller("log", collect, lambda s: None, interval=30.0, clock=clock)
    p.start()
    await turns()
    assert polls == [0.0]
    clock.advance(1.0)
    p.wake(0.25)
    p.wake(0.25)  # a burst of events: one poll
    await turns()
    clock.advance(0.125)
    await turns()
    assert polls == [0.0]
    clock.advance(0.125)
    await turns()
    assert polls == [0.0, 1.25]
    clock.advance(10.0)
    await turns()
    assert polls == [0.0, 1.25]  # then asleep for the interval
    p.pause()
    p.wake()
    clock.advance(60.0)
    await turns()
    assert polls == [0.0, 1.25]  # paused: a wake does not poll, nor does the end of the wait in progress
    await p.stop()


async def until(pilot: Pilot[object], cond: Callable[[], object], timeout: float = 15.0) -> None:
    """Wait (bounded) for a condition on a live app: real files, inotify and pollers on the real clock."""
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        await pilot.pause(0.05)


async def turns() -> None:
    """Let the tasks the clock woke run until they wait again (loop turns, no wall time)."""
    for _ in range(50):
        await asyncio.sleep(0)


@linux
async def test_watched_log_sleeps_when_quiet_and_reads_a_new_line_at_once(tmp_path: Path) -> None:
    """A quiet watched log is read every LOG_IDLE_S, not every second; a new line is read within ~0.1 s; a
    traceback keeps the one-second cadence until it closes (its root cause settles after 2 quiet seconds)."""
    from tui.app import EmbedtopApp
    from tui.config import Config
    from tui.runtime.target import LOG_IDLE_S

    path = tmp_path / "vllm.log"
    path.write_text("INFO 12-01 10:00:00 [api_server.py:1] started\n")
    app = EmbedtopApp(Config(url="http://127.0.0.1:9", log=path, interval=5, probe_interval=30, timeout=1))
    async with app.run_test(size=(120, 36)) as pilot:
        deadline = time.monotonic() + 10
        while app.targets[0].log_watch is None and time.monotonic() < deadline:
            await pilot.pause(0.05)
        target, poller = app.targets[0], app.targets[0].pollers["log"]
        assert target.log_watch is not None
        await until(pilot, lambda: poller.interval == LOG_IDLE_S)  # the poll after the first lines, then asleep
        n = poller.polls
        await pilot.pause(3.0)  # what is measured: a quiet watched log is not read in these 3 s (but a heartbeat)
        assert poller.polls - n <= 1
        before, t0 = app.targets[0].store.log_lines_total, time.monotonic()
        with path.open("a") as fh:
            fh.write("ERROR 12-01 10:00:05 [core.py:1] EngineCore failed to start.\n")
            fh.write("Traceback (most recent call last):\n")
            fh.write('  File "core.py", line 1, in run\n')
            fh.write("RuntimeError: boom\n")
        while app.targets[0].store.log_lines_total == before and time.monotonic() - t0 < 2:
            await pilot.pause(0.01)
        assert app.targets[0].store.log_lines_total > before and time.monotonic() - t0 < 0.6
        await until(
            pilot, lambda: poller.interval == min(1.0, app.targets[0].cfg.interval)
        )  # the traceback may still grow
        assert target.store.log_state.chains.open_chains
        await until(pilot, lambda: not target.store.log_state.chains.open_chains and poller.interval == LOG_IDLE_S)


async def test_log_without_a_watch_is_polled_every_second(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.app import EmbedtopApp
    from tui.collectors import logtail
    from tui.config import Config

    def no_inotify(path: Path) -> None:
        raise OSError("no inotify here")

    monkeypatch.setattr(logtail, "FileWatch", no_inotify)
    path = tmp_path / "vllm.log"
    path.write_text("INFO 12-01 10:00:00 [api_server.py:1] started\n")
    app = EmbedtopApp(Config(url="http://127.0.0.1:9", log=path, interval=5, probe_interval=30, timeout=1))
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: "log" in app.targets[0].pollers and app.targets[0].pollers["log"].polls >= 3)
        assert app.targets[0].log_watch is None and app.targets[0].pollers["log"].interval == 1.0


def test_process_scan_reads_known_pids_between_full_scans(tmp_path: Path) -> None:
    script = tmp_path / "vllm"
    script.write_text("import time\ntime.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, str(script), "serve", "/models/m", "--port", "8123"])
    try:
        deadline = time.monotonic() + 5
        host = HostCollector()
        sample = host.collect()
        while proc.pid not in {p.pid for p in sample.processes} and time.monotonic() < deadline:
            time.sleep(0.05)
            host.rescan()
            sample = host.collect()
        assert proc.pid in {p.pid for p in sample.processes}
        scans = host.full_scans
        for _ in range(FULL_SCAN_EVERY - 2):
            sample = host.collect()
            assert proc.pid in {p.pid for p in sample.processes}
        assert host.full_scans == scans  # only the known PID was read again
        proc.kill()
        proc.wait()
        sample = host.collect()  # gone: seen at once, and the whole table read again
        assert proc.pid not in {p.pid for p in sample.processes}
        assert proc.pid in {p.pid for p in sample.gone} and host.full_scans == scans + 1
    finally:
        proc.kill()
        proc.wait()


async def test_log_panel_rows_grow_incrementally_and_keep_their_cap() -> None:
    from collections import deque

    from textual.app import App, ComposeResult

    from tui.logs.parse import parse_line
    from tui.state.events import EventGrouper
    from tui.widgets.log_panel import MAX_EVENTS, LogPanel

    def build(lines: list[str]) -> tuple[list, int]:
        grouper, events = EventGrouper(), deque(maxlen=MAX_EVENTS)
        total = 0
        for text in lines:
            event, new = grouper.feed(parse_line(text))
            if new:
                events.append(event)
                total += 1
        return list(events), total

    lines = []
    for i in range(MAX_EVENTS + 300):
        if i % 7 == 0:
            lines.append(f'INFO:     127.0.0.1:1 - "GET /health?embedtop=health HTTP/1.1" 200 OK {i}')
        else:
            lines.append(f"INFO 12-01 10:00:00 [x.py:1] line {i}")

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield LogPanel()

    app = One()
    async with app.run_test(size=(100, 20)) as pilot:
        panel = app.query_one(LogPanel)
        step = 97
        for n in range(step, len(lines) + step, step):  # fed in pieces, as polls bring them
            events, total = build(lines[:n])
            panel.sync(events, total)
            await pilot.pause()
        incremental = [panel.row_text(i) for i in range(panel.row_count)]
        hidden = panel.hidden_ours
        assert panel.follow and panel.scroll_offset.y == panel.row_count - panel.size.height
        panel._rebuild()
        assert [panel.row_text(i) for i in range(panel.row_count)] == incremental
        assert panel.hidden_ours == hidden and len(panel.events) == MAX_EVENTS
        assert incremental[-1].endswith(f"line {len(lines) - 1}")


async def test_a_paused_dashboard_turns_stale_with_no_sample_arriving(tmp_path: Path) -> None:
    from tui.app import EmbedtopApp
    from tui.config import Config
    from tui.demo.target import DemoTarget
    from tui.rules.result import Status

    target = DemoTarget("healthy", tmp_path / "vllm.log").start()
    try:
        cfg = Config(url=target.url, log=target.log_path, interval=0.3, probe_interval=0.3, timeout=0.5)
        app = EmbedtopApp(cfg, demo=target)
        async with app.run_test(size=(120, 36)) as pilot:
            deadline = time.monotonic() + 15
            while (r := app.targets[0].result("api.reachable")) is None or r.status != Status.PASS:
                assert time.monotonic() < deadline
                await pilot.pause(0.05)
            await pilot.press("space")
            paused_at = time.monotonic()
            await until(
                pilot, lambda: (r := app.targets[0].result("api.reachable")) is not None and r.status == Status.STALE
            )
            r = app.targets[0].result("api.reachable")
            assert r is not None and r.status == Status.STALE and "polling is paused" in r.summary
            assert time.monotonic() - paused_at >= 3 * cfg.interval  # stale once its input is old, not at once
    finally:
        target.stop()


def test_a_panel_is_drawn_again_only_when_its_text_changed() -> None:
    from rich.table import Table
    from rich.text import Text

    from tui.widgets.panel import RenderPanel, signature

    def grid(ms: int) -> Table:
        g = Table.grid(padding=(0, 1))
        g.add_column(style="bold")
        g.add_column()
        g.add_row("health", Text(f"200 OK · {ms} ms", style="bold green"))
        return g

    assert signature(grid(3)) == signature(grid(3)) != signature(grid(4))
    assert signature(object()) is None
    panel = RenderPanel()
    drawn: list[int] = []
    panel.refresh = lambda *a, **k: drawn.append(1)  # type: ignore[method-assign]
    panel.set(1, lambda: grid(3))
    panel.set(2, lambda: grid(3))  # a new sample, the same text
    panel.set(3, lambda: grid(4))
    assert len(drawn) == 2


@linux
async def test_a_flooded_log_is_read_once_a_second_not_once_a_write(tmp_path: Path) -> None:
    from tui.app import EmbedtopApp
    from tui.config import Config
    from tui.runtime.target import LOG_IDLE_S

    path = tmp_path / "vllm.log"
    path.write_text("INFO 12-01 10:00:00 [api_server.py:1] started\n")
    app = EmbedtopApp(Config(url="http://127.0.0.1:9", log=path, interval=5, probe_interval=30, timeout=1))
    async with app.run_test(size=(120, 36)) as pilot:
        deadline = time.monotonic() + 10
        while app.targets[0].log_watch is None and time.monotonic() < deadline:
            await pilot.pause(0.05)
        poller = app.targets[0].pollers["log"]
        await until(pilot, lambda: poller.interval == LOG_IDLE_S)  # the first lines read, then asleep
        before = app.targets[0].store.log_lines_total
        n = poller.polls
        for i in range(60):  # 20 writes a second for 3 s
            with path.open("a") as fh:
                fh.write(f"INFO 12-01 10:00:01 [x.py:1] line {i}\n")
            await pilot.pause(0.05)
        await until(pilot, lambda: app.targets[0].store.log_lines_total - before >= 60)
        assert app.targets[0].store.log_lines_total - before == 60  # nothing lost
        assert poller.polls - n <= 6  # the first write wakes it, then the one-second cadence
