"""One watched vLLM server at run time: its config, store, checklist, recorder and poll loops.

The dashboard holds one `TargetRun` per target (one, or one per `[[targets]]` table). Host-wide
collectors (NVML, the process scan) are run once by the app and their samples handed to every
target's `on_sample`. Each sample is folded into the target's own store and is one observation
for its checklist's hysteresis; `on_change(target, sample)` then tells the UI to redraw.
No Textual here: the same object could drive a headless loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui import __version__
from tui.collectors.owuilog import owui_log_source
from tui.collectors.owuistore import OwuiStoreCollector
from tui.config import Config
from tui.rules.result import CheckResult
from tui.rules.shown import STORE_INTERVAL, ShownChecklist, input_times, stale_limits
from tui.runtime.poller import Poller
from tui.samples import LogBatch, OwuiLogBatch
from tui.state.recording import Recorder
from tui.state.store import Store
from tui.state.target_facts import probe_model, probe_root

if TYPE_CHECKING:
    import httpx

    from tui.collectors.logtail import FileWatch
    from tui.collectors.probe import ProbeCollector

LOG_INTERVAL = 1.0
LOG_IDLE_S = 4.0  # a watched log that is quiet: read at least this often (its stale limit is 8 s)
LOG_GATHER_S = 0.1  # a change wakes the follower this long after, so a burst of writes is one read
OnChange = Callable[["TargetRun", Any], None]
OnError = Callable[[str, BaseException], Any]


class TargetRun:
    """A target's state and its own pollers (server + /metrics, probe, semantic probe, log, Open WebUI)."""

    def __init__(
        self,
        cfg: Config,
        on_change: OnChange | None = None,
        live: bool = True,
        store: Store | None = None,
        record: Path | None = None,
        demo: Any = None,
    ) -> None:
        self.cfg = cfg
        self.on_change = on_change
        self.live = live
        self.demo = demo  # the in-process demo target behind this one, if any
        self.store = store or Store()
        self.checklist = ShownChecklist(cfg)
        self.latest: list[CheckResult] = []  # the verdict after the newest sample
        self.results: list[CheckResult] = []  # what the views show (set when they redraw)
        self.recorder = Recorder(record) if record is not None else None
        if self.recorder is not None:
            rec = self.recorder
            self.checklist.listeners.append(
                lambda e: rec.transition(e.t, e.check_id, e.old.value if e.old else None, e.new.value, e.summary)
            )
        self.pollers: dict[str, Poller] = {}
        self.paused = False
        self.probe: ProbeCollector | None = None
        self.tail: Any = None  # LogTail or CommandTail
        self.owui_tail: Any = None  # Open WebUI's own log (OwuiLogCollector)
        self.semantic_manual = False
        self.log_watch: FileWatch | None = None
        self._log_busy = False
        self.view_dirty = True  # for the UI: something to redraw / new log lines to show
        self.log_dirty = True
        self._clients: list[httpx.AsyncClient] = []
        self._closing = False

    @property
    def name(self) -> str:
        return self.cfg.label

    # ------------------------------------------------------------ pollers

    def start(self, on_error: OnError | None = None) -> None:
        """Create the HTTP clients and start this target's poll loops (on the running event loop). The
        collectors are imported here, not with the module: the dashboard's first frame does not wait
        for httpx and their parsers."""
        from tui.collectors.http_util import client_headers, make_client
        from tui.collectors.logcommand import log_source
        from tui.collectors.logtail import LogTail
        from tui.collectors.openwebui import OpenWebUICollector
        from tui.collectors.probe import ProbeCollector
        from tui.collectors.server import ServerCollector

        cfg = self.cfg
        headers = client_headers(cfg.api_key, f"embedtop/{__version__}")
        client = make_client(cfg.url, headers)
        self._clients.append(client)
        server = ServerCollector(client, cfg.url, cfg.timeout, cfg.interval)
        self.probe = ProbeCollector(
            client,
            cfg.url,
            cfg.timeout,
            lambda: probe_model(self.store, cfg),
            lambda: probe_root(self.store, cfg),
        )
        specs: list[tuple[str, Any, float]] = [
            ("server", server.collect, cfg.interval),
            ("probe", self.probe.collect, cfg.probe_interval),
            ("semantic", self._semantic, cfg.semantic_interval),
        ]
        if cfg.openwebui:
            # Its own client: Open WebUI's key only, never vLLM's.
            owui_headers = client_headers(cfg.openwebui_key, f"embedtop/{__version__}")
            owui_client = make_client(cfg.openwebui, owui_headers)
            self._clients.append(owui_client)
            owui = OpenWebUICollector(owui_client, cfg.openwebui, cfg.timeout)
            specs.append(("openwebui", owui.collect, max(cfg.interval, 5.0)))
        tail = log_source(cfg)
        if tail is not None:
            self.tail = tail
            specs.append(("log", lambda: asyncio.to_thread(tail.read), min(LOG_INTERVAL, cfg.interval)))
        owui_tail = owui_log_source(cfg)
        if owui_tail is not None:
            self.owui_tail = owui_tail
            specs.append(("owui_log", owui_tail.collect, min(LOG_INTERVAL, cfg.interval)))
        if cfg.openwebui_data is not None:
            specs.append(("owui_store", OwuiStoreCollector(cfg.openwebui_data).collect, STORE_INTERVAL))
        for name, collect, interval in specs:
            poller = Poller(name, collect, self.on_sample, interval, on_error=on_error)
            self.pollers[name] = poller
            poller.start()
        if isinstance(tail, LogTail):
            self._watch_log(tail.path)

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
            poller.interval = min(LOG_INTERVAL, self.cfg.interval)

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

    async def _semantic(self) -> Any:
        assert self.probe is not None
        manual, self.semantic_manual = self.semantic_manual, False
        return await self.probe.semantic(manual=manual)

    async def stop(self) -> None:
        self._closing = True
        if self.recorder is not None:
            self.recorder.close()
        for poller in self.pollers.values():
            await poller.stop()
        for client in self._clients:
            await client.aclose()
        self._unwatch_log()
        if self.tail is not None:
            await asyncio.to_thread(self.tail.close)
        if self.owui_tail is not None:
            await asyncio.to_thread(self.owui_tail.close)

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        for poller in self.pollers.values():
            if paused:
                poller.pause()
            else:
                poller.resume()

    def trigger_all(self) -> None:
        for poller in self.pollers.values():
            poller.trigger()

    def probe_now(self) -> bool:
        poller = self.pollers.get("probe")
        if poller is None or self.probe is None:
            return False
        self.probe.manual_next = True
        poller.trigger()
        return True

    def semantic_now(self) -> bool:
        poller = self.pollers.get("semantic")
        if poller is None:
            return False
        self.semantic_manual = True
        poller.trigger()
        return True

    def max_model_len(self) -> int | None:
        server = self.store.server
        model = server.models[0] if server is not None and server.models else None
        return model.max_model_len if model is not None else None

    def reset(self) -> None:
        """Start over with an empty store and checklist (a replay that seeks back)."""
        self.store = Store()
        self.checklist = ShownChecklist(self.cfg)
        self.latest, self.results = [], []
        self.view_dirty = self.log_dirty = True

    # ------------------------------------------------------------ samples

    def on_sample(self, sample: Any) -> None:
        """Fold one sample in, judge the checklist once, and tell the UI when there is something to redraw."""
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
            if sample.lines:
                self.log_dirty = True
            elif previous is not None and (previous.error, previous.note) == (sample.error, sample.note):
                return  # nothing new in the log: nothing to redraw
        quiet = isinstance(sample, OwuiLogBatch) and not sample.lines and owui_previous is not None
        if quiet and (owui_previous.error, owui_previous.note) == (sample.error, sample.note):
            return  # nothing new in Open WebUI's log either
        self.view_dirty = True
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
        before = [(r.id, r.status, r.summary) for r in self.latest]
        self.evaluate()
        if [(r.id, r.status, r.summary) for r in self.latest] == before:
            return False
        self.view_dirty = True
        return True

    def evaluate(self) -> list[CheckResult]:
        """One observation for the hysteresis. A replayed or frozen store (live=False) is judged at the time
        of its newest sample."""
        store = self.store
        newest = max((t for t in input_times(store).values() if t is not None), default=None)
        now = time.time() if self.live or newest is None else newest
        self.latest = self.checklist.update(store, now=now, paused=self.paused)
        return self.latest
