"""The Ingestion screen (`i`) on frozen stores (tests/frozen_ingest.py; no network, no timers): knowledge bases,
documents pending / processing / completed / failed with their chunks, the highlighted one's whole error, the
no-link case, a narrow terminal, the runtime's changes reaching it, and the Server and Ingestion panels reading
one computation of the request rate."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rich.console import Console
from rich.text import Text
from textual.pilot import Pilot

from tests.frozen_ingest import OWUI, T_OWUI, TOO_LONG, ingest_app, ingest_config, ingest_store
from tui.samples import OwuiSample
from tui.screens.dashboard import KEYS
from tui.screens.ingestion import NO_LINK, IngestionScreen, link_note
from tui.state.documents import document_rows, knowledge_rows
from tui.state.rates import client_rates
from tui.widgets.documents import DocumentDetail, DocumentTable
from tui.widgets.ingest_panel import render_client, render_ingest
from tui.widgets.panel import RenderPanel
from tui.widgets.server_panel import render_server


def plain(renderable: object, width: int = 120) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


# ------------------------------------------------------------------ one computation for both panels


def test_server_and_ingestion_panels_show_the_same_request_rate() -> None:
    """The burst ended 15 s ago: the last scrape's step is 0.0 req/s, the minute's rate is not. Both panels (and
    the Ingestion screen's) show the minute's figure, labelled with its window — once the Ingestion panel showed
    the step (0.0) while the Server panel showed the minute (3.1) at the same moment."""
    store = ingest_store(link=False)
    cfg = ingest_config(link=False)
    step = store.ingest_rates[-1][1]
    rates = client_rates(store)
    assert step == 0.0 and rates.requests_per_s is not None and rates.requests_per_s > 3.0  # the two computations
    figure = f"{rates.requests_per_s:.1f}"
    server, ingest, screen = plain(render_server(store, cfg)), plain(render_ingest(store)), plain(render_client(store))
    assert f"1 min: {figure} req/s" in server
    for text in (ingest, screen):
        req = next(line for line in text.splitlines() if line.startswith("req/s"))
        assert req.split()[1] == figure and "(1 min)" in req, req
    tokens = f"{rates.tokens_per_s:,.0f}"
    assert f"{tokens} tok/s" in server
    assert next(line for line in ingest.splitlines() if line.startswith("tok/s")).split()[1] == tokens


def test_the_queue_and_its_eta_use_the_same_window() -> None:
    store = ingest_store(link=False)
    m = store.metrics_history[3]  # mid-burst: 12 waiting
    mid = type(store)()
    for s in list(store.metrics_history)[:4]:
        mid.metrics_history.append(s)
    mid.metrics = m
    rates = client_rates(mid)
    assert rates.waiting == 12.0 and rates.eta_s is not None
    assert f"ETA ~{rates.eta_s:.0f} s" in plain(render_ingest(mid))


# ------------------------------------------------------------------ what the rows say (pure)


def test_document_rows_join_the_link_the_log_and_vllm() -> None:
    ordered = document_rows(ingest_store())
    assert ordered[0].file.name == "visitor-policy.txt"  # newest upload first
    rows = {r.file.name: r for r in ordered}
    manual = rows["harbour-manual.pdf"]
    assert (manual.file.status, manual.chunks, manual.knowledge, manual.duration_s) == (
        "completed",
        50,
        "Harbour docs",
        31.0,
    )
    assert manual.requests and manual.requests > 0 and manual.progress is None
    safety = rows["safety-rules.md"]  # its own collection is stored (30 chunks): the knowledge base's pass is next
    assert safety.in_flight and safety.progress is not None and 0.5 < safety.progress < 1.0
    berths = rows["berth-plan.xlsx"]
    assert berths.in_flight and berths.chunks is None and berths.progress is None  # a spinner, no bar
    assert rows["visitor-policy.txt"].file.status == "pending" and rows["visitor-policy.txt"].age_s == 2.0
    roster = rows["crew-roster.docx"]
    assert roster.file.status == "failed" and roster.file.error == TOO_LONG and roster.duration_s == 1.0


def test_knowledge_rows_carry_the_stored_width_against_the_servers() -> None:
    rows = {r.knowledge.name: r for r in knowledge_rows(ingest_store())}
    harbour, crew, ops = rows["Harbour docs"], rows["Crew handbook"], rows["Port operations"]
    assert (harbour.knowledge.completed, harbour.knowledge.in_flight, harbour.dims, harbour.mismatch) == (
        2,
        1,
        2560,
        False,
    )
    assert (crew.knowledge.failed, crew.dims, crew.model, crew.mismatch) == (
        2,
        384,
        "sentence-transformers/all-MiniLM-L6-v2",
        True,
    )
    assert ops.dims is None and not ops.mismatch and ops.knowledge.in_flight == 2


def test_the_link_line_never_shows_a_key() -> None:
    cfg = replace(ingest_config(), openwebui_key="sk-owui-admin-secret")
    store = ingest_store()
    note = link_note(cfg, store).plain
    assert "key set" in note and "sk-" not in note
    store.apply(OwuiSample(T_OWUI + 5, OWUI, error="GET /api/v1/retrieval/embedding → HTTP 401"))
    assert "HTTP 401" in link_note(cfg, store).plain
    assert NO_LINK in link_note(ingest_config(link=False), store).plain
    assert "--openwebui URL --openwebui-key-env VAR" in NO_LINK


# ------------------------------------------------------------------ the screen, through the pilot


def detail_text(screen: IngestionScreen) -> str:
    """What the detail line shows (the highlighted document's)."""
    content = screen.query_one(DocumentDetail).content
    assert isinstance(content, Text)
    return content.plain


async def open_ingestion(pilot: Pilot[object]) -> IngestionScreen:
    await pilot.pause()
    await pilot.press("i")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, IngestionScreen)
    return screen


async def test_i_opens_the_ingestion_screen_and_back() -> None:
    app = ingest_app()
    async with app.run_test(size=(120, 36)) as pilot:
        assert any(b.key == "i" and b.show for b in KEYS)  # in the footer
        screen = await open_ingestion(pilot)
        table = screen.query_one(DocumentTable)
        statuses = [r.file.status for r in table.rows_shown]
        assert statuses.count("completed") == 3 and statuses.count("failed") == 2
        assert statuses.count("processing") == 2 and statuses.count("pending") == 1
        assert table.row_count == 8
        table.focus()
        failed = statuses.index("failed")
        for _ in range(failed):
            await pilot.press("down")
        assert table.row_at_cursor() is table.rows_shown[failed]
        assert table.rows_shown[failed].file.name in detail_text(screen)
        await pilot.press("i")
        await pilot.pause()
        assert not isinstance(app.screen, IngestionScreen)


async def test_the_highlighted_failed_document_shows_its_whole_error() -> None:
    app = ingest_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_ingestion(pilot)
        table = screen.query_one(DocumentTable)
        index = next(i for i, r in enumerate(table.rows_shown) if r.file.error == TOO_LONG)
        table.focus()
        for _ in range(index):
            await pilot.press("down")
        await pilot.pause()
        assert " ".join(TOO_LONG.split()) in " ".join(detail_text(screen).split())  # whole, not cut


async def test_a_runtime_change_reaches_the_ingestion_screen() -> None:
    """A new Open WebUI answer (the pending file now processing, the processing one completed) arrives as the
    runtime's TargetChanged; the screen redraws its rows from it."""
    app = ingest_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_ingestion(pilot)
        target = app.targets[0]
        owui = target.store.owui
        assert owui is not None
        moved = {"pending": "processing", "processing": "completed"}
        files = tuple(replace(f, status=moved.get(f.status, f.status), updated=T_OWUI + 3) for f in owui.files)
        before = screen.shows
        target.on_sample(replace(owui, t=T_OWUI + 5, files=files, in_flight=()))
        for _ in range(50):  # bounded: the message arrives within a few turns of the loop
            if screen.shows > before:
                break
            await pilot.pause()
        table = screen.query_one(DocumentTable)
        statuses = [r.file.status for r in table.rows_shown]
        assert screen.shows > before and "pending" not in statuses and statuses.count("completed") == 5


async def test_without_a_link_the_screen_says_so_and_shows_vllms_side() -> None:
    app = ingest_app(link=False)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_ingestion(pilot)
        note = str(screen.query_one("#ingest-note").render())
        assert note == NO_LINK
        assert not screen.query_one("#documents-box").display
        client = plain(screen.query_one("#client", RenderPanel).render())
        assert "req/s" in client and "(1 min)" in client and "queue" in client and "done" in client


async def test_narrow_terminal_drops_columns_not_the_error() -> None:
    app = ingest_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ingestion(pilot)
        table = screen.query_one(DocumentTable)
        keys = [c.key.value for c in table.columns.values()]
        assert "error" not in keys and "knowledge" not in keys and "chunks" in keys
        assert table.virtual_size.width <= table.size.width  # no sideways scrolling
        index = next(i for i, r in enumerate(table.rows_shown) if r.file.error)
        table.focus()
        for _ in range(index):
            await pilot.press("down")
        assert table.rows_shown[index].file.error[:20] in detail_text(screen)


async def test_several_targets_the_overview_asks_for_a_tab() -> None:
    from tests.frozen import frozen_multi_app

    app = frozen_multi_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        assert not isinstance(app.screen, IngestionScreen)
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, IngestionScreen) and app.screen.index == 1


