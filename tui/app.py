"""The Textual app: wires collectors → store → rules → widgets and owns the keys.

Each watched server is a `runtime.target.TargetRun` (its store, checklist and poll loops); host-wide
collectors (NVML, the process scan) run once here and feed every target. Blocking collectors (file,
NVML, /proc) run in threads via `asyncio.to_thread`. One target: one dashboard. Several (a config with
`[[targets]]`): an Overview tab (a row per target) and one tab per target with the same dashboard.
Redraws are coalesced, and only the visible target's panels are redrawn.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.css.query import NoMatches
from textual.widgets import DataTable, Footer, Header, TabbedContent, TabPane

from tui import __version__
from tui.config import Config
from tui.rules.overview import overview_row
from tui.rules.result import CheckResult, Status
from tui.rules.shown import ShownChecklist as ChecklistState
from tui.runtime.poller import Poller
from tui.runtime.target import TargetRun
from tui.samples import ServerSample
from tui.screens import HelpScreen
from tui.state.store import Store
from tui.widgets.checklist import Checklist
from tui.widgets.overview import Overview, OverviewTable
from tui.widgets.styles import STATUS_LOOK
from tui.widgets.target_view import TargetView

HOST_INTERVAL = 2.0
OVERVIEW = "tab-overview"


class EmbedtopApp(App[None]):
    """The dashboard. `cfg` is one target or a list of them; `demo` is the in-process demo target of each
    (None for a real server), which enables the `f` key."""

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
        Binding("0", "tab(0)", "Overview", show=False),
        *(Binding(str(n), f"tab({n})", f"Target {n}", show=False) for n in range(1, 10)),
        Binding("left_square_bracket", "cycle(-1)", "Prev target", show=False),
        Binding("right_square_bracket", "cycle(1)", "Next target", show=False),
        Binding("n", "replay_next", "Next change", show=False),
        Binding("greater_than_sign", "replay_seek(60)", "+1 min", show=False),
        Binding("less_than_sign", "replay_seek(-60)", "-1 min", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        cfg: Config | Sequence[Config],
        demo: Any = None,
        live: bool = True,
        nvml: ModuleType | None = None,
        store: Store | Sequence[Store] | None = None,
        record: Path | Sequence[Path | None] | None = None,
        replay: list | None = None,
        speed: float = 1.0,
        exporter: Any = None,
    ) -> None:
        super().__init__()
        cfgs = [cfg] if isinstance(cfg, Config) else list(cfg)
        if not cfgs:
            raise ValueError("no targets")
        n = len(cfgs)
        demos = list(demo) if isinstance(demo, list | tuple) else [demo]
        records = list(record) if isinstance(record, list | tuple) else [record]
        stores = list(store) if isinstance(store, list | tuple) else [store]
        demos += [None] * (n - len(demos))
        records += [None] * (n - len(records))
        stores += [None] * (n - len(stores))
        self.live = live
        self.targets = [
            TargetRun(c, self._on_target_change, live, stores[i], records[i], demos[i]) for i, c in enumerate(cfgs)
        ]
        self.multi = n > 1
        self.active_index: int | None = None if self.multi else 0  # None: the overview tab
        # Replay: one recording (a list of records) or one per target (a list of such lists).
        self.replay = replay
        replays = [] if not replay else [replay] if isinstance(replay[0], tuple) else list(replay)
        self.speed = speed
        self.replay_t: float | None = None
        # The samples of every recording in time order (t, target index, sample), the cursor (index of
        # the next one) and the times of the recorded status changes.
        self._samples = sorted(
            ((t, i, s) for i, recs in enumerate(replays) for t, kind, s in recs if kind != "transition"),
            key=lambda x: x[0],
        )
        self._changes = sorted(t for recs in replays for t, kind, _ in recs if kind == "transition")
        self.replay_pos = 0
        self.shared_pollers: dict[str, Poller] = {}
        self.paused = False
        self._nvml = nvml
        self._gpu: Any = None  # NvmlCollector and HostCollector, made when polling starts (after the first frame)
        self._host: Any = None
        self.collector_errors: list[str] = []
        self._marks: set[str] = set()
        self._had_data = False
        self._unknown_gpu_pids: set[int] = set()
        self._health: dict[int, int | None] = {}  # id(target) → its last /health status
        self._refresh_pending = False
        self._closing = False
        self._last_manual: dict[str, float] = {}
        self._tab_status: dict[int, Status] = {}
        self._stale_handle: asyncio.TimerHandle | None = None
        self._stale_due: float | None = None
        self.exporter = exporter  # tui.exporter.Exporter serving /metrics beside the dashboard (watch --export)
        self._exported = 0.0

    # ------------------------------------------------------------ the first target (one-target API)

    @property
    def cfg(self) -> Config:
        return self.targets[0].cfg

    @property
    def store(self) -> Store:
        return self.targets[0].store

    @property
    def checklist(self) -> ChecklistState:
        return self.targets[0].checklist

    @property
    def results(self) -> list[CheckResult]:
        return self.targets[0].results

    @property
    def demo(self) -> Any:
        return self.targets[0].demo

    @property
    def pollers(self) -> dict[str, Poller]:
        return {**self.shared_pollers, **self.targets[0].pollers}

    @property
    def _tail(self) -> Any:
        return self.targets[0].tail

    def result(self, check_id: str, target: int = 0) -> CheckResult | None:
        return next((r for r in self.targets[target].results if r.id == check_id), None)

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◉")
        if not self.multi:
            yield TargetView(self.targets[0].cfg, id="view-0")
        else:
            with TabbedContent(id="tabs", initial=OVERVIEW):
                with TabPane("Overview", id=OVERVIEW):
                    yield Overview(id="overview")
                for i, t in enumerate(self.targets):
                    with TabPane(self._tab_label(i, None), id=f"tab-{i}"):
                        yield TargetView(t.cfg, id=f"view-{i}")
        yield Footer()

    def _tab_label(self, i: int, status: Status | None) -> Content:
        name = f"{i + 1} {self.targets[i].name}"  # plain text: a name is never read as markup
        if status is None:
            return Content(name)
        glyph, style = STATUS_LOOK[status]
        return Content.assemble((glyph.split()[0], style), " ", name)

    def on_mount(self) -> None:
        self.sub_title = self._subtitle()
        self.refresh_views()  # a store handed in pre-filled
        if self.replay:
            self.run_worker(self._play(), group="replay", exclusive=True)

    async def _play(self) -> None:
        """Feed a recording into the store at its own pace (÷ speed); the checklist recomputes everything.
        The cursor (`replay_pos`) may be moved meanwhile: space pauses, n / > / < seek."""
        samples = self._samples
        while self.replay_pos < len(samples):
            if self.paused:
                await asyncio.sleep(0.1)
                continue
            t, i, sample = samples[self.replay_pos]
            self.replay_pos += 1
            self.replay_t = t
            self.targets[i].on_sample(sample)
            self.sub_title = self._subtitle()
            if self.replay_pos < len(samples):
                gap = samples[self.replay_pos][0] - t
                if gap > 0:
                    await asyncio.sleep(min(5.0, gap / self.speed))
        self.notify("replay finished", timeout=5)

    def seek(self, when: float) -> None:
        """Move the replay cursor to `when`: every sample up to it is folded in at once (from the start
        again when going back, so the checklist's hysteresis sees the same sequence)."""
        samples = self._samples
        if not samples:
            return
        if self.replay_t is not None and when < self.replay_t:
            for target in self.targets:
                target.reset()
            self.replay_pos = 0
        while self.replay_pos < len(samples) and samples[self.replay_pos][0] <= when:
            _, i, sample = samples[self.replay_pos]
            self.targets[i].on_sample(sample)
            self.replay_pos += 1
        self.replay_t = samples[self.replay_pos - 1][0] if self.replay_pos else None
        self.sub_title = self._subtitle()
        self._schedule_refresh()

    def action_replay_seek(self, seconds: float) -> None:
        if self._samples:
            self.seek((self.replay_t if self.replay_t is not None else self._samples[0][0]) + seconds)

    def action_replay_next(self) -> None:
        now = self.replay_t if self.replay_t is not None else float("-inf")
        later = [t for t in self._changes if t > now]
        if not later:
            self.notify("no later status change in this recording", timeout=3)
            return
        self.seek(later[0])
        self.notify(f"at the next status change ({len(later) - 1} more)", timeout=3)

    def on_ready(self) -> None:
        """The first frame is on screen: now start polling (its HTTP clients, NVML, the process scan and
        their imports do not delay the frame). After the first data, the objects of the start are
        frozen out of the garbage collector's full passes (they live as long as the app)."""
        self._mark("first_frame_s")
        if self.live and not self._closing:
            self._start_pollers()

    def _freeze_startup(self) -> None:
        if not self._closing:
            gc.collect()
            gc.freeze()

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

    def _view(self, i: int) -> TargetView:
        return self.query_one(f"#view-{i}", TargetView)

    def _active(self) -> TargetRun | None:
        return None if self.active_index is None else self.targets[self.active_index]

    def _subtitle(self) -> str:
        if self.replay is not None:
            at = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.replay_t)) if self.replay_t else "start"
            done = f"{100 * self.replay_pos / len(self._samples):.0f} %" if self._samples else "empty"
            what = self.cfg.url if not self.multi else f"{len(self.targets)} targets"
            where = f"replay of {what} at {at} ({done}) ×{self.speed:g} · n > <"
        elif self.multi:
            active = self._active()
            where = f"{len(self.targets)} targets · " + (
                f"{active.name} ({active.cfg.url})" if active is not None else "overview"
            )
            if active is not None and active.demo is not None:
                where += f" · demo: {active.demo.scenario.name}"
        else:
            where = f"demo: {self.demo.scenario.name}" if self.demo is not None else self.cfg.url
        return f"v{__version__} · {where}" + (" · PAUSED" if self.paused else "")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "fault":
            return any(t.demo is not None for t in self.targets)
        if action in ("tab", "cycle"):
            return self.multi
        if action.startswith("replay_"):
            return self.replay is not None
        return True

    # ------------------------------------------------------------ collectors

    def _start_pollers(self) -> None:
        from tui.collectors.gpu import NvmlCollector
        from tui.collectors.procs import HostCollector

        self._gpu = NvmlCollector(self._nvml, gpus=self.targets[0].cfg.gpu)
        self._host = HostCollector()
        for t in self.targets:
            on_error = self._collector_error if not self.multi else self._target_error(t.name)
            t.start(on_error=on_error)
        interval = max(min(t.cfg.interval for t in self.targets), HOST_INTERVAL)
        shared: list[tuple[str, Any]] = [
            ("gpu", lambda: asyncio.to_thread(self._gpu.collect)),
            ("host", lambda: asyncio.to_thread(self._host.collect)),
        ]
        for name, collect in shared:
            poller = Poller(name, collect, self._to_every_target, interval, on_error=self._collector_error)
            self.shared_pollers[name] = poller
            poller.start()

    def _to_every_target(self, sample: Any) -> None:
        devices = getattr(sample, "devices", None)
        if devices and self._host is not None:  # NVML names a PID the process scan does not know: look again
            self._host.watch_gpu_pids(p.pid for d in devices for p in (d.processes or ()))  # which exist here
            unknown = {p.pid for d in devices for p in (d.processes or ())} - self._host.known
            if unknown and unknown != self._unknown_gpu_pids:  # once per new set (a PID from another namespace
                self._host.rescan()  # never shows up here)
            self._unknown_gpu_pids = unknown
        for t in self.targets:
            t.on_sample(sample)

    def _target_error(self, name: str) -> Any:
        return lambda poller, exc: self._collector_error(f"{name}/{poller}", exc)

    def _collector_error(self, name: str, exc: BaseException) -> None:
        # A bug in a collector, not a failure of the watched system: say it, keep running.
        self.collector_errors.append(f"{name}: {type(exc).__name__}: {exc}")
        self.notify(f"collector {name} failed: {type(exc).__name__}", severity="error")

    async def on_unmount(self) -> None:
        self._closing = True
        if self._stale_handle is not None:
            self._stale_handle.cancel()
        for t in self.targets:
            await t.stop()
        for poller in self.shared_pollers.values():
            await poller.stop()
        if self._gpu is not None:
            await asyncio.to_thread(self._gpu.close)

    # ------------------------------------------------------------ state → views

    def _on_target_change(self, target: TargetRun, sample: Any) -> None:
        """A target folded in a sample that changes what it shows (UI thread)."""
        if self._closing:
            return
        if self._host is not None and isinstance(sample, ServerSample):
            health = sample.health.status
            if self._health.get(id(target), health) != health:  # up, down or restarted: who owns the port now?
                self._host.rescan()
            self._health[id(target)] = health
        self._schedule_refresh()

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
        """Show every target's verdict (judged once per sample, when it arrived), redraw the visible
        target, or the overview (several targets) while it is the tab shown."""
        with self.batch_update():
            for i, t in enumerate(self.targets):
                if not t.latest:
                    t.evaluate()  # a store handed in pre-filled: judged once before its first draw
                t.results = t.latest
                if i == self.active_index and (t.view_dirty or t.log_dirty):
                    self._draw(i)
            if self.multi:
                self._draw_overview()
        self._arm_stale_check()
        if self.exporter is not None and time.monotonic() - self._exported >= 1.0:
            self._exported = time.monotonic()  # at most once a second: what the dashboard shows, as metrics
            for t in self.targets:
                self.exporter.update(t.cfg, t.store, t.results)
        first = self.targets[0].store
        if first.server is not None and first.probe is not None and not self._had_data:
            self._had_data = True
            self._mark("first_data_frame_s")
            if self.live:
                self.set_timer(1.0, self._freeze_startup)

    def _draw(self, i: int) -> None:
        t = self.targets[i]
        view = self._view(i)
        if t.log_dirty:
            t.log_dirty = False
            view.sync_log(t.store)
        t.view_dirty = False
        view.show(t.store, t.results, list(t.checklist.events), shared_host=self.multi)

    def _draw_overview(self) -> None:
        """The tab titles carry each target's status (always on screen); the overview's table only while shown."""
        rows = [overview_row(t.cfg, t.store, t.results) for t in self.targets]
        if self.active_index is None:
            changes = sorted(
                ((t.name, e) for t in self.targets for e in t.checklist.events), key=lambda c: c[1].t, reverse=True
            )
            self.query_one(Overview).show(rows, changes)
        tabs = self.query_one(TabbedContent)
        for i, row in enumerate(rows):
            if self._tab_status.get(i) != row.status:
                self._tab_status[i] = row.status
                tabs.get_tab(f"tab-{i}").label = self._tab_label(i, row.status)

    def _arm_stale_check(self) -> None:
        """Wake once when the oldest input of any target turns stale (a stuck or paused poller sends no
        sample that would show it): the verdict changes with time alone then, and nothing else wakes us."""
        if not self.live or self._closing:
            return
        now = time.time()
        due = min((d for t in self.targets for d in t.stale_deadlines() if d > now), default=None)
        if due == self._stale_due:
            return
        if self._stale_handle is not None:
            self._stale_handle.cancel()
            self._stale_handle = None
        self._stale_due = due
        if due is not None:
            self._stale_handle = asyncio.get_running_loop().call_later(due - now + 0.05, self._stale_check)

    def _stale_check(self) -> None:
        self._stale_handle, self._stale_due = None, None
        if self._closing:
            return
        changed = [t for t in self.targets if t.recheck()]
        if changed:
            self._schedule_refresh()
        else:
            self._arm_stale_check()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane.id or ""
        self.active_index = int(pane.removeprefix("tab-")) if pane.startswith("tab-") and pane != OVERVIEW else None
        if self.active_index is not None:
            self.targets[self.active_index].view_dirty = True
        self.sub_title = self._subtitle()
        self.refresh_views()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        table = event.data_table
        if isinstance(table, OverviewTable):
            self.query_one(Overview).show_detail()
            return
        view = next((node for node in table.ancestors if isinstance(node, TargetView)), None)
        if view is not None and view.id:
            i = int(view.id.removeprefix("view-"))
            view.show_detail(list(self.targets[i].checklist.events))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if isinstance(event.data_table, OverviewTable) and event.row_key.value:
            self.action_tab(int(event.row_key.value))

    # ------------------------------------------------------------ actions

    def _manual_ok(self, key: str) -> bool:
        """Keys may not flood the server: one manual request of a kind per second."""
        now = time.monotonic()
        if now - self._last_manual.get(key, 0.0) < 1.0:
            return False
        self._last_manual[key] = now
        return True

    def _chosen(self) -> list[TargetRun]:
        """What a probe key acts on: the shown target, or every target from the overview."""
        active = self._active()
        return [active] if active is not None else list(self.targets)

    def _one(self, what: str) -> TargetRun | None:
        active = self._active()
        if active is None:
            self.notify(f"{what}: open a target's tab first (1-{min(9, len(self.targets))})", timeout=3)
        return active

    def action_probe(self) -> None:
        if not self._manual_ok("probe"):
            return
        sent = [t for t in self._chosen() if t.probe_now()]
        if sent:
            self.notify("probe sent" + (f" to {len(sent)} targets" if len(sent) > 1 else ""), timeout=2)

    def action_semantic(self) -> None:
        if not self._manual_ok("semantic"):
            return
        if [t for t in self._chosen() if t.semantic_now()]:
            self.notify("semantic probe sent: a query and two documents", timeout=2)

    def action_long_input(self) -> None:
        target = self._one("long-input probe")
        if target is None or target.probe is None or not self._manual_ok("long"):
            return
        max_len = target.max_model_len()
        probe = target.probe
        self.notify(f"long-input probe: {max_len or '?'} + 64 words", timeout=2)

        async def run() -> None:
            target.on_sample(await probe.long_input(max_len))

        self.run_worker(run(), group="long-input", exclusive=True)

    def action_interval(self, factor: float) -> None:
        changed = None
        for t in self._chosen():
            poller = t.pollers.get("probe")
            if poller is not None:
                poller.interval = changed = min(300.0, max(2.0, poller.interval * factor))
        if changed is not None:
            self.notify(f"probe every {changed:g} s", timeout=2)

    def action_copy_fix(self) -> None:
        """Copy the selected check's fix to the clipboard (OSC 52: works over ssh and in tmux with
        `set -g set-clipboard on`)."""
        if self.active_index is None:
            table = self.query_one(OverviewTable)
            index = table.selected()
            r = table.rows_shown[index].worst if index is not None else None
        else:
            r = self._view(self.active_index).query_one(Checklist).result_at_cursor()
        if r is None or not r.fix:
            self.notify("the selected check has no fix to copy", timeout=2)
            return
        self.copy_to_clipboard(r.fix)
        self.notify(f"copied the fix for {r.id}", timeout=2)

    def action_chart(self) -> None:
        target = self._one("latency graph")
        if target is not None:
            self._view(self.targets.index(target)).toggle_chart(target.store)

    def action_pause(self) -> None:
        self.paused = not self.paused
        for t in self.targets:
            t.set_paused(self.paused)
        for poller in self.shared_pollers.values():
            if self.paused:
                poller.pause()
            else:
                poller.resume()
        self.sub_title = self._subtitle()

    async def action_fault(self) -> None:
        target = self._active()
        if target is None:  # the overview: the selected row's target
            index = self.query_one(OverviewTable).selected() if self.multi else 0
            target = self.targets[index or 0]
        if target.demo is None:
            self.notify(f"{target.name} is a real server: f switches demo targets only", timeout=3)
            return
        name = await asyncio.to_thread(target.demo.next_fault)
        self.sub_title = self._subtitle()
        self.notify(f"demo scenario: {name}" + (f" on {target.name}" if self.multi else ""), timeout=3)
        if not self.paused:
            if self._host is not None:
                self._host.rescan()
            target.trigger_all()
            for poller in self.shared_pollers.values():
                poller.trigger()

    def _log_view(self) -> TargetView | None:
        target = self._one("log")
        return None if target is None else self._view(self.targets.index(target))

    def action_log_filter(self) -> None:
        view = self._log_view()
        if view is None:
            return
        level = view.cycle_log_filter()
        self.notify(f"log: showing {level if level == 'all' else level + ' only'}", timeout=2)

    def action_log_ours(self) -> None:
        view = self._log_view()
        if view is None:
            return
        shown = view.toggle_log_ours()
        self.notify(f"log: embedtop's own requests {'shown' if shown else 'hidden'}", timeout=2)

    def action_tab(self, n: int) -> None:
        if not self.multi or n > len(self.targets):
            return
        self.query_one(TabbedContent).active = OVERVIEW if n == 0 else f"tab-{n - 1}"

    def action_cycle(self, step: int) -> None:
        if not self.multi:
            return
        current = 0 if self.active_index is None else self.active_index + 1
        self.action_tab((current + step) % (len(self.targets) + 1))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())
