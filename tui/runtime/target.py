"""One watched vLLM server at run time: its config, store, checklist, recorder and poll loops.

The dashboard holds one `TargetRun` per target (one, or one per `[[targets]]` table). Host-wide
collectors (NVML, the process scan) are run once by the app and their samples handed to every
target's `on_sample`. Each sample is folded into the target's own store and is one observation
for its checklist's hysteresis; `on_change(target, sample)` then tells the UI to redraw.
No Textual here: the same object could drive a headless loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tui import __version__
from tui.collectors.http_util import client_headers
from tui.collectors.logcommand import log_source
from tui.collectors.openwebui import OpenWebUICollector
from tui.collectors.owuilog import owui_log_source
from tui.collectors.probe import ProbeCollector
from tui.collectors.server import ServerCollector
from tui.config import Config
from tui.model.recording import Recorder
from tui.model.samples import LogBatch
from tui.model.store import Store
from tui.rules.catalog import probe_model, probe_root
from tui.rules.checks import CheckResult
from tui.rules.engine import Checklist, input_times
from tui.runtime.poller import Poller

LOG_INTERVAL = 1.0
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
        self.checklist = Checklist(cfg)
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
        self.view_dirty = True  # for the UI: something to redraw / new log lines to show
        self.log_dirty = True
        self._clients: list[httpx.AsyncClient] = []
        self._closing = False

    @property
    def name(self) -> str:
        return self.cfg.label

    # ------------------------------------------------------------ pollers

    def start(self, on_error: OnError | None = None) -> None:
        """Create the HTTP clients and start this target's poll loops (on the running event loop)."""
        cfg = self.cfg
        headers = client_headers(cfg.api_key, f"embedtop/{__version__}")
        client = httpx.AsyncClient(headers=headers, follow_redirects=False, trust_env=False)
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
            owui_client = httpx.AsyncClient(headers=owui_headers, follow_redirects=False, trust_env=False)
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
        for name, collect, interval in specs:
            poller = Poller(name, collect, self.on_sample, interval, on_error=on_error)
            self.pollers[name] = poller
            poller.start()

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
        self.checklist = Checklist(self.cfg)
        self.latest, self.results = [], []
        self.view_dirty = self.log_dirty = True

    # ------------------------------------------------------------ samples

    def on_sample(self, sample: Any) -> None:
        """Fold one sample in, judge the checklist once, and tell the UI when there is something to redraw."""
        if self._closing:
            return
        previous = self.store.log_batch
        if self.recorder is not None:
            self.recorder.sample(sample)
        self.store.apply(sample)
        self.evaluate()  # every sample is one observation for the hysteresis (live and replay alike)
        if isinstance(sample, LogBatch):
            if sample.lines:
                self.log_dirty = True
            elif previous is not None and (previous.error, previous.note) == (sample.error, sample.note):
                return  # nothing new in the log: nothing to redraw
        self.view_dirty = True
        if self.on_change is not None:
            self.on_change(self, sample)

    def evaluate(self) -> list[CheckResult]:
        """One observation for the hysteresis. A replayed or frozen store (live=False) is judged at the time
        of its newest sample."""
        store = self.store
        now = None if self.live else max((t for t in input_times(store).values() if t is not None), default=None)
        self.latest = self.checklist.update(store, now=now, paused=self.paused)
        return self.latest
