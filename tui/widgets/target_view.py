"""One target's dashboard: Server, Probe and GPU panels, the checklist with its evidence & fix, and the
log (or latency graph) beside the ingestion panel. The app shows one of these, or one per tab."""

from __future__ import annotations

from typing import TypeVar

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget

from tui.config import Config
from tui.rules.result import CheckResult
from tui.state.processes import target_processes
from tui.state.store import Store
from tui.widgets.checklist import CheckDetail, Checklist
from tui.widgets.gpu_panel import GpuPanel
from tui.widgets.ingest_panel import IngestPanel
from tui.widgets.latency_chart import LatencyChart
from tui.widgets.log_panel import LogPanel
from tui.widgets.probe_panel import ProbePanel
from tui.widgets.server_panel import ServerPanel

W = TypeVar("W", bound=Widget)


def titled(widget: W, title: str) -> W:
    widget.border_title = title
    return widget


def log_title(cfg: Config, panel: LogPanel | None = None) -> str:
    source = cfg.log_source
    if source is None:
        return "Log · none (pass --log FILE, --docker NAME or --journal UNIT)"
    title = f"Log · {source}"
    if panel is not None:
        if panel.level_filter != "all":
            title += f" · {panel.level_filter} only (v)"
        if panel.hidden_ours:
            title += f" · {panel.hidden_ours} own requests hidden (o)"
    return title


class TargetView(Vertical):
    """The panels of one target, drawn from its store and checklist results."""

    DEFAULT_CSS = """
    TargetView { height: 1fr; }
    """

    def __init__(self, cfg: Config, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cfg = cfg
        self._log_store: Store | None = None  # the store the log panel shows (held: identity, not id())
        self._events: list = []  # the target's recent status changes, as last shown

    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            yield titled(ServerPanel(id="server", classes="panel"), "Server")
            yield titled(ProbePanel(id="probe", classes="panel"), "Probe")
            yield titled(GpuPanel(id="gpu", classes="panel"), "GPU")
        with Horizontal(id="middle"):
            yield titled(Checklist(id="checks", classes="panel"), "Checklist")
            yield titled(CheckDetail(id="detail", classes="panel"), "Evidence & fix")
        with Horizontal(id="bottom"):
            yield titled(LogPanel(id="log"), log_title(self.cfg))
            chart = titled(LatencyChart(id="chart"), "Latency · g: back to the log")
            chart.display = False
            yield chart
            yield titled(IngestPanel(id="ingest", classes="panel"), "Ingestion (clients)")

    def sync_log(self, store: Store) -> None:
        panel = self.query_one(LogPanel)
        if self._log_store is not store:  # a new store (a replay that sought back): start the view again
            if self._log_store is not None:
                panel.reset()
            self._log_store = store
        panel.sync(store.log_events, store.log_events_total)
        self.retitle_log()

    def retitle_log(self) -> None:
        panel = self.query_one(LogPanel)
        panel.set_title(log_title(self.cfg, panel))

    def show(self, store: Store, results: list[CheckResult], events: list, shared_host: bool = False) -> None:
        """Redraw every panel (the caller batches the update). `shared_host`: other targets run on this host,
        so the GPU panel puts this target's GPUs first and dims the others' processes."""
        cfg = self.cfg
        self._events = events
        self.query_one(ServerPanel).show(store, cfg)
        self.query_one(ProbePanel).show(store, cfg)
        own = target_processes(store, cfg) if shared_host else None
        self.query_one(GpuPanel).show(store, frozenset(p.pid for p in own) if own is not None else None)
        self.query_one(LatencyChart).show(store)
        self.query_one(IngestPanel).show(store)
        checks = self.query_one(Checklist)
        checks.show(results)
        if not checks.has_focus and checks.cursor_row != 0:
            checks.move_cursor(row=0, animate=False)  # rows are worst first: follow the worst
        self.query_one(CheckDetail).show(checks.result_at_cursor(), events)

    def cycle_log_filter(self) -> str:
        level = self.query_one(LogPanel).cycle_filter()
        self.retitle_log()
        return level

    def toggle_log_ours(self) -> bool:
        shown = self.query_one(LogPanel).toggle_ours()
        self.retitle_log()
        return shown

    def on_checklist_check_highlighted(self, message: Checklist.CheckHighlighted) -> None:
        self.query_one(CheckDetail).show(message.result, self._events)

    def toggle_chart(self, store: Store) -> None:
        chart, log = self.query_one(LatencyChart), self.query_one(LogPanel)
        chart.display, log.display = log.display, chart.display
        if chart.display:
            chart.show(store)
