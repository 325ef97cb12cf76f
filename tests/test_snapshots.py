"""SVG snapshot tests of the dashboard (pytest-textual-snapshot), from fixed samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.frozen import URL, frozen_store
from tui.app import EmbedtopApp
from tui.config import Config


def frozen_app(scenario: str) -> EmbedtopApp:
    log = Path("/var/log/vllm.log")
    cfg = Config(url=URL, log=log, model="Qwen3-Embedding-4B")
    return EmbedtopApp(cfg, live=False, store=frozen_store(scenario, log))


@pytest.mark.parametrize("scenario", ["healthy", "engine-dead"])
def test_dashboard_snapshot(scenario: str, snap_compare) -> None:
    assert snap_compare(frozen_app(scenario), terminal_size=(120, 36))


def test_dashboard_snapshot_small_terminal(snap_compare) -> None:
    assert snap_compare(frozen_app("engine-dead"), terminal_size=(80, 24))
