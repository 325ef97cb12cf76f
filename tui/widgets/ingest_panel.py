"""Ingestion panel: client embedding traffic as the server sees it — requests/s and tokens/s over the last
minute (from /metrics deltas, embedtop's probes taken out: `state.rates.client_rates`, the same figures as the
Server panel's) with each scrape's step as bars, the queue and its ETA, the current burst, the last bursts, and
errors by status and path (from the access log). `ClientPanel` draws the same rows on the Ingestion screen."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from tui.state.rates import client_rates
from tui.state.store import Store
from tui.widgets.format import hms, spark
from tui.widgets.panel import RenderPanel

FILE_STYLE = {"completed": "green", "failed": "red", "processing": "yellow", "pending": "cyan"}


def client_rows(store: Store, width: int = 40) -> list[tuple[str, Text]]:
    """vLLM's side of ingestion, as rows: the rates over their window (`state.rates.client_rates`, the Server
    panel's figures) with the per-scrape steps as bars, the queue now and its ETA, the current and last bursts,
    errors by status and path."""
    rows: list[tuple[str, Text]] = []
    rates = client_rates(store)
    steps = list(store.ingest_rates)
    ing = store.ingest
    if rates.measured:
        w = max(4, width - 26)
        req = [r for _, r, _ in steps]
        tok = [k for _, _, k in steps]
        window = f" ({rates.label}) "
        rows.append(("req/s", Text(f"{rates.requests_per_s or 0:6.1f}{window}") + Text(spark(req, w), style="cyan")))
        rows.append(("tok/s", Text(f"{rates.tokens_per_s or 0:6,.0f}{window}") + Text(spark(tok, w), style="cyan")))
    else:
        rows.append(("rates", Text("after two /metrics scrapes", style="dim")))
    if rates.t is not None:
        eta = f" · ETA ~{rates.eta_s:.0f} s" if rates.eta_s is not None else ""
        rows.append(("queue", Text(f"{rates.waiting or 0:.0f} waiting · {rates.running or 0:.0f} running{eta}")))
    burst = ing.burst
    if burst is not None:
        err = sum(burst.errors.values())
        text = f"since {hms(burst.start)} · {burst.ok} ok" + (f" · {err} err" if err else "")
        rows.append(("burst", Text(text, style="red" if err else "green")))
    for b in list(ing.bursts)[-2:][::-1]:
        mean = f" · {b.mean_latency_s:.1f} s/req" if b.mean_latency_s is not None else ""
        err = sum(b.errors.values())
        text = f"{hms(b.start)} {b.requests} req in {b.duration_s:.0f} s{mean}" + (f" · {err} err" if err else "")
        rows.append(("done", Text(text, style="red" if err else "")))
    errors = [(label, n) for label, n in ing.totals.most_common() if not label.startswith("2")]
    for label, n in errors[:2]:
        rows.append(("errors", Text(f"{n}× {label}", style="red")))
    if not steps and burst is None and not ing.bursts and not errors:
        rows.append(("", Text("no client embedding requests yet", style="dim")))
    return rows


def render_ingest(store: Store, width: int = 40) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True, min_width=6)
    grid.add_column(no_wrap=True, overflow="ellipsis")
    rows = client_rows(store, width)
    quiet = rows[-1][0] == ""
    for label, text in rows[:-1] if quiet else rows:
        grid.add_row(label, text)
    owui = store.owui
    if owui is not None:
        if not owui.ok:
            grid.add_row("OWUI", Text(owui.error or "", style="yellow"))
        else:
            grid.add_row("OWUI", Text(f"{owui.model} @ {owui.embedding_url or '?'}", style="dim"))
            for f in owui.files[:3]:
                grid.add_row("file", Text(f"{f.status} {f.name}", style=FILE_STYLE.get(f.status, "dim")))
    if quiet:
        grid.add_row(*rows[-1])
    return grid


class IngestPanel(RenderPanel):
    """Draws `render_ingest`: again only after a new server poll (rates, queue), log batch (bursts, errors)
    or Open WebUI answer, or at a new width."""

    def show(self, store: Store) -> None:
        counts = store.counts
        key = (store, counts.server, counts.log, counts.owui, self.size.width)
        self.set(key, lambda: render_ingest(store, max(20, self.size.width - 2)))


def render_client(store: Store, width: int = 40) -> Table:
    """vLLM's side alone (the Ingestion screen's rates panel): `client_rows`."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True, min_width=6)
    grid.add_column(no_wrap=True, overflow="ellipsis")
    for label, text in client_rows(store, width):
        grid.add_row(label, text)
    return grid


class ClientPanel(RenderPanel):
    """Draws `render_client`: again only after a new server poll or log batch, or at a new width."""

    def show(self, store: Store) -> None:
        counts = store.counts
        key = (store, counts.server, counts.log, self.size.width)
        self.set(key, lambda: render_client(store, max(20, self.size.width - 2)))


def render_bursts(store: Store) -> Group | Text:
    """Every burst kept (the current one first), then client requests by status and path since embedtop started:
    the Ingestion screen's view of vLLM's side when no Open WebUI link says more."""
    ing = store.ingest
    bursts = ([ing.burst] if ing.burst is not None else []) + list(ing.bursts)[::-1]
    if not bursts and not ing.totals:
        return Text("no client embedding requests yet (vLLM's access log: --log FILE)", style="dim")
    table = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, header_style="bold")
    for label, justify in (("burst", "left"), ("requests", "right"), ("ok", "right"), ("errors", "right")):
        table.add_column(label, justify=justify, no_wrap=True)
    table.add_column("lasted", justify="right", no_wrap=True)
    table.add_column("server s/req", justify="right", no_wrap=True)
    for b in bursts:
        err = sum(b.errors.values())
        current = b is ing.burst
        table.add_row(
            Text(f"{hms(b.start)}" + (" (now)" if current else ""), style="bold" if current else ""),
            f"{b.requests}",
            Text(f"{b.ok}", style="green"),
            Text(f"{err}", style="bold red" if err else "dim"),
            f"{b.duration_s:.0f} s",
            f"{b.mean_latency_s:.2f}" if b.mean_latency_s is not None else "—",
        )
    totals = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, header_style="bold")
    totals.add_column("client requests since start", no_wrap=True)
    totals.add_column("n", justify="right", no_wrap=True)
    for label, n in ing.totals.most_common(8):
        totals.add_row(Text(label, style="" if label.startswith("2") else "red"), f"{n}")
    return Group(table, Text(""), totals)


class BurstPanel(RenderPanel):
    """Draws `render_bursts`: again only after a new server poll or log batch."""

    def show(self, store: Store) -> None:
        counts = store.counts
        self.set((store, counts.server, counts.log), lambda: render_bursts(store))
