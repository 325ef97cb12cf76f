"""GPU panel: per-device memory from NVML, or why NVML is not available on this host."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from tui.model.store import Store
from tui.widgets.panel import RenderPanel
from tui.widgets.styles import human_bytes


def render_gpu(store: Store) -> Table | Text:
    g = store.gpu
    if g is None:
        return Text("waiting for NVML…", style="dim")
    if not g.available:
        return Text(g.reason or "NVML: not available on this host", style="yellow")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    if g.driver:
        grid.add_row("driver", g.driver)
    for d in g.devices:
        if d.used_bytes is not None and d.total_bytes:
            pct = 100.0 * d.used_bytes / d.total_bytes
            mem = f"{human_bytes(d.used_bytes)} / {human_bytes(d.total_bytes)} ({pct:.0f}%)"
        else:
            mem = "memory n/a"
        grid.add_row(f"GPU{d.index}", f"{d.name}\n{mem}")
    return grid


class GpuPanel(RenderPanel):
    def show(self, store: Store) -> None:
        g = store.gpu
        key = None if g is None else (g.available, g.reason, g.driver, g.devices)
        self.set(key, lambda: render_gpu(store))
