"""What several targets cost: `embedtop watch` with 1 and with 3 targets in a real terminal (tmux 120×36),
each target an `embedtop demo --serve-only` in its own process (so the watcher's CPU and RSS are its own).

    .venv/bin/python bench/multi_target.py [--seconds 60]

Prints first frame, idle CPU (% of one core) and peak RSS for each. Polls: /health + /v1/models +
/metrics every 5 s, a probe every 10 s and the log every 1 s, per target; the GPU and process scans
run once for all targets.
"""

from __future__ import annotations

import argparse
import platform
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psutil
from all import EXE, MARKED, free_port, in_tmux  # bench/all.py: the same tmux measurement


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="embedtop-multi-"))
    servers, tables = [], []
    try:
        for i, scenario in enumerate(("healthy", "ingest", "wrong-dims")):
            port, log = free_port(), work / f"vllm-{i}.log"
            server = subprocess.Popen(
                [str(EXE), "demo", "--serve-only", "--scenario", scenario, "--port", str(port), "--log", str(log)],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            servers.append(server)
            assert server.stdout is not None
            server.stdout.readline()
            tables.append(f'[[targets]]\nname = "t{i + 1}"\nurl = "http://127.0.0.1:{port}"\nlog = "{log}"\n')
        results = {}
        for n in (1, 3):
            toml = work / f"targets-{n}.toml"
            toml.write_text('model = "Qwen3-Embedding-4B"\n' + "\n".join(tables[:n]))
            results[n] = in_tmux(f"{MARKED} watch --config {toml}", args.seconds, work / f"ready-{n}")
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)
    print(
        f"embedtop multi-target · {time.strftime('%Y-%m-%d')} · {platform.machine()} {psutil.cpu_count()} cores · "
        f"Python {platform.python_version()} · tmux 120×36 · {args.seconds:.0f} s windows"
    )
    for n, r in results.items():
        print(
            f"{n} target(s): first frame {r['first_frame_ms']:.0f} ms · idle CPU {r['cpu_pct']:.2f} % of a core · "
            f"RSS {r['rss_mib']:.1f} MiB"
        )


if __name__ == "__main__":
    main()
