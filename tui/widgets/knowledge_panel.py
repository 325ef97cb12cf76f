"""The Ingestion screen's knowledge bases: per base its files completed / failed / in flight with a bar (counted in
Open WebUI's latest page of files, the one request per poll), and the embedding model and vector width its
collection was built with — from the vector store (`--openwebui-data` / `--openwebui-pgvector-dsn`), red when the
server now returns another width."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from tui.state.documents import KnowledgeRow
from tui.widgets.panel import RenderPanel

BAR = 8
WIDE_NOTE = "files counted in Open WebUI's latest page of files"
COMPACT_NOTE = "files: done/failed/in flight"
STORE_HINT = "widths, models: --openwebui-data DIR or --openwebui-pgvector-dsn"


def bar(row: KnowledgeRow, width: int = BAR) -> Text:
    """Completed (green), failed (red) and in-flight (yellow) files as shares of its files."""
    k = row.knowledge
    if not k.files:
        return Text("━" * width, style="grey35")
    parts = [(k.completed, "green"), (k.failed, "red"), (k.in_flight, "yellow")]
    out, used = Text(), 0
    for n, style in parts:
        cells = min(round(n / k.files * width), width - used)
        out.append("━" * cells, style=style)
        used += cells
    out.append("━" * (width - used), style="grey35")
    return out


def width_text(row: KnowledgeRow) -> Text:
    if row.dims is None:
        return Text("—", style="dim")
    dims = f"{row.dims}" if row.exact else f"≥{row.dims}"
    if row.mismatch:
        return Text(f"{dims} ✖", style="bold red")
    return Text(dims, style="green" if row.server_dims is not None else "")


def short_model(model: str) -> str:
    """A model's name without its organisation ("sentence-transformers/all-MiniLM-L6-v2" → "all-MiniLM-L6-v2")."""
    return model.rsplit("/", 1)[-1]


def render_knowledge(rows: list[KnowledgeRow], store_read: bool, compact: bool = False) -> Group | Table | Text:
    """The knowledge bases as a table (and, without a vector store, the flags that give widths and models).
    `compact` (a narrow terminal): the name, the files' bar with done / failed / in flight, the width."""
    if not rows:
        return Text("no knowledge bases in Open WebUI", style="dim")
    grid = Table(box=None, padding=(0, 1, 0, 0), show_edge=False, header_style="bold", expand=False)
    grid.add_column("knowledge base", no_wrap=True, overflow="ellipsis", max_width=14 if compact else 22)
    grid.add_column("files", no_wrap=True)
    if not compact:
        grid.add_column("done", justify="right", no_wrap=True, style="green")
        grid.add_column("failed", justify="right", no_wrap=True)
        grid.add_column("in flight", justify="right", no_wrap=True)
        grid.add_column("built with", no_wrap=True, overflow="ellipsis", max_width=20)
    grid.add_column("width", no_wrap=True)
    for r in rows:
        k = r.knowledge
        failed = Text(f"{k.failed}", style="bold red" if k.failed else "dim")
        flying = Text(f"{k.in_flight}", style="bold yellow" if k.in_flight else "dim")
        if compact:
            counts = Text.assemble(bar(r, 6), " ", (f"{k.completed}", "green"), "/", failed, "/", flying)
            grid.add_row(k.name, counts, width_text(r))
            continue
        grid.add_row(
            k.name,
            bar(r) + Text(f" {k.files}"),
            f"{k.completed}",
            failed,
            flying,
            Text(short_model(r.model) or "—", style="" if r.model else "dim"),
            width_text(r),
        )
    return grid if store_read else Group(grid, Text(STORE_HINT, style="dim"))


def knowledge_title(rows: list[KnowledgeRow]) -> str:
    """The panel's title: the width the knowledge bases' widths are judged against."""
    server = next((r.server_dims for r in rows if r.server_dims is not None), None)
    return "Knowledge bases" + (f" (server: {server}-dim)" if server else "")


class KnowledgePanel(RenderPanel):
    """Draws `render_knowledge`: again only when what it shows changed."""

    def show(self, rows: list[KnowledgeRow], store_read: bool, compact: bool = False) -> None:
        self.border_title = knowledge_title(rows)
        self.border_subtitle = COMPACT_NOTE if compact else WIDE_NOTE
        self.set((tuple(rows), store_read, compact), lambda: render_knowledge(rows, store_read, compact))
