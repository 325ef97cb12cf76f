"""Open WebUI's own log as the dashboard keeps it: the parser's `OwuiLogState` (tui.logs.owui), plus per
finding the line that last showed it, and whether Open WebUI succeeded since — a later success clears it.

- An embedding failure (wrong URL, unknown model, 400/401/429, timeouts, TLS, proxy, duplicate content) is
  cleared by a later `embeddings generated N for M items` (Open WebUI's embedding requests work again).
- A vector-store width error is cleared only by a later `Linked file … to knowledge …` (a knowledge base took
  the new vectors) or `Reindexing completed`: embedding works in that case, the store refuses the vectors.
Also each file's chunk count, from `added N items to collection file-<id>` (the Ingestion screen's chunks).
Bounded: the parser keeps at most 50 findings, `last` one entry per catalog entry, `chunks` the latest files.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

from tui.logs import owui
from tui.logs.owui import OwuiFinding, OwuiLogState, parse_owui_line
from tui.samples import OwuiLogBatch

EMBEDDED = "embeddings generated"
STORED = ("Linked file ", "Reindexing completed")
ADDED_RE = re.compile(r"^added (\d+) items to collection file-([\w-]+)$")  # save_docs_to_vector_db, 0.9 → 0.12
MAX_CHUNK_FILES = 500


@dataclass(frozen=True)
class Seen:
    """The latest line that showed a finding."""

    line: str
    line_no: int
    ts: str | None  # Open WebUI's own "YYYY-MM-DD HH:MM:SS"
    t: float | None  # when embedtop read it (None: the backlog written before it started)


@dataclass(frozen=True)
class Current:
    """A finding still on: what it is, and the latest line that showed it."""

    finding: OwuiFinding
    seen: Seen

    @property
    def entry(self) -> owui.OwuiEntry:
        return self.finding.entry

    @property
    def id(self) -> str:
        return self.finding.entry.id

    @property
    def facts(self) -> dict[str, str]:
        """The named groups of the latest line (both widths of a dimension error, the host:port, the URL)."""
        hit = owui.match(parse_owui_line(self.seen.line).msg)
        facts = {k: v for k, v in hit[1].groupdict().items() if v} if hit is not None else {}
        return facts or self.finding.facts

    def evidence(self) -> str:
        when = f" ({self.seen.ts})" if self.seen.ts else ""
        count = f", {self.finding.count}× in all" if self.finding.count > 1 else ""
        return f"Open WebUI log line {self.seen.line_no}{when}{count}: {self.seen.line[:300]}"


class OwuiLogTracker:
    """Folds `OwuiLogBatch`es into findings; `current(check)` says which are still on."""

    def __init__(self) -> None:
        self.state = OwuiLogState()
        self.batch: OwuiLogBatch | None = None  # the latest read (its error / note)
        self.last: dict[str, Seen] = {}
        self.embedded_at = 0  # line number of the latest successful embedding
        self.stored_at = 0  # … of the latest knowledge-base link or completed reindex
        self.lines = 0
        self.chunks: OrderedDict[str, int] = OrderedDict()  # file id → chunks stored in its collection (latest)

    def apply(self, batch: OwuiLogBatch) -> None:
        self.batch = batch
        t_read = None if batch.backlog else batch.t
        for text in batch.lines:
            self.feed(text, t_read)

    def feed(self, text: str, t_read: float | None = None) -> None:
        line = parse_owui_line(text)
        state = self.state
        state.feed(line)
        self.lines += 1
        n = state.line_no
        if line.kind == "access":
            return
        if line.kind == "record":
            if line.msg.startswith(EMBEDDED):
                self.embedded_at = n
            elif line.msg.startswith(STORED):
                self.stored_at = n
            elif line.msg.startswith("added ") and ":index_file:" not in (line.src or ""):
                self._added(line.msg)
            if line.level in ("DEBUG", "INFO"):
                return
        hit = owui.match(line.msg)
        if hit is not None:
            self.last[hit[0].id] = Seen(line.text, n, line.ts, t_read)

    def _added(self, msg: str) -> None:
        """`added N items to collection file-<id>`: the file's chunks (index_file's one-item summary is not)."""
        m = ADDED_RE.match(msg)
        if m is None:
            return
        self.chunks[m[2]] = int(m[1])
        self.chunks.move_to_end(m[2])
        while len(self.chunks) > MAX_CHUNK_FILES:
            self.chunks.popitem(last=False)

    def current(self, check: str) -> list[Current]:
        """The findings for `check` that no later success cleared, fails first."""
        out = []
        for f in self.state.for_check(check):
            seen = self.last.get(f.id) or Seen(f.line, f.line_no, f.ts, None)
            cleared = self.stored_at if f.entry.cleared_by == "stored" else self.embedded_at
            if cleared > seen.line_no:
                continue
            out.append(Current(f, seen))
        out.sort(key=lambda c: (c.entry.severity != "fail", c.entry.generic, -c.seen.line_no))
        return out

    def root(self) -> Current | None:
        """The specific finding still on that explains the others (a fail first), if any."""
        on = [c for check in owui.CHECKS for c in self.current(check) if not c.entry.generic]
        on.sort(key=lambda c: (c.entry.severity != "fail", c.seen.line_no))
        return on[0] if on else None
