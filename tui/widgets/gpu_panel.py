"""GPU panel: per device a memory bar, a memory sparkline, util / temperature / power and the vLLM
processes holding memory on it; then host CPU / RAM. Or why NVML is not available, and the check to run."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from tui.samples import GpuDevice, VllmProcess
from tui.state.store import Store
from tui.widgets.format import spark
from tui.widgets.panel import RenderPanel

ROLE_LABEL = {"api-server": "API", "engine-core": "EngineCore", "worker": "Worker"}


def gib(n: int | None) -> str:
    return "n/a" if n is None else f"{n / 1024**3:.1f}"


def bar(used: int, total: int, width: int) -> Text:
    frac = min(1.0, used / total) if total else 0.0
    full = round(frac * width)
    style = "red" if frac >= 0.97 else "yellow" if frac >= 0.9 else "green"
    text = Text("█" * full, style=style)
    text.append("░" * (width - full), style="dim")
    text.append(f" {frac * 100:.0f}%")
    return text


def _device_lines(
    store: Store, d: GpuDevice, procs: dict[int, VllmProcess], width: int, own: frozenset[int] | None = None
) -> list[Text]:
    lines: list[Text] = []
    name = d.name.replace("NVIDIA ", "")
    if d.lost:
        return [Text(f"GPU{d.index} {name}: GPU LOST ({d.reason('device') or 'NVML'})", style="bold red")]
    lines.append(Text(f"GPU{d.index} {name}", style="bold"))
    if d.used_bytes is not None and d.total_bytes:
        lines.append(bar(d.used_bytes, d.total_bytes, max(8, width - 6)))
        lines.append(Text(f"{gib(d.used_bytes)} / {gib(d.total_bytes)} GiB used"))
        history = [u for _, u in store.gpu_memory.get(d.index, ())]
        if len(history) >= 2:
            lines.append(Text(spark(history, width, top=d.total_bytes, spread=True), style="cyan"))
    else:
        lines.append(Text(f"memory n/a ({d.reason('memory') or 'unknown'})", style="dim"))
    parts = [
        f"{d.util_percent}%" if d.util_percent is not None else "util n/a",
        f"{d.temperature_c}°C" if d.temperature_c is not None else "temp n/a",
        f"{d.power_w:.0f} W" if d.power_w is not None else "power n/a",
    ]
    lines.append(Text(" · ".join(parts), style="dim" if d.util_percent is None else ""))
    if d.processes is None:
        lines.append(Text(f"processes n/a ({d.reason('processes') or '?'})", style="dim"))
    for p in sorted(d.processes or (), key=lambda p: -(p.used_bytes or 0)):
        mapped = procs.get(p.pid)
        label = ROLE_LABEL.get(mapped.role, mapped.role) if mapped else "pid not visible here"
        mem = f"{gib(p.used_bytes)} GiB" if p.used_bytes is not None else "mem n/a"
        style = "green" if mapped else "yellow"
        if mapped and own is not None and p.pid not in own:
            label, style = f"other vLLM: {label}", "dim"
        lines.append(Text(f"{label} {p.pid} {mem}", style=style))
    return lines


def render_gpu(store: Store, width: int = 28, own: frozenset[int] | None = None) -> Group | Text:
    """`own`: the pids of the target shown (several targets): its GPUs first, others' processes dimmed."""
    g = store.gpu
    host = store.host
    lines: list[Text] = []
    if g is None:
        lines.append(Text("waiting for NVML…", style="dim"))
    elif not g.available:
        lines.append(Text(g.reason or "NVML: not available on this host", style="yellow"))
        lines.append(Text("check: nvidia-smi", style="dim"))
    else:
        procs = {p.pid: p for p in host.processes} if host else {}
        head = " · ".join(x for x in (f"drv {g.driver}" if g.driver else "", f"CUDA {g.cuda}" if g.cuda else "") if x)
        if head:
            lines.append(Text(head, style="dim"))
        if not g.devices:
            lines.append(Text("no GPU selected" if g.note else "NVML sees no GPU", style="red"))
        devices = list(g.devices)
        if own is not None:  # the target's own GPUs first (a stable sort: one server keeps NVML's order)
            devices.sort(key=lambda d: not any(p.pid in own for p in d.processes or ()))
        for d in devices:
            lines += _device_lines(store, d, procs, width, own)
    if host is not None:
        used = host.ram_used / 1024**3
        ram = (
            f"RAM {used:.1f}/{host.ram_total / 1024**3:.0f}G"
            if used < 10
            else f"RAM {used:.0f}/{host.ram_total / 1024**3:.0f}G"
        )
        swap = f" · swap {host.swap_used / 1024**3:.1f}G" if host.swap_used > 0.1 * 1024**3 else ""
        lines.append(Text(f"host CPU {host.cpu_percent:.0f}% · {ram}{swap}", style="dim"))
    return Group(*lines)


class GpuPanel(RenderPanel):
    _store: Store | None = None
    _own: frozenset[int] | None = None

    def on_resize(self) -> None:
        if self._store is not None:
            self.show(self._store, self._own)  # bars and sparklines are as wide as the panel

    def show(self, store: Store, own: frozenset[int] | None = None) -> None:
        self._store, self._own = store, own
        g, host = store.gpu, store.host
        key = (
            None if g is None else (g.available, g.reason, g.driver, g.devices),
            None
            if host is None
            else (round(host.cpu_percent), host.ram_used >> 26, tuple(p.pid for p in host.processes)),
            self.size.width,
            own,
        )
        self.set(key, lambda: render_gpu(store, max(12, self.size.width - 2), own))
