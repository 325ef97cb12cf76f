"""`embedtop diagnose` on a 1 GB log: time and peak memory, beside `wc -l` and `grep -c` on the same file.

The log is built from the real vLLM 0.32 captures (tests/captures/vllm-0.32-cpu): one real startup, then
the real serving captures (plain access lines, --enable-log-requests lines, stats lines) repeated up to the
size, and one real failure at the end — weeks of a busy embedding server. Each tool runs as its own process;
peak RSS is the child's maximum resident set (getrusage). Goal: ≤ 30 s and ≤ 200 MB for diagnose.

    python bench/diagnose_big.py [--mb 1024] [--keep PATH]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT / "tests" / "captures" / "vllm-0.32-cpu"


def build(path: Path, mb: int) -> int:
    startup = (CAPTURES / "logs" / "startup.log").read_bytes()
    serving = b"".join((CAPTURES / "logs" / name).read_bytes() for name in ("load.log", "load-enable-log-requests.log"))
    failure = (CAPTURES / "kill-tests" / "sigkill-enginecore.log").read_bytes()
    target = mb * 1024 * 1024
    with path.open("wb") as fh:
        fh.write(startup)
        written = len(startup)
        while written < target - len(failure):
            fh.write(serving)
            written += len(serving)
        fh.write(failure)
        written += len(failure)
    return written


def timed(argv: list[str]) -> tuple[float, float, int, str]:
    """(seconds, peak RSS MB of the child, exit code, last line of output)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    out = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    lines = (out.stdout or out.stderr).strip().splitlines()
    return seconds, max(peak, before) / 1024, out.returncode, lines[1] if len(lines) > 1 else (lines or [""])[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=1024)
    ap.add_argument("--keep", type=Path, help="build the log here and keep it")
    args = ap.parse_args()
    path = args.keep or Path(tempfile.mkdtemp()) / "big-vllm.log"
    size = build(path, args.mb)
    lines = sum(1 for _ in path.open("rb"))
    print(f"log: {size / 1e9:.2f} GB, {lines:,} lines (real 0.32 captures: startup, serving ×N, engine SIGKILL)")
    machine = f"{platform.node()} · {platform.machine()} · {os.cpu_count()} cores"
    print(f"machine: {machine} · Python {platform.python_version()}")
    print(time.strftime("date: %Y-%m-%d %H:%M"))
    rows = [
        ("wc -l (floor: read the bytes)", ["wc", "-l", str(path)]),
        ("grep -c ERROR (floor: scan)", ["grep", "-c", "ERROR", str(path)]),
        ("embedtop diagnose", [sys.executable, "-m", "tui", "diagnose", "--log", str(path)]),
    ]
    for name, argv in rows:
        seconds, peak, rc, last = timed(argv)
        rate = lines / seconds / 1e3
        print(f"  {name:<32} {seconds:6.1f} s  {rate:7.0f} k lines/s  peak RSS {peak:6.0f} MB  exit {rc}")
        if name.startswith("embedtop"):
            print(f"    {last[:150]}")
            ok = seconds <= 30 and peak <= 200
            print(f"    goal ≤ 30 s and ≤ 200 MB: {'met' if ok else 'NOT met'}")
    if args.keep is None:
        path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
