"""SVG snapshots of the dashboard with each check group red, in a narrow terminal, and with a traceback folded
(then unfolded) in the log panel: frozen stores (tests/frozen_red.py), judged at their own times, no server."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from tests.frozen_red import GROUPS, LOG, T_FAULT, URL, red_app, red_store
from tui.config import Config
from tui.rules.checks import evaluate
from tui.rules.result import Status
from tui.rules.shown import ShownChecklist

# What each store must fail (beside what follows from it): the snapshots below show these rows red.
FAILS = {
    "gpu": {"gpu.visible", "gpu.model_resident"},
    "vllm": {"vllm.startup", "vllm.process", "api.reachable"},
    "api": {"api.auth", "api.models", "probe.status"},
    "probe": {"probe.dimensions"},
    "ingest": {"ingest.errors", "vllm.requests"},
    "client": {"client.base_url", "ingest.errors"},
}


@pytest.mark.parametrize("group", GROUPS)
def test_each_red_store_fails_its_group_with_evidence(group: str) -> None:
    cfg = Config(url=URL, log=LOG, model="Qwen3-Embedding-4B")
    results = evaluate(red_store(group), cfg, T_FAULT)
    failing = {r.id for r in results if r.status == Status.FAIL}
    assert failing == FAILS[group], failing
    for r in results:
        if r.status == Status.FAIL:
            assert r.evidence and r.fix, r.id
    shown = ShownChecklist(cfg).update(red_store(group), now=T_FAULT)  # as the dashboard shows them
    assert {r.id for r in shown if r.status == Status.FAIL} == FAILS[group]
    assert not [r.id for r in shown if r.status == Status.STALE]  # every input fresh at T_FAULT


@pytest.mark.parametrize("group", GROUPS)
def test_group_red_snapshot(group: str, snap_compare) -> None:
    assert snap_compare(red_app(group), terminal_size=(120, 36))


@pytest.mark.parametrize("group", ["ingest", "client"])
def test_narrow_terminal_snapshot(group: str, snap_compare) -> None:
    assert snap_compare(red_app(group), terminal_size=(80, 24))


async def _focus_log(pilot: Pilot[object]) -> None:
    """Focus the log panel and put its cursor on the EngineCore's folded traceback (the root cause; the API
    server's, last, follows from it)."""
    from tui.widgets.log_panel import LogPanel

    await pilot.pause()  # the dashboard screen is composed
    panel = pilot.app.screen.query_one(LogPanel)
    panel.focus()
    await pilot.press("end", "up")
    await pilot.pause()


def test_folded_traceback_snapshot(snap_compare) -> None:
    assert snap_compare(red_app("vllm"), terminal_size=(120, 50), run_before=_focus_log)


def test_unfolded_traceback_snapshot(snap_compare) -> None:
    async def unfold(pilot: Pilot[object]) -> None:
        await _focus_log(pilot)
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(red_app("vllm"), terminal_size=(120, 50), run_before=unfold)
