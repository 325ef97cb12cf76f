"""The Ingestion screen's document table: one row per recent Open WebUI file — status in colour (a spinner while
pending or processing, a bar once its chunk count says how far it is), the document, its knowledge base, chunks,
the client embedding requests vLLM saw for it, how long it took and when it was uploaded, and its error cut to
fit. The highlighted row's whole story is the detail line below (`DocumentDetail`)."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from tui.state.documents import DocumentRow
from tui.widgets.format import hms, span
from tui.widgets.panel import ScrollStatic

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
STATUS = {  # status → (glyph, colour); pending / processing get the spinner's frame
    "pending": ("", "bold cyan"),
    "processing": ("", "bold yellow"),
    "completed": ("✔", "green"),
    "failed": ("✖", "bold red"),
    "": ("?", "dim"),
}
BAR = 8
# (key, label, width; 0 = as wide as the text): the narrow set leaves out the knowledge base and the upload time.
COLUMNS = [
    ("status", "status", 12),
    ("document", "document", 0),
    ("knowledge", "knowledge base", 0),
    ("chunks", "chunks", 6),
    ("requests", "vLLM req", 14),
    ("took", "took", 7),
    ("uploaded", "uploaded", 10),
    ("error", "error", 0),
]
NARROW = {"knowledge", "uploaded", "error"}  # a narrow terminal: the error is in the detail line only
NARROW_BELOW = 100
NAME_MAX = 28
KB_MAX = 18


def cut(text: str, width: int) -> str:
    """`text` on one line, at most `width` cells (an ellipsis where it was cut)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: max(0, width - 1)] + "…"


def status_cell(row: DocumentRow, frame: int) -> Text:
    status = row.file.status
    glyph, style = STATUS.get(status, ("?", "dim"))
    if row.in_flight:
        glyph = SPINNER[frame % len(SPINNER)]
    return Text(f"{glyph} {status or 'unknown'}", style=style)


def requests_cell(row: DocumentRow) -> Text:
    """The requests vLLM saw for it; while in flight a bar when the chunk count says how many it needs."""
    if row.requests is None:
        return Text("—", style="dim")
    count = Text(f"{row.requests}")
    if row.progress is None:
        return count
    done = round(row.progress * BAR)
    return Text("━" * done, style="yellow") + Text("━" * (BAR - done), style="grey35") + Text(" ") + count


def cells(row: DocumentRow, frame: int, error_width: int) -> dict[str, Text | str]:
    f = row.file
    took = span(row.duration_s) if row.duration_s is not None else ""
    if row.in_flight and row.age_s is not None:
        took = span(row.age_s) + "…"
    error = Text(cut(f.error, error_width), style="red") if f.error else Text("")
    return {
        "status": status_cell(row, frame),
        "document": cut(f.name or f.id[:8], NAME_MAX),
        "knowledge": Text(cut(row.knowledge, KB_MAX)) if row.knowledge else Text("—", style="dim"),
        "chunks": Text(f"{row.chunks}" if row.chunks is not None else "—", style="" if row.chunks else "dim"),
        "requests": requests_cell(row),
        "took": took,
        "uploaded": f"{span(row.age_s)} ago" if row.age_s is not None else "",
        "error": error,
    }


class DocumentTable(DataTable):
    """Rows keyed by file id, rebuilt when what they show changed, the cursor kept on its document. Moving the
    cursor says which document is under it (`DocumentHighlighted`)."""

    BINDINGS = [
        Binding(
            "up",
            "cursor_up",
            "Cursor up",
            show=False,
            key_display="↑ ↓",
            tooltip="in the documents: the highlighted one's whole error and times below the table",
        ),
        Binding("down", "cursor_down", "Cursor down", show=False),
    ]

    class DocumentHighlighted(Message):
        """The cursor is on another document (None: the table is empty)."""

        def __init__(self, table: DocumentTable, row: DocumentRow | None) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> DocumentTable:
            return self.table

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.rows_shown: list[DocumentRow] = []
        self._columns: tuple[str, ...] = ()
        self._shown: object = None
        self._frame = 0
        self._wanted: list[DocumentRow] = []

    def _column_set(self, width: int) -> tuple[str, ...]:
        return tuple(k for k, _, _ in COLUMNS if width >= NARROW_BELOW or k not in NARROW)

    def on_resize(self) -> None:
        self.show(self._wanted, self._frame)  # the error column takes what the others leave

    def show(self, rows: list[DocumentRow], frame: int) -> None:
        self._wanted, self._frame = rows, frame
        width = self.size.width
        if not width:
            return  # not laid out yet: drawn at its first size (on_resize)
        keys = self._column_set(width)
        auto = {
            "document": max([len("document")] + [min(NAME_MAX, len(r.file.name or r.file.id[:8])) for r in rows]),
            "knowledge": max([len("knowledge base")] + [min(KB_MAX, len(r.knowledge) or 1) for r in rows]),
        }
        fixed = sum(w or auto[k] for k, _, w in COLUMNS if k in keys and k != "error")
        error_width = max(12, width - fixed - 2 * len(keys) - 2)  # 2: a vertical scrollbar, when rows overflow
        drawn = [cells(r, frame, error_width) for r in rows]
        shown = (keys, [tuple(str(c) for c in d.values()) for d in drawn], [r.in_flight for r in rows])
        if shown == self._shown:
            return
        self._shown = shown
        current = self.row_at_cursor()
        if keys != self._columns:
            self.clear(columns=True)
            for k, label, w in COLUMNS:
                if k in keys:
                    self.add_column(label, key=k, width=w or None)
            self._columns = keys
        else:
            self.clear()
        for r, d in zip(rows, drawn, strict=True):
            self.add_row(*(d[k] for k in keys), key=r.file.id)
        self.rows_shown = rows
        ids = [r.file.id for r in rows]
        if current is not None and current.file.id in ids:
            self.move_cursor(row=ids.index(current.file.id), animate=False)
        self.post_message(self.DocumentHighlighted(self, self.row_at_cursor()))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.post_message(self.DocumentHighlighted(self, self.row_at_cursor()))

    def row_at_cursor(self) -> DocumentRow | None:
        if not self.rows_shown or self.row_count == 0:
            return None
        index = self.cursor_row
        return self.rows_shown[index] if 0 <= index < len(self.rows_shown) else None


def render_document(row: DocumentRow | None) -> Text:
    """The highlighted document: its name, status and times, where it went, and its whole error."""
    if row is None:
        return Text("no documents in Open WebUI's latest files yet", style="dim")
    f = row.file
    _, style = STATUS.get(f.status, ("?", "dim"))
    text = Text.assemble((f.name or f.id, "bold"), " · ", (f.status or "status unknown", style))
    if f.created:
        text.append(f" · uploaded {hms(f.created)}")
    if row.duration_s is not None:
        text.append(f" · {f.status} after {span(row.duration_s)}")
    elif row.in_flight and row.age_s is not None:
        text.append(f" · {f.status} for {span(row.age_s)}")
    if row.knowledge:
        text.append(f" · into {row.knowledge}")
    if row.chunks is not None:
        text.append(f" · {row.chunks} chunks")
    if row.requests is not None:
        text.append(f" · {row.requests} client requests in vLLM's log meanwhile")
    if f.error:
        text.append("\n")
        text.append(f.error, style="red")
        if f.error_id:
            text.append(f"  ({f.error_id})", style="dim")
    return text


class DocumentDetail(ScrollStatic):
    """The highlighted document's detail line (its whole error wraps below it)."""

    def show(self, row: DocumentRow | None) -> None:
        self.put(render_document(row))
