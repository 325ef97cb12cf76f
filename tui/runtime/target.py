"""One watched vLLM server at run time: its config, store, checklist, recorder and poll loops.

The dashboard holds one `TargetRun` per target (one, or one per `[[targets]]` table). It polls the
target's sources (runtime/sources.py, one `Poller` each); the host-wide samples (NVML, the process scan)
come from runtime/host.py through `on_sample` like its own. Each sample is folded into the store and
judged once: the checklist's verdict (`results`) is the one verdict of this target, and `on_change(target,
sample)` says there is something new to show. Time alone can change that verdict too (an input goes
stale when its poller is stuck or paused): a timer on the injected clock judges again when the oldest
input's limit runs out. No Textual here: the UI turns `on_change` into a message.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui import __version__
from tui.clock import SYSTEM, Clock
from tui.config import Config
from tui.rules.result import CheckResult
from tui.rules.shown import ShownChecklist, input_times, stale_limits
from tui.runtime import poller as polling
from tui.runtime.poller import Poller
from tui.runtime.sources import LOG_INTERVAL, Sources, build_sources
from tui.samples import LogBatch, OwuiLogBatch
from tui.state.recording import Recorder
from tui.state.store import Store
from tui.state.target_facts import served_model

if TYPE_CHECKING:
    from tui.collectors.logtail import FileWatch

LOG_IDLE_S = 4.0  # a watched log that is quiet: read at least this often (its stale limit is 8 s)
LOG_GATHER_S = 0.1  # a change wakes the follower this long after, so a burst of writes is one read
STALE_MARGIN_S = 0.05  # judge again this long after an input's limit ran out
OnChange = Callable[["TargetRun", Any], None]
OnError = Callable[[str, BaseException], Any]


class TargetRun:
    """A target's state and its own pollers (server + /metrics, probe, semantic probe, log, Open WebUI).

    `live=False` (a replay, a frozen store): no pollers, and the store is judged at the time of its newest
    sample, never the clock's, so a recording judged a day later gives the verdicts it gave live."""

    def __init__(
        self,
        cfg: Config,
        on_change: OnChange | None = None,
        live: bool = True,
        store: Store | None = None,
        record: Path | None = None,
        demo: Any = None,
        clock: Clock = SYSTEM,
    ) -> None:
        self.cfg = cfg
        self.on_change = on_change
        self.live = live
        self.demo = demo  # the in-process demo target behind this one, if any
        self.clock = clock
        self.store = store or Store()
        self.checklist = ShownChecklist(cfg)
        self.recorder = Recorder(record) if record is not None else None
        self._listen()
        self.pollers: dict[str, Poller] = {}
        self.sources: Sources | None = None
        self.paused = False
        self.log_watch: FileWatch | None = None
        self._log_busy = False
        self._closing = False
        self._stale_task: asyncio.Task[None] | None = None
        self._stale_due: float | None = None
        if store is not None:
            self.evaluate()  # a store handed in pre-filled: judged once before its first draw

    def _listen(self) -> None:
        rec = self.recorder
        if rec is not None:
            self.checklist.listeners.append(
                lambda e: rec.transition(e.t, e.check_id, e.old.value if e.old else None, e.new.value, e.summary)
            )

    @property
    def name(self) -> str:
        return self.cfg.label

    @property
    def results(self) -> list[CheckResult]:
        """The verdict after the newest sample (what every view shows): kept by the checklist, nowhere else."""
        return self.checklist.results

    def result(self, check_id: str) -> CheckResult | None:
        return next((r for r in self.results if r.id == check_id), None)

    @property
    def probe(self) -> Any:
        """The probe collector (manual and long-input probes), once polling started."""
        return self.sources.probe if self.sources is not None else None

    @property
    def tail(self) -> Any:
        """vLLM's log follower (LogTail or CommandTail), once polling started and when there is a log."""
        return self.sources.tail if self.sources is not None else None

    # ------------------------------------------------------------ pollers

    def start(self, on_error: OnError | None = None) -> None:
        """Build the sources (and their HTTP clients) and start one poll loop each, on the running loop."""
        from tui.collectors.logtail import LogTail

        self.sources = build_sources(self.cfg, f"embedtop/{__version__}", lambda: self.store)
        for source in self.sources:
            poller = Poller(
                source.name, source.collect, self.on_sample, source.interval, on_error=on_error, clock=self.clock
            )
            self.pollers[source.name] = poller
            poller.start()
        if isinstance(self.sources.tail, LogTail):
            self._watch_log(self.sources.tail.path)

    def _watch_log(self, path: Path) -> None:
        """Sleep until the log file changes (inotify on the event loop) instead of reading it every second."""
        from tui.collectors.logtail import FileWatch

        try:
            watch = FileWatch(path)
        except (ImportError, OSError):
            return  # no inotify here, or no folder yet: the follower polls every second
        loop = asyncio.get_running_loop()
        try:
            loop.add_reader(watch.fileno(), self._on_log_event)
        except (NotImplementedError, OSError):
            watch.close()
            return
        self.log_watch = watch

    def _on_log_event(self) -> None:
        watch, poller = self.log_watch, self.pollers.get("log")
        if watch is None or poller is None:
            return
        fast = min(LOG_INTERVAL, self.cfg.interval)
        if watch.changed() and poller.interval > fast:
            poller.wake(LOG_GATHER_S)  # asleep: read now; while lines keep coming, the one-second cadence reads them
        if watch.lost:
            self._unwatch_log()
            poller.interval = fast

    def _unwatch_log(self) -> None:
        watch, self.log_watch = self.log_watch, None
        if watch is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(watch.fileno())
            watch.close()

    def _pace_log(self, batch: LogBatch) -> None:
        """The log poller's next interval. With a watch on the file: every second while something the
        one-second cadence decides is pending (a partial last line, a traceback still open, a check that
        reads the log held by the hysteresis, one quiet poll after other lines: it closes their record),
        else asleep until the file changes (a heartbeat every LOG_IDLE_S keeps the log's data fresh).
        Batches of embedtop's own access lines alone change none of that."""
        poller = self.pollers.get("log")
        if poller is None:
            return
        busy = not all(line.kind == "access" and line.ours for line in batch.lines)
        pending = (
            busy
            or self._log_busy
            or getattr(self.tail, "partial", False)
            or bool(self.store.log_state.chains.open_chains)
            or self.checklist.settling("log")
        )
        self._log_busy = busy  # the poll after other lines runs at the one-second cadence too
        fast = min(LOG_INTERVAL, self.cfg.interval)
        poller.interval = fast if self.log_watch is None or pending else max(fast, LOG_IDLE_S)

    async def stop(self) -> None:
        self._closing = True
        if self._stale_task is not None:
            self._stale_task.cancel()
        if self.recorder is not None:
            self.recorder.close()
        for poller in self.pollers.values():
            await poller.stop()
        self._unwatch_log()
        if self.sources is not None:
            await self.sources.aclose()

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        polling.set_paused(self.pollers.values(), paused)

    def trigger_all(self) -> None:
        polling.trigger(self.pollers.values())

    def probe_now(self) -> bool:
        poller = self.pollers.get("probe")
        if poller is None or self.sources is None:
            return False
        self.sources.probe.manual_next = True
        poller.trigger()
        return True

    def semantic_now(self) -> bool:
        poller = self.pollers.get("semantic")
        if poller is None or self.sources is None:
            return False
        self.sources.semantic_manual = True
        poller.trigger()
        return True

    def max_model_len(self) -> int | None:
        """The context length of the served model the probe asks for (the long-input probe goes past it)."""
        model = served_model(self.store, self.cfg)
        return model.max_model_len if model is not None else None

    async def long_input(self) -> bool:
        """Send the long-input probe (max_model_len + 64 words) and fold its answer in. False: not polling."""
        if self.sources is None:
            return False
        self.on_sample(await self.sources.probe.long_input(self.max_model_len()))
        return True

    def reset(self) -> None:
        """Start over with an empty store and checklist (a replay that seeks back)."""
        self.store = Store()
        self.checklist = ShownChecklist(self.cfg)
        self._listen()

    # ------------------------------------------------------------ samples

    def on_sample(self, sample: Any) -> None:
        """Fold one sample in, judge the checklist once, and say so when there is something new to show."""
        if self._closing:
            return
        previous = self.store.log_batch
        owui_previous = self.store.owui_log.batch
        if self.recorder is not None:
            self.recorder.sample(sample)
        self.store.apply(sample)
        self.evaluate()  # every sample is one observation for the hysteresis (live and replay alike)
        if isinstance(sample, LogBatch):
            if self.live:
                self._pace_log(sample)
            if (
                not sample.lines
                and previous is not None
                and (previous.error, previous.note)
                == (
                    sample.error,
                    sample.note,
                )
            ):
                return  # nothing new in the log: nothing to redraw
        quiet = isinstance(sample, OwuiLogBatch) and not sample.lines and owui_previous is not None
        if quiet and (owui_previous.error, owui_previous.note) == (sample.error, sample.note):
            return  # nothing new in Open WebUI's log either
        self._changed(sample)

    def _changed(self, sample: Any) -> None:
        if self.on_change is not None:
            self.on_change(self, sample)

    def stale_deadlines(self) -> list[float]:
        """When each input's newest sample gets too old to vouch for (live only)."""
        limits = stale_limits(self.cfg)
        return [
            t + limit
            for name, t in input_times(self.store).items()
            if t is not None and (limit := limits.get(name)) is not None
        ]

    def recheck(self) -> bool:
        """Judge again with no new sample (time alone moved on: an input went stale). True: the verdict changed."""
        before = [(r.id, r.status, r.summary) for r in self.results]
        self.evaluate()
        return [(r.id, r.status, r.summary) for r in self.results] != before

    def evaluate(self) -> list[CheckResult]:
        """One observation for the hysteresis, at the clock's time; a replayed or frozen store (live=False)
        at the time of its newest sample."""
        store = self.store
        if self.live:
            now = self.clock.time()
        else:
            now = max((t for t in input_times(store).values() if t is not None), default=self.clock.time())
        results = self.checklist.update(store, now, paused=self.paused)
        self._arm_stale_check()
        return results

    # ------------------------------------------------------------ time alone

    @property
    def next_recheck(self) -> float | None:
        """When time alone judges the store again (an input's stale limit runs out), on the clock's wall time."""
        return self._stale_due

    def _arm_stale_check(self) -> None:
        """Wake once when the oldest input turns stale (a stuck or paused poller sends no sample that would
        show it): the verdict changes with time alone then, and nothing else would judge it again."""
        if not self.live or self._closing:
            return
        now = self.clock.time()
        due = min((d for d in self.stale_deadlines() if d > now), default=None)
        if due == self._stale_due:
            return
        if self._stale_task is not None:
            self._stale_task.cancel()
            self._stale_task = None
        self._stale_due = due
        if due is not None:
            with contextlib.suppress(RuntimeError):  # no running loop (a store judged before the app runs)
                self._stale_task = asyncio.get_running_loop().create_task(
                    self._stale_after(due - now + STALE_MARGIN_S), name=f"stale-{self.name}"
                )

    async def _stale_after(self, seconds: float) -> None:
        await self.clock.sleep(seconds)
        self._stale_task, self._stale_due = None, None
        if self._closing:
            return
        if self.recheck():  # it arms the next wake-up
            self._changed(None)
