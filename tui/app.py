"""The Textual app: a thin shell around the dashboard screen and the runtime it shows.

The runtime (`runtime.watch.Watch`: one `TargetRun` per watched server, the host's collectors, a replay
cursor) knows nothing of Textual; `screens.dashboard.DashboardScreen` owns the layout, the keys and the
redraws. The app joins them: each change of a target becomes a `TargetChanged` message to the screen,
polling starts once the first frame is on screen, and everything stops when the app exits.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from textual.app import App
from textual.screen import Screen

from tui.clock import SYSTEM, Clock
from tui.config import Config
from tui.runtime.replay import Record
from tui.runtime.watch import Watch
from tui.screens.dashboard import DashboardScreen, TargetChanged
from tui.state.store import Store

FREEZE_AFTER_S = 1.0  # after the first data frame, the start-up's objects leave the GC's full passes


class EmbedtopApp(App[None]):
    """The dashboard. `cfg` is one target or a list of them; `demo` is the in-process demo target of each
    (None for a real server), which enables the `f` key. `live=False` with `store` (frozen stores) or
    `replay` (a recording, or one per target) polls nothing. `exporter` serves /metrics beside it."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "embedtop"
    AUTO_FOCUS = None

    def __init__(
        self,
        cfg: Config | Sequence[Config],
        demo: Any = None,
        live: bool = True,
        nvml: ModuleType | None = None,
        store: Store | Sequence[Store] | None = None,
        record: Path | Sequence[Path | None] | None = None,
        replay: Sequence[Record] | Sequence[Sequence[Record]] | None = None,
        speed: float = 1.0,
        exporter: Any = None,
        clock: Clock = SYSTEM,
    ) -> None:
        super().__init__()
        cfgs = [cfg] if isinstance(cfg, Config) else list(cfg)
        self.watch = Watch(cfgs, demo, live, nvml, store, record, replay, exporter, clock)
        self.watch.on_change = self._changed
        self.targets = self.watch.targets
        self.speed = speed
        self.collector_errors: list[str] = []
        self.dashboard: DashboardScreen | None = None

    def get_default_screen(self) -> Screen[Any]:
        self.dashboard = DashboardScreen(self.watch, self.speed)
        return self.dashboard

    def _changed(self, index: int) -> None:
        if self.dashboard is not None and not self.watch.closing:
            self.dashboard.post_message(TargetChanged(index))

    def on_ready(self) -> None:
        """The first frame is on screen: now start polling (its HTTP clients, NVML, the process scan and
        their imports do not delay the frame)."""
        self.milestone("first_frame_s")
        if self.watch.live and not self.watch.closing:
            self.watch.start(on_error=self._collector_error)

    def on_dashboard_screen_first_data(self, message: DashboardScreen.FirstData) -> None:
        """After the first data, the objects of the start are frozen out of the garbage collector's full
        passes (they live as long as the app)."""
        self.milestone("first_data_frame_s")
        if self.watch.live:
            self.set_timer(FREEZE_AFTER_S, self._freeze_startup)

    def milestone(self, key: str) -> None:
        """A point of the start-up: `first_frame_s` (the first frame is on screen) and `first_data_frame_s`
        (the first target's health and a probe are shown). Nothing here: bench/ times them in a subclass."""

    def _freeze_startup(self) -> None:
        if not self.watch.closing:
            gc.collect()
            gc.freeze()

    def _collector_error(self, name: str, exc: BaseException) -> None:
        # A bug in a collector, not a failure of the watched system: say it, keep running.
        self.collector_errors.append(f"{name}: {type(exc).__name__}: {exc}")
        self.notify(f"collector {name} failed: {type(exc).__name__}", severity="error")

    async def on_unmount(self) -> None:
        await self.watch.stop()
