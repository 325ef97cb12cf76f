"""The Ingestion screen (`i` on the dashboard): document ingestion of one target, seen whole.

Above, one line on the Open WebUI link (or the flags that turn it on), then its knowledge bases (files done /
failed / in flight, the model and width each was built with) beside vLLM's side of it (request and token rates
over the last minute — the Server panel's figures — the queue and the bursts). Below, one row per recent
document with its status, chunks, the requests vLLM saw for it, times and error; the highlighted one's whole
story in the detail line. It reads only what the target's collectors already gathered: no request of its own,
never a file's contents, never a key. The dashboard hands it each `TargetChanged` of its target (`show()`).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header

from tui.config import Config
from tui.runtime.target import TargetRun
from tui.screens.help import HelpScreen, key_rows
from tui.state.documents import document_rows, knowledge_rows
from tui.state.store import Store
from tui.widgets.documents import NARROW_BELOW, DocumentDetail, DocumentTable
from tui.widgets.format import hms
from tui.widgets.ingest_panel import BurstPanel, ClientPanel
from tui.widgets.knowledge_panel import KnowledgePanel
from tui.widgets.panel import RenderPanel

NO_LINK = "No Open WebUI link (--openwebui URL --openwebui-key-env VAR): vLLM's side only"


def link_note(cfg: Config, store: Store) -> Text:
    """The one line on the Open WebUI link: what it is and when it answered, why not, or how to turn it on."""
    owui = store.owui
    if not cfg.openwebui:
        return Text(NO_LINK, style="yellow")
    if owui is None:
        return Text(f"Open WebUI {cfg.openwebui}: waiting for its first answer…", style="dim")
    if not owui.ok:
        return Text(f"Open WebUI {owui.url}: {owui.error}", style="yellow")
    key = "key set" if owui.key_set else "no key"
    where = owui.embedding_url or "?"
    return Text.assemble(
        ("Open WebUI ", "bold"),
        owui.url,
        (f" (answered {hms(owui.t)})", "dim"),
        f" · {owui.engine or '?'} {owui.model or '?'} → {where} · {key}",
    )


def missing_sources(cfg: Config) -> str:
    """What a column lacks without a source, and the flag that gives it."""
    hints = []
    if cfg.owui_log_source is None:
        hints.append("chunks: --openwebui-log FILE")
    if cfg.log_source is None:
        hints.append("vLLM req: --log FILE")
    return " · ".join(hints)


class IngestionScreen(Screen[None]):
    """One target's ingestion: its knowledge bases, vLLM's side and its recent documents."""

    BINDINGS = [
        Binding("i", "close", "Dashboard", tooltip="back to the dashboard"),
        Binding("escape", "close", "Back", show=False),
        Binding(
            "tab",
            "app.focus_next",
            "Focus Next",
            show=False,
            tooltip="move focus to the documents (↑ ↓ pick one)",
        ),
        Binding("question_mark", "help", "Help", tooltip="this help"),
        Binding("q", "app.quit", "Quit", tooltip="quit"),
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "narrow"), (NARROW_BELOW, "wide")]  # narrow: fewer columns
    VERTICAL_BREAKPOINTS = [(0, "short"), (32, "tall")]
    CSS = """
    IngestionScreen { layout: vertical; }
    #ingest-note { height: auto; max-height: 2; padding: 0 1; }
    #ingest-top { height: auto; max-height: 12; }
    IngestionScreen.short #ingest-top { max-height: 9; }
    #knowledge { width: 1fr; height: auto; min-height: 6; }
    #client { width: 40; height: auto; min-height: 6; }
    #bursts { display: none; height: 1fr; }
    IngestionScreen.nolink #bursts { display: block; }
    #documents-box { height: 1fr; min-height: 6; padding: 0; }
    #documents { height: 1fr; }
    #document-detail { height: 5; padding: 0 1; border-top: solid $primary 40%; }
    IngestionScreen.narrow #document-detail { height: 4; }
    IngestionScreen.nolink #knowledge { display: none; }
    IngestionScreen.nolink #documents-box { display: none; }
    IngestionScreen.nolink #client { width: 1fr; }
    """

    def __init__(self, target: TargetRun, index: int = 0) -> None:
        super().__init__()
        self.target = target
        self.cfg = target.cfg
        self.index = index  # the target's index (the dashboard hands this screen that target's changes)
        self.shows = 0  # redraws (tests wait on it)

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◉")
        yield RenderPanel(id="ingest-note")
        with Horizontal(id="ingest-top"):
            knowledge = KnowledgePanel(id="knowledge", classes="panel")
            knowledge.border_title = "Knowledge bases"
            yield knowledge
            client = ClientPanel(id="client", classes="panel")
            client.border_title = "vLLM · client embeddings"
            client.border_subtitle = "rates: 1 min · bars: each scrape"
            yield client
        bursts = BurstPanel(id="bursts", classes="panel")
        bursts.border_title = "vLLM · bursts of client requests (no gap over 10 s)"
        yield bursts
        with Vertical(id="documents-box", classes="panel"):
            yield DocumentTable(id="documents")
            yield DocumentDetail(id="document-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.set_class(not self.cfg.openwebui, "nolink")
        box = self.query_one("#documents-box")
        box.border_title = "Documents · newest upload first"
        hints = missing_sources(self.cfg)
        if hints:
            box.border_subtitle = hints
        self.show()

    def show(self) -> None:
        """Redraw from the target's store (read each time: a replay that seeks back gives it a new one)."""
        store, cfg = self.target.store, self.cfg
        self.shows += 1
        with self.app.batch_update():
            note = self.query_one("#ingest-note", RenderPanel)
            note.set((store, store.counts.owui), lambda: link_note(cfg, store))
            stored = store.owui_store
            compact = self.size.width < NARROW_BELOW
            self.query_one(KnowledgePanel).show(knowledge_rows(store), stored is not None and stored.ok, compact)
            self.query_one(ClientPanel).show(store)
            if not self.cfg.openwebui:
                self.query_one(BurstPanel).show(store)
            table = self.query_one(DocumentTable)
            table.show(document_rows(store), store.counts.server + store.counts.owui)
            self.query_one(DocumentDetail).show(table.row_at_cursor())

    def on_resize(self) -> None:
        if self.is_mounted:
            self.show()  # across the breakpoint the knowledge bases' table changes form

    def on_document_table_document_highlighted(self, message: DocumentTable.DocumentHighlighted) -> None:
        self.query_one(DocumentDetail).show(message.row)

    def action_close(self) -> None:
        self.dismiss()

    def action_help(self) -> None:
        display = self.app.get_key_display
        rows = key_rows(self.BINDINGS, display) + key_rows(DocumentTable.BINDINGS, display)
        self.app.push_screen(HelpScreen([("The Ingestion screen", rows)]))
