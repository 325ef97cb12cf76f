"""The overview tab of a multi-target dashboard: one row per target (status, worst check, lifecycle phase,
probe p95, vector length, the target's GPU memory, client load), the selected target's worst check with
its evidence and fix, and the recent status changes of every target, newest first."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable

from tui.rules.overview import OverviewRow
from tui.rules.result import severity
from tui.rules.shown import Event
from tui.widgets.checklist import render_detail
from tui.widgets.format import hms
from tui.widgets.panel import ScrollStatic
from tui.widgets.styles import human_bytes, status_text

COLUMNS = (  # 116 columns with the cell padding: fits a 120-column terminal
    ("#", 1),
    ("target", 12),
    ("status", 9),
    ("worst check", 34),
    ("phase", 13),
    ("p95", 7),
    ("dims", 5),
    ("GPU mem", 9),
    ("load", 8),
)
MAX_CHANGES = 12


def row_cells(index: int, row: OverviewRow) -> tuple:
    worst = row.worst
    what = Text(f"{worst.id}: {worst.summary}" if worst else "every check passes", no_wrap=True, overflow="ellipsis")
    if worst is None:
        what.stylize("dim")
    load = f"{row.requests_per_s:.1f}/s" if row.requests_per_s is not None else "–"
    return (
        str(index),
        Text(row.name, style="bold"),
        status_text(row.status),
        what,
        row.phase or "–",
        f"{row.p95_ms:.0f} ms" if row.p95_ms is not None else "–",
        str(row.dims) if row.dims is not None else "–",
        human_bytes(row.gpu_bytes) if row.gpu_bytes is not None else "–",
        load,
    )


def render_changes(changes: list[tuple[str, Event]]) -> Group | Text:
    """`changes`: (target name, checklist event), newest first."""
    if not changes:
        return Text("no status changes yet", style="dim")
    lines = []
    for name, ev in changes[:MAX_CHANGES]:
        old = ev.old.value if ev.old is not None else "start"
        line = Text.assemble(
            (f"{hms(ev.t)} ", "dim"),
            (f"{name} ", "bold"),
            f"{ev.check_id} ",
            (f"{old} → ", "dim"),
            status_text(ev.new),
        )
        lines.append(line)
        lines.append(Text(f"  {ev.summary}", style="dim", no_wrap=True, overflow="ellipsis"))
    return Group(*lines)


class OverviewTable(DataTable):
    """One row per target, keyed by its index (from 1); Enter chooses the target (`TargetChosen`)."""

    class TargetChosen(Message):
        """Enter on a target's row: open it."""

        def __init__(self, table: OverviewTable, index: int) -> None:
            super().__init__()
            self.table = table
            self.index = index  # 0-based

        @property
        def control(self) -> OverviewTable:
            return self.table

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.rows_shown: list[OverviewRow] = []

    def on_mount(self) -> None:
        for label, width in COLUMNS:
            self.add_column(label, key=label, width=width)

    def show(self, rows: list[OverviewRow]) -> None:
        if len(rows) != self.row_count:
            self.clear()
            for i, row in enumerate(rows, 1):
                self.add_row(*row_cells(i, row), key=str(i))
        elif rows != self.rows_shown:
            for i, (row, old) in enumerate(zip(rows, self.rows_shown, strict=True), 1):
                if row != old:
                    for (label, _), cell in zip(COLUMNS, row_cells(i, row), strict=True):
                        self.update_cell(str(i), label, cell)
        self.rows_shown = list(rows)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.post_message(self.TargetChosen(self, int(event.row_key.value) - 1))

    def selected(self) -> int | None:
        """Index (0-based) of the target under the cursor."""
        if not self.rows_shown:
            return None
        return min(max(self.cursor_row, 0), len(self.rows_shown) - 1)


class Overview(Vertical):
    """The overview tab's content."""

    DEFAULT_CSS = """
    Overview { height: 1fr; }
    Overview #overview-table { height: auto; max-height: 60%; border: round $primary 60%; }
    Overview #overview-lower { height: 1fr; }
    Overview #overview-detail {
        width: 3fr; height: 100%; border: round $primary 60%; padding: 0 1; overflow-y: auto;
    }
    Overview #overview-changes {
        width: 2fr; height: 100%; border: round $primary 60%; padding: 0 1; overflow-y: auto;
    }
    """

    def compose(self) -> ComposeResult:
        table = OverviewTable(id="overview-table")
        table.border_title = "Targets · Enter or 1-9 opens one · 0 comes back here"
        yield table
        with Horizontal(id="overview-lower"):
            detail = ScrollStatic(id="overview-detail")
            detail.border_title = "Worst check of the selected target"
            yield detail
            changes = ScrollStatic(id="overview-changes")
            changes.border_title = "Recent changes, all targets"
            yield changes

    def show(self, rows: list[OverviewRow], changes: list[tuple[str, Event]]) -> None:
        table = self.query_one(OverviewTable)
        table.show(rows)
        if not table.has_focus and rows:  # like the checklist: follow the worst target until focused
            rank = [severity(r.status) for r in rows]
            worst = rank.index(min(rank))
            if table.cursor_row != worst:
                table.move_cursor(row=worst, animate=False)
        self.show_detail()
        self.query_one("#overview-changes", ScrollStatic).put(render_changes(changes))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.show_detail()

    def show_detail(self) -> None:
        table = self.query_one(OverviewTable)
        index = table.selected()
        detail = self.query_one("#overview-detail", ScrollStatic)
        if index is None:
            detail.put(Text("no targets", style="dim"))
            return
        row = table.rows_shown[index]
        if row.worst is None:
            detail.put(Text.assemble((row.name, "bold"), f" ({row.url}): every check passes or has no verdict yet"))
            return
        detail.put(Group(Text.assemble((row.name, "bold"), f"  {row.url}", style=""), render_detail(row.worst)))
