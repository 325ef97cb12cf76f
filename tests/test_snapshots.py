"""SVG snapshot tests of the dashboard (pytest-textual-snapshot), from fixed samples."""

from __future__ import annotations

import pytest

from tests.frozen import frozen_app


@pytest.mark.parametrize("scenario", ["healthy", "engine-dead"])
def test_dashboard_snapshot(scenario: str, snap_compare) -> None:
    assert snap_compare(frozen_app(scenario), terminal_size=(120, 36))


def test_dashboard_snapshot_small_terminal(snap_compare) -> None:
    assert snap_compare(frozen_app("engine-dead"), terminal_size=(80, 24))


def test_multi_target_overview_snapshot(snap_compare) -> None:
    from tests.frozen import frozen_multi_app

    assert snap_compare(frozen_multi_app(), terminal_size=(120, 36))


def test_multi_target_tab_snapshot(snap_compare) -> None:
    from tests.frozen import frozen_multi_app

    assert snap_compare(frozen_multi_app(), press=["2"], terminal_size=(120, 36))