# ------------------------------------------------------------------ snapshots


async def _to_ingestion(pilot: Pilot[object]) -> None:
    await pilot.pause()
    await pilot.press("i")
    await pilot.pause()


async def _to_failed_row(pilot: Pilot[object]) -> None:
    await _to_ingestion(pilot)
    screen = pilot.app.screen
    table = screen.query_one(DocumentTable)
    table.focus()
    index = next(i for i, r in enumerate(table.rows_shown) if r.file.error == TOO_LONG)
    for _ in range(index):
        await pilot.press("down")
    await pilot.pause()


@pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=["wide", "narrow"])
def test_ingestion_screen_snapshot(size: tuple[int, int], snap_compare) -> None:
    assert snap_compare(ingest_app(), terminal_size=size, run_before=_to_ingestion)


def test_ingestion_screen_failed_row_snapshot(snap_compare) -> None:
    assert snap_compare(ingest_app(), terminal_size=(120, 36), run_before=_to_failed_row)


def test_ingestion_screen_no_link_snapshot(snap_compare) -> None:
    assert snap_compare(ingest_app(link=False), terminal_size=(120, 36), run_before=_to_ingestion)


def test_chunk_counts_come_from_open_webuis_log() -> None:
    """`added N items to collection file-<id>` (save_docs_to_vector_db) is a file's chunk count; index_file's
    one-item line and the knowledge base's own collection are not."""
    from tests.conftest import CAPTURES
    from tui.state.owui_log import OwuiLogTracker

    tracker = OwuiLogTracker()
    for line in (CAPTURES / "openwebui-real-vllm" / "ingest" / "owui.log").read_text().splitlines():
        tracker.feed(line)
    assert dict(tracker.chunks) == {"bdd2d0e4-fcea-439b-959f-98bb863bd824": 72}


async def test_help_on_the_ingestion_screen_lists_its_keys() -> None:
    from tui.screens.help import HelpScreen, help_text

    app = ingest_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_ingestion(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = help_text(app.screen.sections).plain
        assert "back to the dashboard" in text and "whole error" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, IngestionScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.dashboard
