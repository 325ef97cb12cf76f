"""Seven days of polling on a fast clock: the state model, checklist and ingestion tracker fed what a week
of a busy deployment produces; prints RSS at the start and the end (goal: growth ≤ 5 MB).

    .venv/bin/python bench/soak.py [--days 7]

Per simulated 5 s: a server poll with a /metrics scrape (counters growing, a restart every day), a GPU
sample from the fake NVML, a process scan, a log batch with access and stats lines (bursts of client
ingestion every ten minutes, a traceback every hour); a probe every 10 s, a semantic probe every 5 min.
The checklist is evaluated every 30 s of simulated time, as a screen would. Only the clock is fast.
"""

from __future__ import annotations

import argparse
import gc
import os
import time

import psutil

from tui.collectors.gpu import NvmlCollector
from tui.config import Config
from tui.demo.fake_nvml import FakeNvml
from tui.logs.parse import parse_line
from tui.rules.shown import ShownChecklist
from tui.samples import (
    Histogram,
    HostSample,
    HttpResult,
    LogBatch,
    MetricsSample,
    ModelInfo,
    ProbeSample,
    SemanticSample,
    ServerSample,
    VllmProcess,
)
from tui.state.store import Store

STEP = 5.0
MODELS = (ModelInfo("Qwen3-Embedding-4B", "/models/Qwen3-Embedding-4B", 32768),)
TRACEBACK = [
    "(APIServer pid=1) ERROR 11-24 18:57:01 [serving.py:1] Error in preprocessing prompt inputs",
    "(APIServer pid=1) ERROR 11-24 18:57:01 [serving.py:1] Traceback (most recent call last):",
    '(APIServer pid=1) ERROR 11-24 18:57:01 [serving.py:1]   File "x.py", line 1, in f',
    "(APIServer pid=1) ERROR 11-24 18:57:01 [serving.py:1] ValueError: boom",
]


def rss_mb() -> float:
    return psutil.Process(os.getpid()).memory_info().rss / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=float, default=7.0)
    args = ap.parse_args()
    cfg = Config(url="http://127.0.0.1:8000", log="/var/log/vllm.log", model="Qwen3-Embedding-4B", dims=2560)
    store, checklist = Store(), ShownChecklist(cfg)
    nvml = FakeNvml("healthy", worker_pid=os.getpid())
    gpu = NvmlCollector(nvml)
    t0 = time.time() - args.days * 86400
    steps = int(args.days * 86400 / STEP)
    done = tokens = 0.0
    start_time = t0
    access_ok = parse_line('INFO:     10.0.0.7:5000 - "POST /v1/embeddings HTTP/1.1" 200 OK')
    access_404 = parse_line('INFO:     10.0.0.7:5000 - "POST /embeddings HTTP/1.1" 404 Not Found')
    proc = VllmProcess(os.getpid(), "worker", "VLLM::Worker", 1, 2**30, 3.0)
    rss_start = rss_day1 = None
    wall = time.perf_counter()
    for i in range(steps):
        t = t0 + i * STEP
        if i % int(86400 / STEP) == 0 and i:
            start_time, done, tokens = t, 0.0, 0.0  # a daily restart: counters reset
        busy = (i % 120) < 20  # a 100-second ingestion burst every 10 minutes
        if busy:
            done += 40
            tokens += 4000
        e2e = Histogram(((0.3, done * 0.9), (1.0, done), (float("inf"), done)), done * 0.1, done)
        metrics = MetricsSample(
            t,
            running=0.0,
            waiting=12.0 if busy else 0.0,
            start_time=start_time,
            counters={"prompt_tokens": tokens},
            success={"stop": done},
            histograms={"e2e": e2e},
        )
        store.apply(
            ServerSample(t, cfg.url, HttpResult(200, latency_s=0.002), version="0.32.0", models=MODELS, metrics=metrics)
        )
        lines = [access_ok] * (40 if busy else 0)
        if i % 2000 == 1:
            lines += [access_404] * 3
        if i % 720 == 0:
            lines += [parse_line(x) for x in TRACEBACK]
        store.apply(LogBatch(t, "vllm.log", tuple(lines)))
        if i % 2 == 0:
            store.apply(
                ProbeSample(
                    t, "Qwen3-Embedding-4B", 200, 0.04, dims=2560, norm=1.0, finite=True, all_zero=False, tokens=19
                )
            )
        if i % 60 == 0:
            store.apply(SemanticSample(t, 0.05, related=0.7, unrelated=0.1, tokens=64))
        store.apply(gpu.collect())
        store.apply(HostSample(t, 12.0, 11 * 2**30, 31 * 2**30, 0, 0, (proc,)))
        if i % 6 == 0:
            checklist.update(store, now=t)
        if rss_start is None and i == int(3600 / STEP):  # after one simulated hour: buffers filling up
            gc.collect()
            rss_start = rss_mb()
        if i == int(86400 / STEP):  # after one day every ring buffer is full: from here RSS must stay flat
            gc.collect()
            rss_day1 = rss_mb()
    gc.collect()
    rss_end = rss_mb()
    took = time.perf_counter() - wall
    print(f"soak: {args.days:g} simulated days = {steps:,} polls of every collector in {took:.0f} s of wall time")
    day1 = rss_day1 or rss_end
    print(
        f"RSS after 1 h: {rss_start:.1f} MiB · after 1 day (buffers full): {day1:.1f} MiB · after {args.days:g} days: "
        f"{rss_end:.1f} MiB"
    )
    print(
        f"growth day 1 → end: {rss_end - day1:+.1f} MiB (goal ≤ 5: a leak grows here) · "
        f"1 h → end: {rss_end - (rss_start or rss_end):+.1f} MiB (the ring buffers filling up)"
    )
    print(
        f"bounded: log events {len(store.log_events)}, probes {len(store.probes)}, "
        f"metrics {len(store.metrics_history)}, "
        f"ingest requests {len(store.ingest.recent)}, bursts {len(store.ingest.bursts)}, events {len(checklist.events)}"
    )


if __name__ == "__main__":
    main()
