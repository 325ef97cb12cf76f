"""`embedtop`, with the dashboard's start-up milestones written down: for the tmux benchmarks.

    EMBEDTOP_READY_FILE=FILE python bench/marked.py watch --url … (any embedtop command line)

The app calls `milestone(key)` when its first frame is on screen (`first_frame_s`) and when the first
target's health and a probe are shown (`first_data_frame_s`); this subclass appends "KEY WALL-TIME" to
FILE, once each, and runs the ordinary command line with it. The app itself reads no environment for this.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import tui.app


class MarkedApp(tui.app.EmbedtopApp):
    """The dashboard, writing its milestones to $EMBEDTOP_READY_FILE."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._marked: set[str] = set()

    def milestone(self, key: str) -> None:
        path = os.environ.get("EMBEDTOP_READY_FILE")
        if not path or key in self._marked:
            return
        self._marked.add(key)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{key} {time.time():.3f}\n")


def main() -> int:
    tui.app.EmbedtopApp = MarkedApp  # type: ignore[misc]  # the CLI imports the app class when it runs it
    from tui.cli import main as cli

    return cli(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
