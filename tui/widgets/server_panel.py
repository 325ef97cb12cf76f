"""Server panel: health, version, served model, max_model_len, lifecycle phase and the last error."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from tui.config import Config
from tui.model.store import Store
from tui.rules.catalog import hms, root_finding
from tui.widgets.panel import RenderPanel


def render_server(store: Store, cfg: Config) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    s = store.server
    grid.add_row("URL", cfg.url)
    if s is None:
        grid.add_row("health", Text("waiting for first poll…", style="dim"))
    elif s.health.status is None:
        grid.add_row("health", Text(f"DOWN · {s.health.error}", style="bold red"))
    elif s.health.status == 200:
        ms = (s.health.latency_s or 0) * 1000
        grid.add_row("health", Text(f"200 OK · {ms:.0f} ms", style="bold green"))
    else:
        grid.add_row("health", Text(f"HTTP {s.health.status}", style="bold red"))
    if s is not None and s.version:
        grid.add_row("vLLM", s.version)
    if s is not None and s.models:
        m = s.models[0]
        more = f" (+{len(s.models) - 1})" if len(s.models) > 1 else ""
        grid.add_row("model", f"{m.id}{more}")
        if m.max_model_len:
            grid.add_row("max len", f"{m.max_model_len:,} tokens")
        if m.root and m.root != m.id:
            grid.add_row("root", m.root)
    elif s is not None and s.models_error:
        grid.add_row("model", Text(s.models_error, style="red"))
    state = store.log_state
    if store.log_batch is not None:
        since = f" since {hms(state.phase_since)}" if state.phase_since else ""
        style = "red" if state.phase == "crashed" else "green" if state.phase == "ready" else "yellow"
        grid.add_row("phase", Text(f"{state.phase}{since}", style=style))
    if state.findings:
        root = root_finding(list(state.findings))
        grid.add_row("log error", Text(f"{hms(root.t)} {root.pattern.id}", style="red"))
    return grid


class ServerPanel(RenderPanel):
    """Draws `render_server` for the current state."""

    def show(self, store: Store, cfg: Config) -> None:
        state = store.log_state
        key = (store.server, state.phase, state.phase_since, len(state.findings), store.log_batch is None)
        self.set(key, lambda: render_server(store, cfg))
