"""The dashboard screen: its layout, its keys and its redraws, over a `runtime.watch.Watch`.

One target: one `TargetView`. Several (`[[targets]]`): an Overview tab (a row per target) and a tab per
target with the same view. The runtime says what changed with a `TargetChanged(index)` message (back-to-back
ones for a target are one redraw); only the shown target's panels are drawn, and the overview's table only
while it is shown (the tab titles carry each target's status all the time). Widgets say what the user did
with their own messages (`OverviewTable.TargetChosen`); a replay is played and moved from here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent, TabPane

from tui import __version__
from tui.rules.overview import OverviewRow, overview_row
from tui.rules.result import Status
from tui.runtime.replay import play
from tui.runtime.target import TargetRun
from tui.runtime.watch import Watch
from tui.screens.help import HelpScreen, key_rows
from tui.screens.ingestion import IngestionScreen
from tui.widgets.checklist import Checklist
from tui.widgets.format import stamp
from tui.widgets.log_panel import LogPanel
from tui.widgets.overview import Overview, OverviewTable
from tui.widgets.styles import STATUS_LOOK
from tui.widgets.target_view import TargetView

OVERVIEW = "tab-overview"
MANUAL_EVERY_S = 1.0  # keys may not flood the server: one manual request of a kind per second
REPLAY_ACTIONS = {"replay_next", "replay_seek"}
TARGET_ACTIONS = {"tab", "cycle"}

KEYS = [  # the dashboard's keys; the help screen lists them with their tooltips
    Binding("p", "probe", "Probe", tooltip="send a probe embedding now"),
    Binding("s", "semantic", "Semantic", tooltip="semantic probe now: a query (Qwen3 instruct form) and two documents"),
    Binding(
        "l",
        "long_input",
        "Long-input probe",
        show=False,
        tooltip="long-input probe: max_model_len + 64 words — rejected (400) or truncated?",
    ),
    Binding(
        "plus",
        "interval(0.5)",
        "Faster probes",
        show=False,
        key_display="+ -",
        tooltip="probe more / less often (2 s … 300 s)",
    ),
    Binding("minus", "interval(2)", "Slower probes", show=False),
    Binding("g", "chart", "Graph", tooltip="latency graph in place of the log, and back"),
    Binding(
        "i",
        "ingestion",
        "Ingestion",
        tooltip="the Ingestion screen: knowledge bases, documents and vLLM's side (i or escape: back)",
    ),
    Binding("c", "copy_fix", "Copy fix", tooltip="copy the selected check's fix (OSC 52 clipboard)"),
    Binding("space", "pause", "Pause", tooltip="pause / resume all polling"),
    Binding("f", "fault", "Fault", tooltip="demo only: switch to the next fault scenario"),
    Binding("v", "log_filter", "Level", tooltip="log: cycle the level filter (all → warnings+errors → errors)"),
    Binding(
        "o",
        "log_ours",
        "Own requests",
        show=False,
        tooltip="log: show / hide embedtop's own requests (URLs with ?embedtop=)",
    ),
    Binding(
        "0",
        "tab(0)",
        "Overview",
        show=False,
        key_display="0 1-9",
        tooltip="several targets: the overview, target N ([ ]: previous / next)",
    ),
    *(Binding(str(n), f"tab({n})", f"Target {n}", show=False) for n in range(1, 10)),
    Binding("left_square_bracket", "cycle(-1)", "Prev target", show=False),
    Binding("right_square_bracket", "cycle(1)", "Next target", show=False),
    Binding(
        "n",
        "replay_next",
        "Next change",
        show=False,
        key_display="n > <",
        tooltip="replay: next status change, a minute forward / back (space pauses)",
    ),
    Binding("greater_than_sign", "replay_seek(60)", "+1 min", show=False),
    Binding("less_than_sign", "replay_seek(-60)", "-1 min", show=False),
    Binding("question_mark", "help", "Help", tooltip="this help"),
    Binding("q", "app.quit", "Quit", tooltip="quit"),
]
PANEL_KEYS = [  # Textual's own focus key, documented here (the same binding as Screen's)
    Binding(
        "tab",
        "app.focus_next",
        "Focus Next",
        show=False,
        tooltip="move focus between panels (the checklist follows the worst item until focused)",
    ),
]


def help_sections(display: Callable[[Binding], str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The key help: the dashboard's keys, then the keys of the panels (focus, checklist, log)."""
    panels = [*PANEL_KEYS, *Checklist.BINDINGS, *LogPanel.BINDINGS]
    return [("", key_rows(KEYS, display)), ("In the panels", key_rows(panels, display))]


class TargetChanged(Message):
    """A target's store or verdict changed (the runtime → the dashboard)."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TargetChanged) and message.index == self.index


class TargetPane(TabPane):
    """A target's tab."""

    def __init__(self, title: Content, index: int, **kwargs: Any) -> None:
        super().__init__(title, **kwargs)
        self.index = index


