"""Server panel: health, version, served model, max_model_len, lifecycle phase and the last error."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from tui.config import Config
from tui.state import lifecycle
from tui.state.rates import ClientRates, client_rates
from tui.state.store import Store
from tui.state.target_facts import served_model
from tui.widgets.format import hms
from tui.widgets.panel import RenderPanel

PHASE_STYLE = {
    lifecycle.CRASHED: "bold red",
    lifecycle.READY: "green",
    lifecycle.SERVING: "bold green",
    lifecycle.RUNNING: "green",
    lifecycle.EXITED: "red",
    lifecycle.SHUTTING_DOWN: "red",
    lifecycle.NOT_STARTED: "dim",
}
SHORT = {lifecycle.STARTING: "start", lifecycle.LOADING: "load", lifecycle.WARMING: "warm-up"}


def phase_story(state: lifecycle.LogState) -> str:
    """Time spent in each startup phase, from the log's timestamps: "start 14 s · load 1 s · warm-up 9 s"."""
    parts = [
        f"{SHORT[phase]} {secs:.0f}s"
        for phase, _, secs in state.phase_durations()
        if phase in SHORT and secs is not None
    ]
    return " · ".join(parts)


def load_facts(facts: dict[str, str]) -> str:
    """What loading reported: weights size and time, KV cache size, max concurrency."""
    parts = []
    if "weights_gib" in facts:
        parts.append(f"weights {float(facts['weights_gib']):.2f} GiB")
    if "weights_s" in facts:
        parts.append(f"read in {float(facts['weights_s']):.1f} s")
    if "kv_cache_gib" in facts:
        parts.append(f"KV {float(facts['kv_cache_gib']):.2f} GiB")
    if "kv_cache_tokens" in facts:
        parts.append(f"{facts['kv_cache_tokens']} tok")
    if "max_concurrency" in facts:
        parts.append(f"×{float(facts['max_concurrency']):.1f}")
    return " · ".join(parts)


def uptime(store: Store) -> str:
    """ " · up 2 h 13 min" from process_start_time_seconds of the API server."""
    m = store.metrics
    if m is None or not m.ok or m.start_time is None:
        return ""
    secs = max(0.0, m.t - m.start_time)
    if secs < 120:
        return f" · up {secs:.0f}s"
    if secs < 7200:
        return f" · up {secs / 60:.0f}m"
    if secs < 172800:
        return f" · up {secs // 3600:.0f}h{secs % 3600 // 60:02.0f}m"
    return f" · up {secs / 86400:.0f}d"


def traffic_text(rates: ClientRates) -> Text:
    """Client traffic from /metrics deltas over the rates' window, our probes taken out (the same figures as
    the Ingestion panel's)."""
    if not rates.measured:
        return Text("rates after the second /metrics scrape", style="dim")
    parts = [f"{rates.requests_per_s or 0:.1f} req/s", f"{rates.tokens_per_s or 0:,.0f} tok/s"]
    if rates.e2e_p95 is not None:
        parts.append(f"p95 ~{rates.e2e_p95 * 1000:.0f}ms")
    return Text(f"{rates.label}: " + " · ".join(parts))  # the window first: the row may be cut at the right


def render_server(store: Store, cfg: Config) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True, min_width=8)
    grid.add_column(no_wrap=True, overflow="ellipsis")
    s = store.server  # the URL is in the header; every row here is about the server's state
    if s is None:
        grid.add_row("health", Text("waiting for first poll…", style="dim"))
    elif s.health.status is None:
        grid.add_row("health", Text(f"DOWN · {s.health.error}", style="bold red"))
    elif s.health.status == 200:
        ms = (s.health.latency_s or 0) * 1000
        grid.add_row("health", Text(f"200 OK · {ms:.0f} ms", style="bold green"))
    else:
        grid.add_row("health", Text(f"HTTP {s.health.status}", style="bold red"))
    m = served_model(store, cfg)  # the model this target is about (the probe's)
    if s is not None and s.version:
        max_len = f" · ctx {m.max_model_len:,}" if m is not None and m.max_model_len else ""
        up = uptime(store)
        grid.add_row("vLLM", f"{s.version}{max_len}{up}")
    if s is not None and m is not None:
        more = f" (+{len(s.models) - 1})" if len(s.models) > 1 else ""
        grid.add_row("model", f"{m.id}{more}")
        if m.root and m.root.rstrip("/").rsplit("/", 1)[-1] != m.id.rsplit("/", 1)[-1]:
            grid.add_row("root", m.root)
    elif s is not None and s.models_error:
        grid.add_row("model", Text(s.models_error, style="red"))
    state = store.log_state
    if store.log_batch is not None:
        since = f" since {hms(state.phase_since)}" if state.phase_since else ""
        style = PHASE_STYLE.get(state.phase, "yellow")
        grid.add_row("phase", Text(f"{state.phase}{since}", style=style))
        story = phase_story(state)
        if story:
            grid.add_row("startup", Text(story, style="dim"))
        facts = load_facts(state.run.facts)
        if facts:
            grid.add_row("loaded", Text(facts, style="dim"))
    metrics = store.metrics
    if metrics is not None and metrics.ok:
        rates = client_rates(store)
        kv = f" · KV {metrics.kv_usage * 100:.1f} %" if metrics.kv_usage is not None else ""
        grid.add_row("load", f"run {rates.running or 0:.0f} · wait {rates.waiting or 0:.0f}{kv}")
        grid.add_row("traffic", traffic_text(rates))
    elif metrics is not None:
        grid.add_row("metrics", Text(metrics.error or "", style="yellow"))
    elif state.stats is not None and store.log_batch is not None:
        st = state.stats
        kv = f" · KV {st.kv_pct:.1f} %" if st.kv_pct is not None else ""
        grid.add_row("load", f"run {st.running} · wait {st.waiting}{kv} · {st.prompt_tps:.0f} tok/s (log)")
    root = state.root_cause()
    if root is not None:
        grid.add_row("log error", Text(f"{hms(root.t)} {root.id}", style="red"))
    return grid


class ServerPanel(RenderPanel):
    """Draws `render_server` for the current state: again only after a new server poll or log batch."""

    def show(self, store: Store, cfg: Config) -> None:
        counts = store.counts  # what it reads: the server's answers (with /metrics) and the log's state
        self.set((store, counts.server, counts.log), lambda: render_server(store, cfg))
