"""Checklist: one row per check (status, id, summary) and the selected item's evidence and fix."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.widgets import DataTable, Static

from tui.rules.checks import CheckResult
from tui.widgets.styles import status_text


class Checklist(DataTable):
    """Rows keyed by check id; cells are only touched when they change."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._last: dict[str, CheckResult] = {}

    def on_mount(self) -> None:
        self.add_column("status", key="status", width=10)
        self.add_column("check", key="check", width=19)
        self.add_column("summary", key="summary")

    def show(self, results: list[CheckResult]) -> None:
        for r in results:
            old = self._last.get(r.id)
            if old is None:
                self.add_row(status_text(r.status), r.id, r.summary, key=r.id)
            elif old != r:
                if old.status != r.status:
                    self.update_cell(r.id, "status", status_text(r.status))
                if old.summary != r.summary:
                    self.update_cell(r.id, "summary", r.summary, update_width=True)
            self._last[r.id] = r

    def result_at_cursor(self) -> CheckResult | None:
        if not self._last or self.row_count == 0:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:
            return None
        return self._last.get(key) if key else None


def render_detail(r: CheckResult | None) -> Group | Text:
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
    return Group(*parts)


class CheckDetail(Static):
    """Evidence and fix of one check."""

    shown: CheckResult | None = None

    def show(self, r: CheckResult | None) -> None:
        if r == self.shown and r is not None:
            return
        self.shown = r
        self.update(render_detail(r))
