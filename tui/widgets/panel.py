"""A panel that draws one Rich renderable and repaints without a layout pass.

`Static.update()` asks for a full layout refresh on every call; these panels have fixed sizes
from CSS, so a plain repaint is enough and keeps a 2-second poll cheap. And only when what it would
show changed: a new sample often reads the same on screen (the same health line, the same load).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static


class _Unknown(Exception):
    pass


def _sig(r: object) -> object:
    if isinstance(r, str):
        return r
    if isinstance(r, Text):
        return (r.plain, str(r.style), tuple(r.spans), r.justify, r.overflow, r.no_wrap, r.end)
    if isinstance(r, Table):
        columns = tuple(
            (str(c.style), c.no_wrap, c.overflow, c.min_width, c.width, c.ratio, tuple(_sig(x) for x in c._cells))
            for c in r.columns
        )
        return ("table", columns, r.padding, r.show_header, r.box, r.expand)
    if isinstance(r, Group):
        return ("group", tuple(_sig(x) for x in r.renderables))
    raise _Unknown


def signature(r: object) -> object:
    """A value equal for two renderables that draw the same (text, styles and layout settings of the
    tables, groups and texts these panels build); None when it holds anything else (always drawn again)."""
    try:
        return _sig(r)
    except _Unknown:
        return None


class RenderPanel(Widget):
    """Holds a renderable; `set()` swaps it and repaints only when it would look different."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._renderable: RenderableType = ""
        self._key: object = None
        self._signature: object = None

    def set(self, key: object, build: Callable[[], RenderableType]) -> None:
        """`key` is a cheap value that changes whenever the renderable may look different; `build` is only
        called when it did, and the panel repaints only when the new renderable draws differently."""
        if key == self._key:
            return
        self._key = key
        renderable = build()
        sig = signature(renderable)
        if sig is not None and sig == self._signature:
            return
        self._renderable, self._signature = renderable, sig
        self.refresh()

    def render(self) -> RenderableType:
        return self._renderable


class ScrollStatic(Static):
    """A Static in a fixed-size box that scrolls its content: `put()` repaints only when the content draws
    differently, and lays the screen out again only when its height changed (a new scroll range) —
    `Static.update()` lays out the whole screen on every call."""

    _signature: object = None
    _height: tuple[int, int] | None = None  # (content width, content height) at the last layout

    def put(self, content: RenderableType) -> None:
        sig = signature(content)
        if sig is not None and sig == self._signature:
            return
        self._signature = sig
        self.update(content, layout=False)
        width = self.content_size.width
        height = (width, self.get_content_height(self.container_size, self.app.size, width)) if width else None
        if height is None or height != self._height:
            self._height = height
            self.refresh(layout=True)
