"""Start `embedtop demo` in a real tmux terminal and print idle CPU, peak RSS and time to first frame.

    .venv/bin/python bench/startup_idle.py [SECONDS=60] [WIDTHxHEIGHT=120x36]

CPU is the app process's user+system time over the window divided by wall time (100 % = one core);
it includes the in-process demo target (HTTP server + log writer). "Idle" = nobody presses keys;
the demo still polls /health + /v1/models every 3 s, probes every 5 s and tails the log every 1 s.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    width, height = (sys.argv[2] if len(sys.argv) > 2 else "120x36").split("x")
    if not shutil.which("tmux"):
        raise SystemExit("bench needs tmux (apt-get install tmux)")
    marked = f"{sys.executable} {Path(__file__).with_name('marked.py')}"  # embedtop, writing its milestones
    ready = Path(tempfile.mkdtemp(prefix="embedtop-bench-")) / "ready.txt"
    session = f"embedtop-bench-{os.getpid()}"
    cmd = f"exec env EMBEDTOP_READY_FILE={ready} {marked} demo"
    launched = time.time()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", width, "-y", height, cmd], check=True)
    try:
        pid = int(subprocess.check_output(["tmux", "display", "-p", "-t", session, "#{pane_pid}"], text=True))
        proc = psutil.Process(pid)
        deadline = time.monotonic() + 30
        marks: dict[str, float] = {}
        while time.monotonic() < deadline and "first_data_frame_s" not in marks:
            time.sleep(0.1)
            if ready.exists():
                lines = ready.read_text().splitlines()
                marks = {k: float(v) - launched for k, v in (line.split() for line in lines)}
        time.sleep(5)  # warm-up: first polls, imports settled
        peak = proc.memory_info().rss
        c0 = proc.cpu_times()
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            time.sleep(1)
            peak = max(peak, proc.memory_info().rss)
        c1 = proc.cpu_times()
        wall = time.monotonic() - t0
        cpu = 100.0 * ((c1.user - c0.user) + (c1.system - c0.system)) / wall
        screen = subprocess.check_output(["tmux", "capture-pane", "-p", "-t", session], text=True)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    print(
        f"machine: {platform.machine()} {psutil.cpu_count()} cores, Python {platform.python_version()}, "
        f"terminal {width}x{height} (tmux)"
    )
    first = marks.get("first_frame_s", float("nan")) * 1000
    data = marks.get("first_data_frame_s", float("nan")) * 1000
    print(f"time to first frame:       {first:.0f} ms (tmux new-session → on_ready)")
    print(f"time to first data frame:  {data:.0f} ms (health + probe shown)")
    print(f"idle CPU over {wall:.0f} s:       {cpu:.2f} % of one core")
    print(f"peak RSS:                  {peak / 2**20:.1f} MiB")
    print(f"screen rendered:           {'api.reachable' in screen and 'Checklist' in screen}")


if __name__ == "__main__":
    main()
