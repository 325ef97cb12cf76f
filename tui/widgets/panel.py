"""A panel that draws one Rich renderable and repaints without a layout pass.

`Static.update()` asks for a full layout refresh on every call; these panels have fixed sizes
from CSS, so a plain repaint is enough and keeps a 2-second poll cheap.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import RenderableType
from textual.widget import Widget


class RenderPanel(Widget):
    """Holds a renderable; `set()` swaps it and repaints only when it changed."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._renderable: RenderableType = ""
        self._key: object = None

    def set(self, key: object, build: Callable[[], RenderableType]) -> None:
        """`key` is a cheap value that changes whenever the renderable would look different;
        `build` is only called when it did."""
        if key == self._key:
            return
        self._key = key
        self._renderable = build()
        self.refresh()

    def render(self) -> RenderableType:
        return self._renderable
