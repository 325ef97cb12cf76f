"""How check statuses look: one place for the glyphs, words and colours (the dashboard and `embedtop check`)."""

from __future__ import annotations

from rich.text import Text

from tui.rules.result import Status

STATUS_LOOK: dict[Status, tuple[str, str]] = {
    Status.PASS: ("✔ pass", "bold green"),
    Status.WARN: ("▲ warn", "bold yellow"),
    Status.FAIL: ("✖ FAIL", "bold red"),
    Status.UNKNOWN: ("? n/a", "dim"),
    Status.BLOCKED: ("… blocked", "dim"),
    Status.STALE: ("◷ stale", "yellow"),
}


SHORT_LABEL = {Status.BLOCKED: "… blkd"}  # a plain-text report's status column (`embedtop check`)


def short_mark(status: Status) -> str:
    """A status in plain text, six columns wide at least: "✔ pass", "? n/a ", "… blkd"."""
    return SHORT_LABEL.get(status, STATUS_LOOK[status][0]).ljust(6)


def status_text(status: Status) -> Text:
    label, style = STATUS_LOOK[status]
    return Text(label, style=style)


def human_bytes(n: int | None) -> str:
    if n is None:
        return "n/a"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    return f"{value:.1f} TiB"
