"""Parse throughput on the real vLLM 0.32 captures: bytes → lines → parser → events → lifecycle.

Prints lines/s for each stage and for the whole path the dashboard runs per line (goal ≥ 200k lines/s).
Run: .venv/bin/python bench/log_parse.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from tui.logs.parse import parse_line
from tui.logs.split import LineSplitter
from tui.state.events import EventGrouper
from tui.state.lifecycle import LogState

# The real vLLM 0.32 captures, inside the repository (tests/captures/vllm-0.32-cpu/README.md).
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "captures" / "vllm-0.32-cpu"
if not any(FIXTURES.glob("*/*.log")):
    raise SystemExit(f"no captures in {FIXTURES}: the repository's tests/captures is incomplete")


def best_of(fn, rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20, help="times the corpus is repeated (default 20)")
    args = ap.parse_args()
    files = sorted(FIXTURES.glob("*/*.log"))
    data = b"".join(p.read_bytes() for p in files) * args.repeat
    raw_lines = data.decode("utf-8", "replace").split("\n")
    n = len(raw_lines)
    print(f"corpus: {len(files)} real logs × {args.repeat} = {n:,} lines, {len(data) / 1e6:.1f} MB")
    cpu = platform.processor() or platform.machine()
    print(f"machine: {platform.node()} · {cpu} · {os.cpu_count()} cores · Python {platform.python_version()}")

    parsed: list = []

    def parse() -> None:
        parsed[:] = [parse_line(x) for x in raw_lines]

    def split() -> None:
        s = LineSplitter()
        s.feed(data)
        s.flush()

    def lifecycle() -> None:
        state = LogState(now=time.time())
        for line in parsed:
            state.feed(line)

    def group() -> None:
        g = EventGrouper()
        for line in parsed:
            g.feed(line)

    def whole() -> None:
        s = LineSplitter()
        state, g = LogState(now=time.time()), EventGrouper()
        for line in s.feed(data) + s.flush():
            state.feed(line)
            g.feed(line)

    t_parse = best_of(parse)
    for name, fn in (
        ("parse_line", None),
        ("split+decode+parse", split),
        ("lifecycle+catalog", lifecycle),
        ("event grouping", group),
        ("whole path", whole),
    ):
        t = t_parse if fn is None else best_of(fn)
        print(f"{name:>20}: {n / t / 1000:8.0f} k lines/s  ({t * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
