"""Log panel: the tail of the vLLM log, newest at the bottom, errors highlighted."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import RichLog

from tui.model.samples import LogLine

MAX_LINES = 500


def style_line(line: LogLine) -> Text:
    if line.kind == "access" and line.status is not None:
        style = "red" if line.status >= 500 else "yellow" if line.status >= 400 else "dim"
        return Text(line.text, style=style)
    if line.level in ("ERROR", "CRITICAL"):
        return Text(line.text, style="bold red")
    if line.level == "WARNING":
        return Text(line.text, style="yellow")
    return Text(line.text)


class LogPanel(RichLog):
    """A bounded RichLog (RichLog repaints correctly at its cap, unlike Log in Textual 8.2.8)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(max_lines=MAX_LINES, wrap=False, markup=False, highlight=False, **kwargs)

    def append(self, lines: Iterable[LogLine]) -> None:
        for line in lines:
            self.write(style_line(line))
