"""Group log lines into events: one vLLM record that spans lines, a traceback, or a single line.

vLLM repeats the whole `(Proc pid=N) LEVEL MM-DD HH:MM:SS [file.py:N] ` prefix on every line of a
multi-line record (a `logger.exception` traceback, the ASCII logo, the OpenMP table), so lines with
an identical prefix that continue a record belong together. Bare Python tracebacks (0.31+ prints
them unprefixed on stderr) start at `Traceback (most recent call last):` and run until the next
log-formatted line.

`EventGrouper.feed` is incremental: the last event stays open (and may still grow) until a line
that does not belong to it arrives.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tui.logs import catalog
from tui.logs.parse import EXCEPTION_RE
from tui.samples import LogLine

TRACEBACK = "Traceback (most recent call last):"
MAX_EVENT_LINES = 400  # a runaway record is split rather than grown without bound


@dataclass(slots=True, eq=False)
class LogEvent:
    """Consecutive lines that form one record. `root` is the index of the line that says what happened."""

    lines: list[LogLine] = field(default_factory=list)
    kind: str = "line"  # "line", "record" (multi-line vLLM record) or "traceback"
    _root: int = 0
    _root_n: int = 0  # len(lines) when _root was computed (an open event may still grow)

    @property
    def first(self) -> LogLine:
        return self.lines[0]

    @property
    def root(self) -> int:
        """Index of the line that says what happened (computed once per size of the event)."""
        if self._root_n != len(self.lines):
            self._root = self._find_root()
            self._root_n = len(self.lines)
        return self._root

    @property
    def root_line(self) -> LogLine:
        return self.lines[self.root]

    @property
    def level(self) -> str | None:
        first = self.lines[0]
        if self.kind == "traceback" and first.level in (None, "INFO"):
            return "ERROR"
        return first.level

    def _find_root(self) -> int:
        """The first specific catalog hit, else the first exception line, else the first line."""
        if self.kind != "traceback":
            return 0
        first_exc = None
        generic_hit = None
        for i, line in enumerate(self.lines):
            hit = catalog.match(line.text, line.level if line.kind == "vllm" else None)
            if hit is not None:
                if not hit[0].generic:
                    return i
                if generic_hit is None:
                    generic_hit = i
            if first_exc is None and EXCEPTION_RE.match(line.msg):
                first_exc = i
        return first_exc if first_exc is not None else generic_hit if generic_hit is not None else 0


def _same_record(a: LogLine, b: LogLine) -> bool:
    return a.ts == b.ts and a.src == b.src and a.pid == b.pid and a.level == b.level and a.proc == b.proc


class EventGrouper:
    """Folds lines into events. `feed` returns the event the line went into and whether it is new."""

    def __init__(self) -> None:
        self.open: LogEvent | None = None

    def feed(self, line: LogLine) -> tuple[LogEvent, bool]:
        event = self.open
        if event is not None and len(event.lines) < MAX_EVENT_LINES and self._joins(event, line):
            event.lines.append(line)
            if line.msg.startswith(TRACEBACK) and event.kind != "traceback":
                event.kind = "traceback"
            elif event.kind == "line":
                event.kind = "record"
            return event, False
        self.close()
        event = LogEvent([line])
        if line.msg.startswith(TRACEBACK):
            event.kind = "traceback"
        self.open = event
        return event, True

    def close(self) -> LogEvent | None:
        """Close the open event (no more lines can join it) and return it."""
        event = self.open
        if event is not None:
            self.open = None
        return event

    @staticmethod
    def _joins(event: LogEvent, line: LogLine) -> bool:
        first = event.lines[0]
        if line.kind == "vllm":
            if first.kind != "vllm" or not _same_record(first, line):
                return False
            if event.kind == "traceback":
                return True
            msg = line.msg
            return msg == "" or msg[0] in " \t" or msg.startswith(TRACEBACK)
        if line.kind == "other" and event.kind == "traceback" and first.kind == "other":
            return line.pid == first.pid
        return False
