"""The key help (`?`): drawn from the bindings themselves, so it can never list a key that does not exist
or miss one that does. A binding appears with its `tooltip` (the long help) and its `key_display` (a row
may stand for several keys, e.g. "+ -"); bindings without a tooltip are covered by such a row."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.rules.result import Status
from tui.widgets.styles import STATUS_LOOK

KEY_WIDTH = 9
TITLE = "embedtop — live checks of a vLLM embedding server"
MEANING = {
    Status.UNKNOWN: "(no data)",
    Status.STALE: "(its data is too old to vouch for: a stuck or paused poller)",
    Status.BLOCKED: "(an earlier check fails, so this one cannot run)",
}


def key_rows(bindings: Iterable[Binding], display: Callable[[Binding], str]) -> list[tuple[str, str]]:
    """(keys, what they do) for each binding that has a tooltip."""
    return [(display(b), b.tooltip) for b in bindings if b.tooltip]


def help_text(sections: Sequence[tuple[str, list[tuple[str, str]]]]) -> Text:
    """The help: a title, a block of key rows per section, the status legend and how to close."""
    text = Text()
    text.append(TITLE + "\n", style="bold")
    for heading, rows in sections:
        text.append("\n")
        if heading:
            text.append(heading + "\n", style="bold underline")
        for keys, what in rows:
            text.append(keys.ljust(KEY_WIDTH), style="bold")
            text.append(what + "\n")
    text.append("\nStatuses: ")
    for status in (Status.PASS, Status.WARN, Status.FAIL):
        label, style = STATUS_LOOK[status]
        text.append(label, style=style)
        text.append("  ")
    for status in (Status.UNKNOWN, Status.STALE, Status.BLOCKED):
        label, style = STATUS_LOOK[status]
        text.append("\n          ")
        text.append(label, style=style)
        text.append(f" {MEANING[status]}")
    text.append("\n\nPress escape or ? to close.")
    return text


class HelpScreen(ModalScreen[None]):
    """The key help over the dashboard. `sections`: (heading, [(keys, what they do)]), in order."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def __init__(self, sections: Sequence[tuple[str, list[tuple[str, str]]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        yield Static(help_text(self.sections), id="help-body")
