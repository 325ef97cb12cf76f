"""The real app in a real terminal (tmux): 80×24 and 200×60, a resize while running, 256 colours and
NO_COLOR. capture-pane must show the panels and the red root item legibly. The app is stopped by its PID."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
EXE = Path(sys.executable).parent / "embedtop"


SOCKET = f"embedtop-test-{os.getpid()}"  # a private tmux server: nothing shared with the user's tmux


def tmux(*args: str) -> list[str]:
    return ["tmux", "-L", SOCKET, *args]


def capture(session: str) -> str:
    return subprocess.check_output(tmux("capture-pane", "-p", "-t", session), text=True)


def wait_screen(session: str, needles: list[str], timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = capture(session)
        if all(n in screen for n in needles):
            return screen
        time.sleep(0.3)
    raise AssertionError(f"missing {needles} in:\n{screen}")


@pytest.mark.parametrize(("size", "env"), [((80, 24), {"TERM": "xterm-256color"}), ((200, 60), {"NO_COLOR": "1"})])
def test_app_in_tmux_shows_the_red_root_item_and_survives_a_resize(size: tuple[int, int], env: dict) -> None:
    session = f"embedtop-test-{os.getpid()}-{size[0]}"
    extra = " ".join(f"{k}={v}" for k, v in env.items())
    cmd = f"exec env -u COLUMNS -u LINES {extra} {EXE} demo --scenario engine-dead"  # Textual obeys COLUMNS/LINES
    subprocess.run(tmux("new-session", "-d", "-s", session, "-x", str(size[0]), "-y", str(size[1]), cmd), check=True)
    pid = int(subprocess.check_output(tmux("display", "-p", "-t", session, "#{pane_pid}"), text=True))
    try:
        wide = ["GPU", "Ingestion", "Log ·"] if size == (200, 60) else []
        screen = wait_screen(session, ["Server", "Checklist", "FAIL", "vllm.engine", *wide])
        assert "Evidence & fix" in screen and "embedtop" in screen
        # Resize while running (tmux grows a detached window only up to its client: shrink it).
        other = (80, 24) if size == (200, 60) else (72, 20)
        subprocess.run(tmux("set-option", "-t", session, "window-size", "manual"), check=True)
        subprocess.run(tmux("resize-window", "-t", session, "-x", str(other[0]), "-y", str(other[1])), check=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            screen = wait_screen(session, ["Checklist", "FAIL", "vllm.engine"])
            lines = screen.rstrip("\n").splitlines()
            if len(lines) == other[1] and "Checklist" in screen:
                break
            time.sleep(0.3)
        assert len(lines) == other[1] and max(len(x) for x in lines) <= other[0]
        assert psutil.Process(pid).is_running()  # no crash on resize
        if size == (200, 60):
            assert "Checklist" in screen
    finally:
        subprocess.run(tmux("send-keys", "-t", session, "q"), check=False)
        deadline = time.monotonic() + 10
        while psutil.pid_exists(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        subprocess.run(tmux("kill-server"), check=False)
        if psutil.pid_exists(pid):
            psutil.Process(pid).kill()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_demo_with_three_targets_in_tmux() -> None:
    """`embedtop demo --targets 3` as a user runs it: the overview names the broken target, a digit opens
    its tab, q quits and the demo's stand-in vLLM processes go with it."""
    session = f"embedtop-test-{os.getpid()}-multi"
    cmd = f"exec env -u COLUMNS -u LINES TERM=xterm-256color {EXE} demo --targets 3"
    subprocess.run(tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "36", cmd), check=True)
    pid = int(subprocess.check_output(tmux("display", "-p", "-t", session, "#{pane_pid}"), text=True))
    children: list[psutil.Process] = []
    try:
        screen = wait_screen(session, ["Overview", "1 demo-1", "3 demo-3", "FAIL", "probe.dimensions"], timeout=45)
        assert "3 targets · overview" in screen and "demo-2" in screen
        children = psutil.Process(pid).children(recursive=True)
        assert len(children) >= 9  # three stand-in processes per demo target
        subprocess.run(tmux("send-keys", "-t", session, "3"), check=True)
        screen = wait_screen(session, ["Evidence & fix", "demo: wrong-dims", "expected 2560"])
        subprocess.run(tmux("send-keys", "-t", session, "0"), check=True)
        wait_screen(session, ["3 targets · overview"])
    finally:
        subprocess.run(tmux("send-keys", "-t", session, "q"), check=False)
        deadline = time.monotonic() + 15
        while psutil.pid_exists(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        subprocess.run(tmux("kill-server"), check=False)
        if psutil.pid_exists(pid):
            psutil.Process(pid).kill()
    _, alive = psutil.wait_procs(children, timeout=10)
    for p in alive:
        p.kill()
    assert not alive, [p.pid for p in alive]
