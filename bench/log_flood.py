"""CPU of the dashboard while its vLLM log grows by N lines/s (default 200), in a real tmux terminal.

    .venv/bin/python bench/log_flood.py [SECONDS=60] [LINES_PER_S=200]

The app runs `embedtop demo` (its own demo target keeps polling and probing as usual) with the log
panel following a file this script appends to: real lines from the vLLM 0.32 captures (tracebacks,
access lines, stats lines), written in 10 bursts per second. CPU is the app process's user+system
time over the window divided by wall time (100 % = one core). The writer runs in this process.
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
FIXTURES = ROOT / "tests" / "captures" / "vllm-0.32-cpu"  # the real vLLM 0.32 captures
if not any(FIXTURES.glob("*/*.log")):
    raise SystemExit(f"no captures in {FIXTURES}: the repository's tests/captures is incomplete")


def corpus() -> list[str]:
    lines = []
    for path in sorted(FIXTURES.glob("*/*.log")):
        lines += [x for x in path.read_text(errors="replace").splitlines() if x.strip()]
    # No second startup banner: that would restart the lifecycle on every pass.
    return [x for x in lines if "non-default args" not in x and "version 0.32.0" not in x]


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    rate = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    if not shutil.which("tmux"):
        raise SystemExit("bench needs tmux (apt-get install tmux)")
    exe = Path(sys.executable).parent / "embedtop"
    work = Path(tempfile.mkdtemp(prefix="embedtop-flood-"))
    log = work / "vllm.log"
    session = f"embedtop-flood-{os.getpid()}"
    cmd = f"exec {exe} demo --log {log}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "36", cmd], check=True)
    lines = corpus()
    written = 0
    try:
        pid = int(subprocess.check_output(["tmux", "display", "-p", "-t", session, "#{pane_pid}"], text=True))
        proc = psutil.Process(pid)
        time.sleep(6)  # the demo has started and written its own startup
        c0 = proc.cpu_times()
        t0 = time.monotonic()
        burst = rate // 10
        with log.open("a", encoding="utf-8") as fh:
            while (elapsed := time.monotonic() - t0) < seconds:
                due = int(elapsed * rate) + burst
                while written < due:
                    fh.write(lines[written % len(lines)] + "\n")
                    written += 1
                fh.flush()
                time.sleep(0.1)
        c1 = proc.cpu_times()
        wall = time.monotonic() - t0
        cpu = 100.0 * ((c1.user - c0.user) + (c1.system - c0.system)) / wall
        rss = proc.memory_info().rss
        screen = subprocess.check_output(["tmux", "capture-pane", "-p", "-t", session], text=True)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
        shutil.rmtree(work, ignore_errors=True)
    print(f"machine: {platform.machine()} {psutil.cpu_count()} cores, Python {platform.python_version()}, tmux 120x36")
    print(f"log growth:  {written:,} lines in {wall:.0f} s = {written / wall:.0f} lines/s")
    print(f"app CPU:     {cpu:.2f} % of one core (demo target, polls and probes included)")
    print(f"app RSS:     {rss / 2**20:.1f} MiB")
    tail = [x for x in screen.splitlines() if "Log ·" in x]
    print(f"screen: {tail[0].strip()[:90] if tail else 'no log panel'}")
    if os.environ.get("SHOW_SCREEN"):
        print(screen)


if __name__ == "__main__":
    main()