class DashboardScreen(Screen[None]):
    """The dashboard. `speed`: a replay's pace (× the recording's)."""

    BINDINGS = [*KEYS, *PANEL_KEYS]
    HORIZONTAL_BREAKPOINTS = [(0, "narrow"), (100, "wide")]  # narrow: the GPU and ingestion panels fold away
    VERTICAL_BREAKPOINTS = [(0, "short"), (32, "tall")]  # short: shorter panels (80×24 in tmux)

    class FirstData(Message):
        """The first target's health and a probe are on screen (the app's start-up is over)."""

    def __init__(self, watch: Watch, speed: float = 1.0) -> None:
        super().__init__()
        self.watch = watch
        self.targets = watch.targets
        self.multi = watch.multi
        self.speed = speed
        self.active_index: int | None = None if self.multi else 0  # None: the overview tab
        self.changes = 0  # TargetChanged messages handled (tests wait on it)
        self.views: list[TargetView] = []
        self._rows: list[OverviewRow | None] = [None] * len(self.targets)
        self._tab_status: dict[int, Status] = {}
        self._had_data = False
        self._last_manual: dict[str, float] = {}

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◉")
        self.views = [TargetView(t.cfg, id=f"view-{i}") for i, t in enumerate(self.targets)]
        if not self.multi:
            yield self.views[0]
        else:
            with TabbedContent(id="tabs", initial=OVERVIEW):
                with TabPane("Overview", id=OVERVIEW):
                    yield Overview(id="overview")
                for i, view in enumerate(self.views):
                    with TargetPane(self._tab_label(i, None), i, id=f"tab-{i}"):
                        yield view
        yield Footer(show_command_palette=False)  # ctrl+p still opens it: the room goes to the keys

    def _tab_label(self, i: int, status: Status | None) -> Content:
        name = f"{i + 1} {self.targets[i].name}"  # plain text: a name is never read as markup
        if status is None:
            return Content(name)
        glyph, style = STATUS_LOOK[status]
        return Content.assemble((glyph.split()[0], style), " ", name)

    def on_mount(self) -> None:
        self._retitle()
        self._redraw()  # a store handed in pre-filled
        cursor = self.watch.cursor
        if cursor is not None:
            self.run_worker(self._play(), group="replay", exclusive=True)

    def _active(self) -> TargetRun | None:
        return None if self.active_index is None else self.targets[self.active_index]

    def _retitle(self) -> None:
        self.app.sub_title = self.subtitle()

    def subtitle(self) -> str:
        watch, cursor = self.watch, self.watch.cursor
        if watch.replaying:
            at = stamp(cursor.t) if cursor is not None and cursor.t else "start"
            fraction = cursor.fraction if cursor is not None else None
            done = f"{100 * fraction:.0f} %" if fraction is not None else "empty"
            what = self.targets[0].cfg.url if not self.multi else f"{len(self.targets)} targets"
            where = f"replay of {what} at {at} ({done}) ×{self.speed:g} · n > <"
        elif self.multi:
            active = self._active()
            where = f"{len(self.targets)} targets · " + (
                f"{active.name} ({active.cfg.url})" if active is not None else "overview"
            )
            if active is not None and active.demo is not None:
                where += f" · demo: {active.demo.scenario.name}"
        else:
            first = self.targets[0]
            where = f"demo: {first.demo.scenario.name}" if first.demo is not None else first.cfg.url
        return f"v{__version__} · {where}" + (" · PAUSED" if watch.paused else "")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "fault":
            return any(t.demo is not None for t in self.targets)
        if action in TARGET_ACTIONS:
            return self.multi
        if action in REPLAY_ACTIONS:
            return self.watch.replaying
        return True

    # ------------------------------------------------------------ state → views

    def on_target_changed(self, message: TargetChanged) -> None:
        self.changes += 1
        shown = self.app.screen
        if isinstance(shown, IngestionScreen) and shown.index == message.index:
            shown.show()
        with self.app.batch_update():
            if message.index == self.active_index:
                self._draw(message.index)
            if self.multi:
                self._draw_overview((message.index,))
        self._check_first_data()

    def _redraw(self) -> None:
        """Every target's verdict: the shown one's panels, the overview's rows and the tab titles."""
        with self.app.batch_update():
            if self.active_index is not None:
                self._draw(self.active_index)
            if self.multi:
                self._draw_overview(range(len(self.targets)))
        self._check_first_data()

    def _draw(self, i: int) -> None:
        t, view = self.targets[i], self.views[i]
        view.sync_log(t.store)
        view.show(t.store, t.results, list(t.checklist.events), shared_host=self.multi)

    def _draw_overview(self, changed: Any) -> None:
        """The tab titles carry each target's status (always on screen); the overview's table only while shown."""
        tabs = self.query_one(TabbedContent)
        for i in changed:
            t = self.targets[i]
            row = self._rows[i] = overview_row(t.cfg, t.store, t.results)
            if self._tab_status.get(i) != row.status:
                self._tab_status[i] = row.status
                tabs.get_tab(f"tab-{i}").label = self._tab_label(i, row.status)
        if self.active_index is None:
            rows = [r for r in self._rows if r is not None]
            changes = sorted(
                ((t.name, e) for t in self.targets for e in t.checklist.events), key=lambda c: c[1].t, reverse=True
            )
            self.query_one(Overview).show(rows, changes)

    def _check_first_data(self) -> None:
        first = self.targets[0].store
        if not self._had_data and first.server is not None and first.probe is not None:
            self._had_data = True
            self.post_message(self.FirstData())

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane
        self.active_index = pane.index if isinstance(pane, TargetPane) else None
        self._retitle()
        self._redraw()

    def on_overview_table_target_chosen(self, message: OverviewTable.TargetChosen) -> None:
        self.action_tab(message.index + 1)

    # ------------------------------------------------------------ replay

    async def _play(self) -> None:
        """Feed the recording in at its own pace (÷ speed); space pauses, n / > / < move the cursor."""
        cursor = self.watch.cursor
        assert cursor is not None

        def deliver(index: int, sample: Any) -> None:
            self.watch.deliver(index, sample)
            self._retitle()

        await play(cursor, deliver, self.speed, self.watch.clock, lambda: self.watch.paused)
        self.notify("replay finished", timeout=5)

    def action_replay_seek(self, seconds: float) -> None:
        cursor = self.watch.cursor
        if cursor is not None:
            self.watch.apply(cursor.seek_by(seconds))
            self._retitle()

    def action_replay_next(self) -> None:
        cursor = self.watch.cursor
        move = cursor.next_change() if cursor is not None else None
        if move is None:
            self.notify("no later status change in this recording", timeout=3)
            return
        seek, more = move
        self.watch.apply(seek)
        self._retitle()
        self.notify(f"at the next status change ({more} more)", timeout=3)

    # ------------------------------------------------------------ keys

    def _manual_ok(self, key: str) -> bool:
        """Keys may not flood the server: one manual request of a kind per second."""
        now = self.watch.clock.monotonic()
        last = self._last_manual.get(key)
        if last is not None and now - last < MANUAL_EVERY_S:
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

    def _view_of(self, target: TargetRun) -> TargetView:
        return self.views[self.targets.index(target)]

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
        self.notify(f"long-input probe: {target.max_model_len() or '?'} + 64 words", timeout=2)
        self.run_worker(target.long_input(), group="long-input", exclusive=True)

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
            r = self.views[self.active_index].query_one(Checklist).result_at_cursor()
        if r is None or not r.fix:
            self.notify("the selected check has no fix to copy", timeout=2)
            return
        self.app.copy_to_clipboard(r.fix)
        self.notify(f"copied the fix for {r.id}", timeout=2)

    def action_chart(self) -> None:
        target = self._one("latency graph")
        if target is not None:
            self._view_of(target).toggle_chart(target.store)

    def action_ingestion(self) -> None:
        target = self._one("Ingestion screen")
        if target is not None:
            self.app.push_screen(IngestionScreen(target, self.targets.index(target)))

    def action_pause(self) -> None:
        self.watch.set_paused(not self.watch.paused)
        self._retitle()

    async def action_fault(self) -> None:
        target = self._active()
        if target is None:  # the overview: the selected row's target
            index = self.query_one(OverviewTable).selected() if self.multi else 0
            target = self.targets[index or 0]
        if target.demo is None:
            self.notify(f"{target.name} is a real server: f switches demo targets only", timeout=3)
            return
        name = await asyncio.to_thread(target.demo.next_fault)
        self._retitle()
        self.notify(f"demo scenario: {name}" + (f" on {target.name}" if self.multi else ""), timeout=3)
        if not self.watch.paused:
            self.watch.poll_now(target)

    def action_log_filter(self) -> None:
        target = self._one("log")
        if target is not None:
            level = self._view_of(target).cycle_log_filter()
            self.notify(f"log: showing {level if level == 'all' else level + ' only'}", timeout=2)

    def action_log_ours(self) -> None:
        target = self._one("log")
        if target is not None:
            shown = self._view_of(target).toggle_log_ours()
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
        display = self.app.get_key_display
        panels = key_rows(PANEL_KEYS, display) + key_rows(Checklist.BINDINGS, display)
        self.app.push_screen(
            HelpScreen(
                [("", key_rows(KEYS, display)), ("In the panels", panels + key_rows(LogPanel.BINDINGS, display))]
            )
        )
