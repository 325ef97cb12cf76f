"""The Textual app: wires collectors → store → rules → widgets and owns the keys.

Collectors run in poll loops (`runtime.poller`) on the app's event loop; blocking ones (file,
NVML) run in threads via `asyncio.to_thread`. Each sample is folded into the `Store` on the UI
thread, the checklist is re-evaluated, and the panels redraw from the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import httpx
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Header

from tui import __version__
from tui.collectors.gpu import NvmlCollector
from tui.collectors.http_util import client_headers
from tui.collectors.logcommand import log_source
from tui.collectors.openwebui import OpenWebUICollector
from tui.collectors.probe import ProbeCollector
from tui.collectors.procs import HostCollector
from tui.collectors.server import ServerCollector
from tui.config import Config
from tui.model.recording import Recorder
from tui.model.samples import LogBatch
from tui.model.store import Store
from tui.rules.catalog import probe_model
from tui.rules.checks import CheckResult
from tui.rules.engine import Checklist as ChecklistState
from tui.rules.engine import input_times
from tui.runtime.poller import Poller
from tui.screens import HelpScreen
from tui.widgets.checklist import CheckDetail, Checklist
from tui.widgets.gpu_panel import GpuPanel
from tui.widgets.ingest_panel import IngestPanel
from tui.widgets.latency_chart import LatencyChart
from tui.widgets.log_panel import LogPanel
from tui.widgets.probe_panel import ProbePanel
from tui.widgets.server_panel import ServerPanel

LOG_INTERVAL = 1.0
W = TypeVar("W", bound=Widget)


def _titled(widget: W, title: str) -> W:
    widget.border_title = title
    return widget


class EmbedtopApp(App[None]):
    """The dashboard. `demo` is the in-process demo target, if any (enables the `f` key)."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "embedtop"
    AUTO_FOCUS = None
    BINDINGS = [
        Binding("p", "probe", "Probe now"),
        Binding("s", "semantic", "Semantic probe"),
        Binding("l", "long_input", "Long-input probe", show=False),
        Binding("plus", "interval(0.5)", "Faster probes", show=False),
        Binding("minus", "interval(2)", "Slower probes", show=False),
        Binding("g", "chart", "Graph/log"),
        Binding("c", "copy_fix", "Copy fix"),
        Binding("space", "pause", "Pause/resume"),
        Binding("f", "fault", "Next fault"),
        Binding("v", "log_filter", "Log level"),
        Binding("o", "log_ours", "Own requests", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        cfg: Config,
        demo: Any = None,
        live: bool = True,
        nvml: ModuleType | None = None,
        store: Store | None = None,
        record: Path | None = None,
        replay: list | None = None,
        speed: float = 1.0,
    ) -> None:
        super().__init__()
        self.cfg = cfg
        self.demo = demo
        self.live = live
        self.store = store or Store()
        self.results: list[CheckResult] = []
        self.checklist = ChecklistState(cfg)
        self.recorder = Recorder(record) if record is not None else None
        if self.recorder is not None:
            rec = self.recorder
            self.checklist.listeners.append(
                lambda e: rec.transition(e.t, e.check_id, e.old.value if e.old else None, e.new.value, e.summary)
            )
        self.replay = replay
        self.speed = speed
        self.replay_t: float | None = None
        self.pollers: dict[str, Poller] = {}
        self.paused = False
        self._client: httpx.AsyncClient | None = None
        self._owui_client: httpx.AsyncClient | None = None
        self._tail: Any = None  # LogTail or CommandTail
        self._gpu = NvmlCollector(nvml, gpus=cfg.gpu)
        self._host = HostCollector()
        self._probe: ProbeCollector | None = None
        self.collector_errors: list[str] = []
        self._marks: set[str] = set()
        self._refresh_pending = False
        self._log_dirty = False
        self._closing = False
        self._semantic_manual = False
        self._last_manual: dict[str, float] = {}

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◉")
        with Horizontal(id="top"):
            yield _titled(ServerPanel(id="server", classes="panel"), "Server")
            yield _titled(ProbePanel(id="probe", classes="panel"), "Probe")
            yield _titled(GpuPanel(id="gpu", classes="panel"), "GPU")
        with Horizontal(id="middle"):
            yield _titled(Checklist(id="checks", classes="panel"), "Checklist")
            yield _titled(CheckDetail(id="detail", classes="panel"), "Evidence & fix")
        with Horizontal(id="bottom"):
            yield _titled(LogPanel(id="log"), self._log_title())
            chart = _titled(LatencyChart(id="chart"), "Latency · g: back to the log")
            chart.display = False
            yield chart
            yield _titled(IngestPanel(id="ingest", classes="panel"), "Ingestion (clients)")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self._subtitle()
        self._sync_log()  # a store handed in pre-filled
        self.refresh_views()
        if self.live:
            self._start_pollers()
        if self.replay:
            self.run_worker(self._play(), group="replay", exclusive=True)

    async def _play(self) -> None:
        """Feed a recording into the store at its own pace (÷ speed); the checklist recomputes everything."""
        records = [r for r in self.replay or () if r[1] != "transition"]
        previous: float | None = None
        for t, _, sample in records:
            if previous is not None and t > previous:
                await asyncio.sleep(min(5.0, (t - previous) / self.speed))
            previous = t
            self.replay_t = t
            self.on_sample(sample)
            self.sub_title = self._subtitle()
        self.notify("replay finished", timeout=5)

    def on_ready(self) -> None:
        self._mark("first_frame_s")

    def _mark(self, key: str) -> None:
        """For bench/: with EMBEDTOP_READY_FILE set, record the wall-clock time of a milestone."""
        path = os.environ.get("EMBEDTOP_READY_FILE")
        if not path or key in self._marks:
            return
        self._marks.add(key)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{key} {time.time():.3f}\n")

    def on_resize(self, event: events.Resize) -> None:
        self.screen.set_class(event.size.height < 32, "short")
        self.screen.set_class(event.size.width < 100, "narrow")

    def _log_title(self, panel: LogPanel | None = None) -> str:
        source = self.cfg.log_source
        if source is None:
            return "Log · none (pass --log FILE, --docker NAME or --journal UNIT)"
        title = f"Log · {source}"
        if panel is not None:
            if panel.level_filter != "all":
                title += f" · {panel.level_filter} only (v)"
            if panel.hidden_ours:
                title += f" · {panel.hidden_ours} own requests hidden (o)"
        return title

    def _sync_log(self) -> None:
        panel = self.query_one(LogPanel)
        panel.sync(self.store.log_events, self.store.log_events_total)
        title = self._log_title(panel)
        if panel.border_title != title:
            panel.border_title = title

    def _subtitle(self) -> str:
        where = f"demo: {self.demo.scenario.name}" if self.demo is not None else self.cfg.url
        if self.replay is not None:
            at = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.replay_t)) if self.replay_t else "start"
            where = f"replay of {self.cfg.url} at {at} ×{self.speed:g}"
        return f"v{__version__} · {where}" + (" · PAUSED" if self.paused else "")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "fault":
            return self.demo is not None
        return True

    # ------------------------------------------------------------ collectors

    def _start_pollers(self) -> None:
        cfg = self.cfg
        headers = client_headers(cfg.api_key, f"embedtop/{__version__}")
        self._client = httpx.AsyncClient(headers=headers, follow_redirects=False, trust_env=False)
        server = ServerCollector(self._client, cfg.url, cfg.timeout, cfg.interval)
        self._probe = ProbeCollector(self._client, cfg.url, cfg.timeout, lambda: probe_model(self.store, cfg))
        specs: list[tuple[str, Any, float]] = [
            ("server", server.collect, cfg.interval),
            ("probe", self._probe.collect, cfg.probe_interval),
            ("semantic", self._semantic, cfg.semantic_interval),
            ("gpu", lambda: asyncio.to_thread(self._gpu.collect), max(cfg.interval, 2.0)),
            ("host", lambda: asyncio.to_thread(self._host.collect), max(cfg.interval, 2.0)),
        ]
        if cfg.openwebui:
            owui_headers = client_headers(cfg.openwebui_key, f"embedtop/{__version__}")
            self._owui_client = httpx.AsyncClient(headers=owui_headers, follow_redirects=False, trust_env=False)
            owui = OpenWebUICollector(self._owui_client, cfg.openwebui, cfg.timeout)
            specs.append(("openwebui", owui.collect, max(cfg.interval, 5.0)))
        tail = log_source(cfg)
        if tail is not None:
            self._tail = tail
            specs.append(("log", lambda: asyncio.to_thread(tail.read), min(LOG_INTERVAL, cfg.interval)))
        for name, collect, interval in specs:
            poller = Poller(name, collect, self.on_sample, interval, on_error=self._collector_error)
            self.pollers[name] = poller
            poller.start()

    def _collector_error(self, name: str, exc: BaseException) -> None:
        # A bug in a collector, not a failure of the watched system: say it, keep running.
        self.collector_errors.append(f"{name}: {type(exc).__name__}: {exc}")
        self.notify(f"collector {name} failed: {type(exc).__name__}", severity="error")

    async def on_unmount(self) -> None:
        self._closing = True
        if self.recorder is not None:
            self.recorder.close()
        for poller in self.pollers.values():
            await poller.stop()
        for client in (self._client, self._owui_client):
            if client is not None:
                await client.aclose()
        if self._tail is not None:
            await asyncio.to_thread(self._tail.close)
        await asyncio.to_thread(self._gpu.close)

    # ------------------------------------------------------------ state → views

    def on_sample(self, sample: Any) -> None:
        """The sink of every poller: fold the sample in and redraw (UI thread)."""
        if self._closing:
            return
        previous = self.store.log_batch
        if self.recorder is not None:
            self.recorder.sample(sample)
        self.store.apply(sample)
        self._evaluate()  # every sample is one observation for the hysteresis (live and replay alike)
        if isinstance(sample, LogBatch):
            if sample.lines:
                self._log_dirty = True
            elif previous is not None and (previous.error, previous.note) == (sample.error, sample.note):
                return  # nothing new in the log: no redraw
        self._schedule_refresh()

    def _evaluate(self) -> None:
        # A replayed or frozen store (live=False) is judged at the time of its newest sample.
        store = self.store
        now = None if self.live else max((t for t in input_times(store).values() if t is not None), default=None)
        self._latest = self.checklist.update(store, now=now, paused=self.paused)

    def _schedule_refresh(self) -> None:
        """Coalesce redraws: samples that arrive together (a poll and its access-log lines) cost one frame."""
        if not self._refresh_pending:
            self._refresh_pending = True
            self.set_timer(0.1, self._do_refresh)

    def _do_refresh(self) -> None:
        self._refresh_pending = False
        if self._closing:
            return  # a timer that fires while the app shuts down
        with contextlib.suppress(NoMatches):  # the screen is already gone (exit in progress)
            self.refresh_views()

    def refresh_views(self) -> None:
        store, cfg = self.store, self.cfg
        self._evaluate()
        self.results = self._latest  # what the table shows from here on
        with self.batch_update():
            if self._log_dirty:
                self._log_dirty = False
                self._sync_log()
            self.query_one(ServerPanel).show(store, cfg)
            self.query_one(ProbePanel).show(store, cfg)
            self.query_one(GpuPanel).show(store)
            self.query_one(LatencyChart).show(store)
            self.query_one(IngestPanel).show(store)
            checks = self.query_one(Checklist)
            checks.show(self.results)
            if not checks.has_focus and checks.cursor_row != 0:
                checks.move_cursor(row=0, animate=False)  # rows are worst first: follow the worst
            self.query_one(CheckDetail).show(checks.result_at_cursor(), list(self.checklist.events))
        if store.server is not None and store.probe is not None:
            self._mark("first_data_frame_s")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.query_one(CheckDetail).show(self.query_one(Checklist).result_at_cursor(), list(self.checklist.events))

    def result(self, check_id: str) -> CheckResult | None:
        return next((r for r in self.results if r.id == check_id), None)

    # ------------------------------------------------------------ actions

    async def _semantic(self) -> Any:
        assert self._probe is not None
        manual, self._semantic_manual = self._semantic_manual, False
        return await self._probe.semantic(manual=manual)

    def _manual_ok(self, key: str) -> bool:
        """Keys may not flood the server: one manual request of a kind per second."""
        now = time.monotonic()
        if now - self._last_manual.get(key, 0.0) < 1.0:
            return False
        self._last_manual[key] = now
        return True

    def action_probe(self) -> None:
        poller = self.pollers.get("probe")
        if poller is None or self._probe is None or not self._manual_ok("probe"):
            return
        self._probe.manual_next = True
        poller.trigger()
        self.notify("probe sent", timeout=2)

    def action_semantic(self) -> None:
        poller = self.pollers.get("semantic")
        if poller is None or not self._manual_ok("semantic"):
            return
        self._semantic_manual = True
        poller.trigger()
        self.notify("semantic probe sent: a query and two documents", timeout=2)

    def action_long_input(self) -> None:
        if self._probe is None or not self._manual_ok("long"):
            return
        server = self.store.server
        model = server.models[0] if server is not None and server.models else None
        max_len = model.max_model_len if model is not None else None
        probe = self._probe
        self.notify(f"long-input probe: {max_len or '?'} + 64 words", timeout=2)

        async def run() -> None:
            self.on_sample(await probe.long_input(max_len))

        self.run_worker(run(), group="long-input", exclusive=True)

    def action_interval(self, factor: float) -> None:
        poller = self.pollers.get("probe")
        if poller is None:
            return
        poller.interval = min(300.0, max(2.0, poller.interval * factor))
        self.notify(f"probe every {poller.interval:g} s", timeout=2)

    def action_copy_fix(self) -> None:
        """Copy the selected check's fix to the clipboard (OSC 52: works over ssh and in tmux with
        `set -g set-clipboard on`)."""
        r = self.query_one(Checklist).result_at_cursor()
        if r is None or not r.fix:
            self.notify("the selected check has no fix to copy", timeout=2)
            return
        self.copy_to_clipboard(r.fix)
        self.notify(f"copied the fix for {r.id}", timeout=2)

    def action_chart(self) -> None:
        chart, log = self.query_one(LatencyChart), self.query_one(LogPanel)
        chart.display, log.display = log.display, chart.display
        if chart.display:
            chart.show(self.store)

    def action_pause(self) -> None:
        self.paused = not self.paused
        for poller in self.pollers.values():
            if self.paused:
                poller.pause()
            else:
                poller.resume()
        self.sub_title = self._subtitle()

    async def action_fault(self) -> None:
        if self.demo is None:
            return
        name = await asyncio.to_thread(self.demo.next_fault)
        self.sub_title = self._subtitle()
        self.notify(f"demo scenario: {name}", timeout=3)
        if not self.paused:
            for poller in self.pollers.values():
                poller.trigger()

    def action_log_filter(self) -> None:
        panel = self.query_one(LogPanel)
        level = panel.cycle_filter()
        panel.border_title = self._log_title(panel)
        self.notify(f"log: showing {level if level == 'all' else level + ' only'}", timeout=2)

    def action_log_ours(self) -> None:
        panel = self.query_one(LogPanel)
        shown = panel.toggle_ours()
        panel.border_title = self._log_title(panel)
        self.notify(f"log: embedtop's own requests {'shown' if shown else 'hidden'}", timeout=2)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())
