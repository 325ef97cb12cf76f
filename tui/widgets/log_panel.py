"""Log panel: the followed vLLM log as events — tracebacks folded to their root-cause line.

A line-API view (only the visible rows are rendered, so 200 lines/s stay cheap). Keys while it
has focus: ↑/↓/PgUp/PgDn/Home move the cursor, Enter folds or unfolds the traceback under it,
End follows the tail again. Dashboard keys: `v` cycles the level filter, `o` shows/hides embedtop's own
requests (hidden by default: their URLs carry `embedtop=`).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.samples import LogLine
from tui.state.events import LogEvent

MAX_EVENTS = 2000
FILTERS = ("all", "warnings", "errors")
_RANK = {None: 1, "DEBUG": 0, "INFO": 1, "WARNING": 2, "ERROR": 3, "CRITICAL": 3}
_MIN_RANK = {"all": 0, "warnings": 2, "errors": 3}


def line_rank(line: LogLine) -> int:
    if line.kind == "access" and line.status is not None:
        return 3 if line.status >= 500 else 2 if line.status >= 400 else 1
    return _RANK.get(line.level, 1)


def event_rank(event: LogEvent) -> int:
    if event.kind == "traceback":
        return 3
    return line_rank(event.first)


def style_line(line: LogLine) -> Text:
    if line.kind == "access" and line.status is not None:
        style = "red" if line.status >= 500 else "yellow" if line.status >= 400 else "dim"
        return Text(line.text, style=style)
    if line.level in ("ERROR", "CRITICAL"):
        return Text(line.text, style="bold red")
    if line.level == "WARNING":
        return Text(line.text, style="yellow")
    return Text(line.text)


def summary_text(event: LogEvent) -> Text:
    """One row for a folded traceback: how many lines are folded, where, and the root-cause line."""
    first, root = event.first, event.root_line
    where = " ".join(x for x in (first.ts, f"({first.proc})" if first.proc else None) if x)
    text = Text(f"▸ +{len(event.lines) - 1} ", style="bold red")
    if where:
        text.append(where + " ", style="red")
    text.append(root.msg.strip() or root.text, style="bold red")
    return text


class LogPanel(ScrollView, can_focus=True):
    """Scrollable, foldable, filterable view of the log events."""

    BINDINGS = [
        Binding(
            "enter",
            "toggle",
            "Fold/unfold",
            show=False,
            key_display="enter",
            tooltip="in the log: fold / unfold the traceback under the cursor",
        ),
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
        Binding("pageup", "cursor(-10)", show=False),
        Binding("pagedown", "cursor(10)", show=False),
        Binding("home", "home", show=False),
        Binding("end", "follow", show=False, tooltip="in the log: follow the tail again"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.events: list[LogEvent] = []
        self.expanded: set[int] = set()  # id() of unfolded tracebacks
        self.level_filter = "all"
        self.show_ours = False
        self.hidden_ours = 0
        self.follow = True
        self.cursor = 0  # row index
        self._rows: list[tuple[LogEvent, int]] = []  # (event, line index or -1 for the folded summary)
        self._seen_total = 0
        self._last_len = 0  # lines in the last event when we last looked (it may still grow)
        self._width = 0
        self._cache: dict[tuple[int, int, bool], Strip] = {}  # (id(event), line index, cursor) → strip

    # ------------------------------------------------------------------ data

    def reset(self) -> None:
        """Forget every event (a replay that seeks back starts its store again)."""
        self.events.clear()
        self.expanded.clear()
        self._seen_total = 0
        self._last_len = 0
        self._rebuild()

    def sync(self, events: Sequence[LogEvent], total: int) -> None:
        """Take the store's events: `total` counts every event ever appended, so only new ones are added.

        Only the rows of new events (and of the last event, when it grew) are made, and the panel repaints
        only when a shown row changed: embedtop's own access lines, hidden by default, cost nothing here."""
        new = min(total - self._seen_total, len(events))
        grew = bool(self.events) and len(self.events[-1].lines) != self._last_len
        if new <= 0 and not grew:
            return
        rows = self._rows
        changed = False
        if grew:  # the last event (a traceback, a multi-line record) took more lines: make its rows again
            last = self.events[-1]
            while rows and rows[-1][0] is last:
                rows.pop()
                changed = True
            self._cache.clear()  # its folded summary counts its lines
            if last.first.ours and not self._visible(last):
                self.hidden_ours -= 1
            changed = self._add_rows(last) or changed
        if new > 0:
            n = len(events)
            for i in range(n - new, n):
                event = events[i]
                self.events.append(event)
                changed = self._add_rows(event) or changed
            excess = len(self.events) - MAX_EVENTS
            if excess > 0:
                gone = self.events[:excess]
                del self.events[:excess]
                dropped = {id(e) for e in gone}
                cut = 0
                while cut < len(rows) and id(rows[cut][0]) in dropped:
                    cut += 1
                if cut:
                    del rows[:cut]
                    changed = True
                    self._cache.clear()  # keyed by id(): a dropped event's id may be reused
                    if not self.follow:  # keep the rows on screen where they are
                        self.cursor = max(0, self.cursor - cut)
                        self.scroll_to(y=max(0, self.scroll_offset.y - cut), animate=False, immediate=True)
                self.hidden_ours -= sum(1 for e in gone if e.first.ours and not self._visible(e))
                self.expanded -= dropped
        self._seen_total = total
        self._last_len = len(self.events[-1].lines) if self.events else 0
        if changed:
            self._rows_changed()

    def _add_rows(self, event: LogEvent) -> bool:
        """Append the rows of one event (none when it is filtered out). True when rows were added."""
        if not self._visible(event):
            if event.first.ours:
                self.hidden_ours += 1
            return False
        rows = self._rows
        if event.kind == "traceback" and id(event) not in self.expanded:
            rows.append((event, -1))
            self._width = max(self._width, len(event.root_line.text) + 40)
        else:
            for i, line in enumerate(event.lines):
                rows.append((event, i))
                self._width = max(self._width, len(line.text))
        return True

    def set_filter(self, level_filter: str) -> None:
        self.level_filter = level_filter
        self._rebuild()

    def cycle_filter(self) -> str:
        self.set_filter(FILTERS[(FILTERS.index(self.level_filter) + 1) % len(FILTERS)])
        return self.level_filter

    def toggle_ours(self) -> bool:
        self.show_ours = not self.show_ours
        self._rebuild()
        return self.show_ours

    def _visible(self, event: LogEvent) -> bool:
        first = event.first
        if first.kind == "access" and first.ours and not self.show_ours:
            return False
        return event_rank(event) >= _MIN_RANK[self.level_filter]

    def _rebuild(self) -> None:
        """Make every row again (a filter or a fold changed), keeping the cursor on its event."""
        keep = self._rows[self.cursor] if 0 <= self.cursor < len(self._rows) and not self.follow else None
        self._rows = []
        self._width = 0
        self.hidden_ours = 0
        for event in self.events:
            self._add_rows(event)
        rows = self._rows
        if not (self.follow or keep is None):
            self.cursor = next((i for i, r in enumerate(rows) if r[0] is keep[0]), min(self.cursor, len(rows) - 1))
        self._cache.clear()
        self._rows_changed()

    def _rows_changed(self) -> None:
        rows = self._rows
        if self.follow:
            self.cursor = max(0, len(rows) - 1)
        size = Size(self._width, len(rows))
        laid_out = True
        if size != self.virtual_size:
            if self._scrollbar_unchanged(size):
                # A longer log with the scrollbar already shown: set the size and the scrollbar without a
                # layout of the whole screen (what assigning `virtual_size` does, for every new line).
                self.set_reactive(ScrollView.virtual_size, size)
                self._scroll_update(size)
            else:
                self.virtual_size = size
                laid_out = False
        if self.follow:
            if laid_out:
                self._to_end()
            else:  # after the new virtual size is laid out, or the scroll would clamp to the old end
                self.call_after_refresh(self._to_end)
        if len(self._cache) > 4 * max(self.size.height, 10):
            self._cache.clear()
        self.refresh()

    def set_title(self, title: str) -> None:
        """Set the border title, repainting only the border row it sits on (assigning `border_title`
        repaints the whole panel: the count of hidden own requests changes with every poll)."""
        if title == self.border_title:
            return
        if not self.is_mounted or not self.size:
            self.border_title = title
            return
        self.refresh = lambda *regions, **kwargs: self  # type: ignore[method-assign]
        try:
            self.border_title = title
        finally:
            del self.refresh
        offset = self.content_offset  # refresh() takes regions relative to the content
        self.refresh(Region(-offset.x, -offset.y, self.outer_size.width, 1))

    def _scrollbar_unchanged(self, size: Size) -> bool:
        """Would this virtual size show the same scrollbars (so no layout is needed)?"""
        if not self.is_mounted or not self.container_size:
            return False
        height = self.container_size.height
        return self.show_vertical_scrollbar and size.height > height and not self.show_horizontal_scrollbar

    def _to_end(self) -> None:
        if self.follow:
            self.scroll_to(y=max(0, len(self._rows) - self.size.height), animate=False, immediate=True)

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def row_text(self, row: int) -> str:
        """The plain text shown on a row (tests and the screenshot checks use it)."""
        event, index = self._rows[row]
        return summary_text(event).plain if index < 0 else event.lines[index].text

    # ------------------------------------------------------------------ actions

    def action_cursor(self, delta: int) -> None:
        if not self._rows:
            return
        self.cursor = max(0, min(len(self._rows) - 1, self.cursor + delta))
        self.follow = self.cursor == len(self._rows) - 1
        self._cache.clear()
        self.scroll_to_region_row(self.cursor)
        self.refresh()

    def action_home(self) -> None:
        self.action_cursor(-len(self._rows))

    def action_follow(self) -> None:
        self.follow = True
        self.cursor = max(0, len(self._rows) - 1)
        self._cache.clear()
        self._to_end()
        self.refresh()

    def action_toggle(self) -> None:
        if not self._rows:
            return
        event, _ = self._rows[self.cursor]
        if event.kind != "traceback":
            return
        key = id(event)
        if key in self.expanded:
            self.expanded.discard(key)
        else:
            self.expanded.add(key)
        was_follow, self.follow = self.follow, False
        self._rebuild()
        self.follow = was_follow and self.cursor == len(self._rows) - 1
        self.scroll_to_region_row(self.cursor)

    def scroll_to_region_row(self, row: int) -> None:
        top = self.scroll_offset.y
        height = max(1, self.size.height)
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False)

    # ------------------------------------------------------------------ rendering

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.size.width
        style = self.rich_style
        if row >= len(self._rows):
            return Strip.blank(width, style)
        event, index = self._rows[row]
        selected = row == self.cursor and self.has_focus
        key = (id(event), index, selected)
        strip = self._cache.get(key)
        if strip is None:
            text = summary_text(event) if index < 0 else style_line(event.lines[index])
            text.no_wrap = True
            text.stylize_before(style)  # the widget's colours under the line's own
            if selected:
                text.stylize(Style(reverse=True))
            strip = Strip(text.render(self.app.console), text.cell_len)
            self._cache[key] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, style).apply_offsets(scroll_x, row)

    def on_focus(self) -> None:
        self._cache.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._cache.clear()
        self.refresh()
