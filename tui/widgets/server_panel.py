"""Server panel: health, version, served model, max_model_len, lifecycle phase and the last error."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from tui.config import Config
from tui.logs import lifecycle
from tui.model.store import Store
from tui.rules.catalog import hms
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
        f"{SHORT[phase]} {secs:.0f} s"
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


def render_server(store: Store, cfg: Config) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
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
    m = s.models[0] if s is not None and s.models else None
    if s is not None and s.version:
        max_len = f" · max len {m.max_model_len:,}" if m is not None and m.max_model_len else ""
        grid.add_row("vLLM", f"{s.version}{max_len}")
    if s is not None and m is not None:
        more = f" (+{len(s.models) - 1})" if len(s.models) > 1 else ""
        grid.add_row("model", f"{m.id}{more}")
        if m.root and m.root != m.id:
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
        if state.stats is not None:
            st = state.stats
            kv = f" · KV {st.kv_pct:.1f} %" if st.kv_pct is not None else ""
            grid.add_row("engine", f"run {st.running} · wait {st.waiting}{kv} · {st.prompt_tps:.0f} tok/s")
    root = state.root_cause()
    if root is not None:
        grid.add_row("log error", Text(f"{hms(root.t)} {root.id}", style="red"))
    return grid


class ServerPanel(RenderPanel):
    """Draws `render_server` for the current state."""

    def show(self, store: Store, cfg: Config) -> None:
        state = store.log_state
        key = (
            store.server,
            state.phase,
            state.phase_since,
            len(state.findings),
            store.log_batch is None,
            state.stats_t,
            len(state.run.facts),
        )
        self.set(key, lambda: render_server(store, cfg))
