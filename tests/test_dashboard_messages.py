"""The dashboard's messages and its key help, on frozen stores (no network, no timers): a runtime change is a
`TargetChanged` message (back-to-back ones are one redraw), the checklist says which check the cursor is on,
and the help is drawn from the bindings."""

from __future__ import annotations

from tests.frozen import T0, frozen_app
from tui.rules.result import Status
from tui.samples import GpuSample
from tui.screens.dashboard import KEYS, DashboardScreen, help_sections
from tui.screens.help import HelpScreen, help_text
from tui.widgets.checklist import CheckDetail, Checklist
from tui.widgets.styles import STATUS_LOOK


async def test_back_to_back_changes_of_a_target_are_one_redraw() -> None:
    app = frozen_app("healthy")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.dashboard
        assert isinstance(screen, DashboardScreen)
        await pilot.pause()
        before = screen.changes
        target = app.targets[0]
        gpu = target.store.gpu
        for i in range(5):  # five samples in one turn of the loop: five messages, one redraw
            target.on_sample(
                GpuSample(T0 + 1 + i, gpu.available, driver=gpu.driver, devices=gpu.devices, cuda=gpu.cuda)
            )
        await pilot.pause()
        assert screen.changes == before + 1
        target.on_sample(GpuSample(T0 + 9, gpu.available, driver=gpu.driver, devices=gpu.devices, cuda=gpu.cuda))
        await pilot.pause()
        assert screen.changes == before + 2


async def test_the_checklist_says_which_check_the_cursor_is_on() -> None:
    app = frozen_app("engine-dead")
    async with app.run_test(size=(120, 36)) as pilot:
        table, detail = app.query_one(Checklist), app.query_one(CheckDetail)
        top = table.result_at_cursor()
        assert top is not None and detail.shown == top and top.status == Status.FAIL
        table.focus()
        await pilot.press("down")
        second = table.result_at_cursor()
        assert second is not None and second != top
        assert detail.shown == second  # Checklist.CheckHighlighted → the view beside it
        await pilot.press("up")
        assert detail.shown == top


async def test_help_lists_every_key_and_every_status() -> None:
    app = frozen_app("healthy")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        sections = help_sections(app.get_key_display)
        text = help_text(sections).plain
        for binding in KEYS:  # each key of the dashboard has its row, or shares one ("+ -", "0 1-9", "n > <")
            key = app.get_key_display(binding)
            assert (key in text) if not key.isdigit() else "0 1-9" in text, binding
        rows = [keys for _, section in sections for keys, _ in section]
        assert rows == [
            "p", "s", "l", "+ -", "g", "i", "c", "space", "f", "v", "o", "0 1-9", "n > <", "?", "q",
            "tab", "↑ ↓", "enter", "end",
        ]  # fmt: skip
        assert "[ ]: previous / next" in text and "traceback under the cursor" in text
        for label, _ in STATUS_LOOK.values():
            assert label in text  # stale included
        await pilot.press("escape")
        assert app.screen is app.dashboard
