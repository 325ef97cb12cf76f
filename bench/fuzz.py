"""Fuzz the parsers with a million generated inputs and count exceptions that escape (goal: zero).

    .venv/bin/python bench/fuzz.py [--n 1000000]

Inputs: random bytes and mutated real lines for the log path (splitter, parser, events, lifecycle,
catalog), mutated /metrics pages for the Prometheus parser, and mutated embedding answers for the
decoders. The budget is split between the four; the CI runs the same properties with hypothesis
(tests/test_fuzz.py, tests/test_diagnose.py) on a smaller budget.
"""

from __future__ import annotations

import argparse
import random
import time
import traceback
from pathlib import Path

from tui.collectors.http_util import Answer, error_message
from tui.collectors.metrics import parse_metrics
from tui.collectors.probe import decode_embedding, decode_semantic
from tui.logs.split import LineSplitter
from tui.state.events import EventGrouper
from tui.state.lifecycle import LogState

# The real vLLM 0.32 captures, inside the repository (tests/captures/vllm-0.32-cpu/README.md).
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "captures" / "vllm-0.32-cpu"
if not any(FIXTURES.glob("*/*.log")):
    raise SystemExit(f"no captures in {FIXTURES}: the repository's tests/captures is incomplete")


def mutate(rng: random.Random, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        pos = rng.randint(0, max(0, len(data) - 1))
        if op < 0.3 and data:
            data[pos] = rng.randint(0, 255)
        elif op < 0.6:
            data[pos:pos] = bytes(rng.randint(0, 255) for _ in range(rng.randint(1, 8)))
        elif op < 0.8 and data:
            del data[pos : pos + rng.randint(1, 16)]
        else:
            data[pos:pos] = rng.choice([b"\n", b"\r", b"\x00", b"\x1b[31m", b"\xff\xfe", b"NaN", b"{", b"]"])
    return bytes(data)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    lines = [x.encode() for p in sorted(FIXTURES.glob("*/*.log")) for x in p.read_text(errors="replace").splitlines()]
    pages = [p.read_bytes().split(b"\r\n\r\n", 1)[-1] for p in FIXTURES.glob("*/*metrics*.response")]
    answers = [p.read_bytes().split(b"\r\n\r\n", 1)[-1] for p in (FIXTURES / "http").glob("*emb*.response")]
    per = args.n // 4
    escaped: dict[str, int] = {}
    t0 = time.perf_counter()

    def guard(name: str, fn, *a) -> None:
        try:
            fn(*a)
        except Exception:
            escaped[name] = escaped.get(name, 0) + 1
            if escaped[name] == 1:
                traceback.print_exc()

    # 1. the log path: random bytes and mutated real lines, fed in chunks like a tail.
    split, state, grouper = LineSplitter(), LogState(now=1.8e9), EventGrouper()

    def feed(blob: bytes) -> None:
        for line in split.feed(blob):
            state.feed(line)
            grouper.feed(line)

    for i in range(per):
        blob = mutate(rng, rng.choice(lines)) + b"\n" if i % 4 else bytes(rng.randint(0, 255) for _ in range(40))
        guard("log", feed, blob)
    # 2. /metrics pages (whole pages are slow to parse: mutate slices of real ones).
    for _ in range(per):
        page = rng.choice(pages)
        start = rng.randint(0, max(0, len(page) - 600))
        guard("metrics", parse_metrics, mutate(rng, page[start : start + 600]).decode("utf-8", "replace"), 1.0)
    # 3–4. embedding answers, status and content type varied.
    for i in range(per * 2):
        answer = Answer(
            rng.choice([200, 400, 404, 500]),
            rng.choice(["application/json", "text/html"]),
            mutate(rng, rng.choice(answers)),
            0.01,
        )
        guard("embedding", decode_semantic if i % 2 else decode_embedding, *((answer,) if i % 2 else (answer, "m")))
        guard("error_message", error_message, answer)
    took = time.perf_counter() - t0
    total = per * 4
    print(f"fuzz: {total:,} generated inputs in {took:.0f} s ({total / took:,.0f}/s), seed {args.seed}")
    print(f"exceptions escaped: {sum(escaped.values())} {escaped or ''}")


if __name__ == "__main__":
    main()
