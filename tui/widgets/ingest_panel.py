"""Ingestion panel: client embedding traffic as the server sees it — requests/s and tokens/s (from
/metrics deltas, embedtop's probes taken out), the queue and its ETA, the current burst, the last
bursts, and errors by status and path (from the access log)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from tui.state.store import Store
from tui.widgets.format import hms, spark
from tui.widgets.panel import RenderPanel


def render_ingest(store: Store, width: int = 40) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True, min_width=6)
    grid.add_column(no_wrap=True, overflow="ellipsis")
    rates = list(store.ingest_rates)
    ing = store.ingest
    if rates:
        req = [r for _, r, _ in rates]
        tok = [k for _, _, k in rates]
        w = max(6, width - 18)
        grid.add_row("req/s", Text(f"{req[-1]:6.1f} ") + Text(spark(req, w), style="cyan"))
        grid.add_row("tok/s", Text(f"{tok[-1]:6,.0f} ") + Text(spark(tok, w), style="cyan"))
    else:
        grid.add_row("rates", Text("after two /metrics scrapes", style="dim"))
    m = store.metrics
    if m is not None and m.ok:
        waiting = m.waiting or 0
        eta = ""
        tr = store.traffic(seconds=30)
        if waiting and tr is not None and tr.requests_per_s:
            eta = f" · ETA ~{waiting / tr.requests_per_s:.0f} s"
        grid.add_row("queue", f"{waiting:.0f} waiting · {m.running or 0:.0f} running{eta}")
    burst = ing.burst
    if burst is not None:
        err = sum(burst.errors.values())
        style = "red" if err else "green"
        grid.add_row("burst", Text(f"since {hms(burst.start)} · {burst.ok} ok · {err} err", style=style))
    for b in list(ing.bursts)[-2:][::-1]:
        mean = f" · {b.mean_latency_s:.1f} s/req" if b.mean_latency_s is not None else ""
        err = sum(b.errors.values())
        text = f"{hms(b.start)} {b.requests} req in {b.duration_s:.0f} s{mean}" + (f" · {err} err" if err else "")
        grid.add_row("done", Text(text, style="red" if err else ""))
    errors = [(label, n) for label, n in ing.totals.most_common() if not label.startswith("2")]
    for label, n in errors[:2]:
        grid.add_row("errors", Text(f"{n}× {label}", style="red"))
    owui = store.owui
    if owui is not None:
        if not owui.ok:
            grid.add_row("OWUI", Text(owui.error or "", style="yellow"))
        else:
            grid.add_row("OWUI", Text(f"{owui.model} @ {owui.embedding_url or '?'}", style="dim"))
            style = {"completed": "green", "failed": "red", "processing": "yellow"}
            for f in owui.files[:3]:
                grid.add_row("file", Text(f"{f.status} {f.name}", style=style.get(f.status, "dim")))
    if not rates and burst is None and not ing.bursts and not errors:
        grid.add_row("", Text("no client embedding requests yet", style="dim"))
    return grid


class IngestPanel(RenderPanel):
    """Draws `render_ingest`: again only after a new server poll (rates, queue), log batch (bursts, errors)
    or Open WebUI answer, or at a new width."""

    def show(self, store: Store) -> None:
        counts = store.counts
        key = (store, counts.server, counts.log, counts.owui, self.size.width)
        self.set(key, lambda: render_ingest(store, max(20, self.size.width - 2)))
