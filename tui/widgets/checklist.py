"""Checklist: one row per check (status symbol + word, id, summary), worst first and grouped by id
prefix within each severity, and the selected item's fix, evidence and the recent status changes."""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Group
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from tui.rules.result import CheckResult, worst_first
from tui.widgets.format import hms
from tui.widgets.panel import ScrollStatic
from tui.widgets.styles import status_text


class Checklist(DataTable):
    """Rows keyed by check id; cells are only touched when they change. Moving the cursor says which check
    is under it (`CheckHighlighted`), for the evidence panel beside it."""

    BINDINGS = [  # DataTable's own cursor keys, with what they do here (the key help lists them)
        Binding(
            "up",
            "cursor_up",
            "Cursor up",
            show=False,
            key_display="↑ ↓",
            tooltip="in the checklist: show another item's evidence and fix",
        ),
        Binding("down", "cursor_down", "Cursor down", show=False),
    ]

    class CheckHighlighted(Message):
        """The cursor is on another check (None: the list is empty)."""

        def __init__(self, checklist: Checklist, result: CheckResult | None) -> None:
            super().__init__()
            self.checklist = checklist
            self.result = result

        @property
        def control(self) -> Checklist:
            return self.checklist

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._last: dict[str, CheckResult] = {}
        self._order: list[str] = []

    def on_mount(self) -> None:
        self.add_column("status", key="status", width=10)
        self.add_column("check", key="check", width=19)
        self.add_column("summary", key="summary")

    def show(self, results: list[CheckResult]) -> None:
        ordered = worst_first(results)
        order = [r.id for r in ordered]
        if order != self._order:
            # The order changed (a status moved): rebuild the rows (one per check), keeping the cursor on its check.
            current = self.result_at_cursor()
            self.clear()
            for r in ordered:
                self.add_row(status_text(r.status), r.id, r.summary, key=r.id)
            self._order = order
            self._last = {r.id: r for r in ordered}
            if current is not None and self.has_focus:
                self.move_cursor(row=order.index(current.id), animate=False)
            return
        for i, r in enumerate(ordered):
            old = self._last.get(r.id)
            if old != r and old is not None and old.summary != r.summary:
                self._set_summary(i, r.id, r.summary)
            self._last[r.id] = r

    def _set_summary(self, index: int, key: str, summary: str) -> None:
        """A new summary in one row: repaint that row only (`update_cell` repaints the whole table), and
        widen the column only when the text got longer than it (a wider table is a layout of the screen)."""
        column = self.columns.get(ColumnKey("summary"))
        wider = column is None or cell_len(summary) > column.content_width
        data = getattr(self, "_data", None)
        if wider or not isinstance(data, dict) or key not in data or not hasattr(self, "_update_count"):
            self.update_cell(key, "summary", summary, update_width=True)
            return
        data[RowKey(key)][ColumnKey("summary")] = summary  # what update_cell does, then only this row
        self._update_count += 1
        self.refresh_row(index)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.post_message(self.CheckHighlighted(self, self.result_at_cursor()))

    def result_at_cursor(self) -> CheckResult | None:
        if not self._last or self.row_count == 0:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:
            return None
        return self._last.get(key) if key else None


def render_detail(r: CheckResult | None, events: list | None = None) -> Group | Text:
    if r is None:
        return Text("select a check", style="dim")
    head = Text.assemble(status_text(r.status), " ", (r.title, "bold"), f"  [{r.id}]")
    parts: list = [head, Text(r.summary)]
    if r.fix:
        parts.append(Text("\nFix", style="bold underline"))
        parts.append(Text(r.fix, style="bold"))
    if r.evidence:
        parts.append(Text("\nEvidence", style="bold underline"))
        parts.extend(Text("• " + e, style="italic") for e in r.evidence)
    if events:
        parts.append(Text("\nRecent changes", style="bold underline"))
        for ev in events:
            old = ev.old.value if ev.old is not None else "start"
            parts.append(Text(f"{hms(ev.t)} {ev.check_id}: {old} → {ev.new.value}", style="dim"))
    return Group(*parts)


class CheckDetail(ScrollStatic):
    """Evidence and fix of one check."""

    shown: CheckResult | None = None
    _events: tuple = ()

    def show(self, r: CheckResult | None, events: list | None = None) -> None:
        recent = tuple(events or ())[-5:]
        if r == self.shown and r is not None and recent == self._events:
            return
        self.shown = r
        self._events = recent
        self.put(render_detail(r, list(reversed(recent))))
