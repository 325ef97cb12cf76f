"""embedtop beside its lightest peers, measured side by side in one run.

    .venv/bin/python bench/peers.py [--seconds 30] [--rounds 2] [--interval 2] [--venvs DIR]

Installs vllm-htop 0.5.0 and vllm-mon 0.1.0 (its command is `vllmtop`; Textual, like embedtop) into
throwaway venvs from the package index (or into DIR, kept for the next run), starts one
`embedtop demo --serve-only` target and runs each tool in a real terminal (tmux 120×36) against it, one
after the other, `--rounds` times in turn so that a noisy moment hits every tool alike:

- `embedtop watch` at `--interval` (the peers' interval) and at its defaults (5 s polls, 10 s probe),
- vllm-htop and vllmtop at `--interval`,
- a bare Textual app (header, static, footer; no timers): the floor any Textual dashboard pays,
- `embedtop demo` as a user first runs it: its whole process tree (the app, which also hosts the demo
  server, log writer and simulated client, plus the demo's stand-in vLLM processes).

For each: CPU % of one core (user+system over the window, the median of the rounds, each round after it),
peak RSS (MB = 10^6 bytes; a tree's RSS is summed) and the requests it sent to the server per minute
(access lines the demo target logged during its window). Then embedtop's ratios to each. `--before DIR`
adds the `embedtop watch` rows run from an earlier checkout (PYTHONPATH=DIR), in the same rounds.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from all import BARE, EXE, MARKED, PY, free_port, in_tmux  # bench/all.py: the same tmux measurement

PEERS = {"vllm-htop": ("vllm-htop==0.5.0", "vllm-htop"), "vllm-mon": ("vllm-mon==0.1.0", "vllmtop")}
ACCESS = re.compile(r' - "(?:GET|POST|PUT|DELETE|HEAD) ')


def install(venvs: Path) -> dict[str, Path]:
    """One venv per peer (pip from the package index); an existing venv with the command is reused."""
    exes = {}
    for name, (spec, command) in PEERS.items():
        venv = venvs / name
        exe = venv / "bin" / command
        if not exe.exists():
            print(f"installing {spec} into {venv} …", flush=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run(
                [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", spec],
                check=True,
                stderr=subprocess.DEVNULL,
            )
        exes[name] = exe
    return exes


def version(exe: Path, package: str) -> str:
    out = subprocess.run(
        [str(exe.parent / "python"), "-c", f"import importlib.metadata as m; print(m.version({package!r}))"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() or "?"


def requests_in(log: Path, start: int) -> tuple[int, int]:
    """(access lines after byte offset `start`, the new end offset)."""
    data = log.read_bytes()
    return len(ACCESS.findall(data[start:].decode(errors="replace"))), len(data)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30.0, help="measured window per tool and round (default 30)")
    ap.add_argument("--rounds", type=int, default=2, help="rounds: every tool once per round (default 2)")
    ap.add_argument("--interval", type=float, default=2.0, help="the poll interval every tool gets (default 2)")
    ap.add_argument("--venvs", type=Path, help="keep the peers' venvs here (default: a throwaway folder)")
    ap.add_argument("--no-demo", action="store_true", help="leave out the `embedtop demo` tree")
    ap.add_argument("--before", type=Path, help="also run `embedtop watch` from this checkout (PYTHONPATH)")
    args = ap.parse_args()
    if not shutil.which("tmux"):
        raise SystemExit("bench needs tmux")
    work = Path(tempfile.mkdtemp(prefix="embedtop-peers-"))
    venvs = args.venvs or work / "venvs"
    venvs.mkdir(parents=True, exist_ok=True)
    exes = install(venvs)
    port, log = free_port(), work / "vllm.log"
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(EXE), "demo", "--serve-only", "--port", str(port), "--log", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdout is not None
    server.stdout.readline()
    (work / "bare.py").write_text(BARE)
    iv = f"{args.interval:g}"
    watch = f"{MARKED} watch --url {url} --log {log} --model Qwen3-Embedding-4B"
    tools: list[tuple[str, str, bool]] = [  # (label, command, measure the process tree)
        (f"embedtop watch --interval {iv}", f"{watch} --interval {iv}", False),
        ("embedtop watch (defaults 5 s / 10 s)", watch, False),
        (f"vllm-htop --interval {iv}", f"{exes['vllm-htop']} --url {url} --no-gpu-detect --interval {iv}", False),
        (f"vllmtop --interval {iv}", f"{exes['vllm-mon']} --url {url} --interval {iv} --db {work / 'mon.db'}", False),
        ("bare Textual app", f"{PY} {work / 'bare.py'}", False),
    ]
    if args.before is not None:  # the same two rows from earlier code, in the same run
        old = f"PYTHONPATH={args.before} {watch}"
        tools[2:2] = [(f"before: embedtop watch --interval {iv}", f"{old} --interval {iv}", False)]
        tools[3:3] = [("before: embedtop watch (defaults)", old, False)]
    if not args.no_demo:
        tools.append(("embedtop demo (process tree)", f"{MARKED} demo --log {work / 'demo.log'}", True))
    runs: dict[str, list[dict]] = {label: [] for label, _, _ in tools}
    try:
        for r in range(args.rounds):
            for label, cmd, tree in tools:
                own_log = work / "demo.log" if label.startswith("embedtop demo") else log
                if own_log.exists() and own_log != log:
                    own_log.unlink()
                ready = work / f"ready-{r}-{len(runs[label])}-{abs(hash(label))}"
                offset = log.stat().st_size if own_log == log else 0
                res = in_tmux(cmd, args.seconds, ready, tree=tree)
                t0, t1 = res["window"]
                if own_log.exists():
                    n, _ = requests_in(own_log, offset)
                    res["req_min"] = n / ((t1 - t0 + 5.0) / 60)  # the window and its warm-up
                else:
                    res["req_min"] = float("nan")
                runs[label].append(res)
                print(f"  round {r + 1} · {label}: {res['cpu_pct']:.2f} % · {res['rss_mb']:.1f} MB", flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)

    def med(label: str, key: str) -> float:
        return statistics.median(x[key] for x in runs[label])

    print()
    print(
        f"embedtop and its peers · {time.strftime('%Y-%m-%d')} · {platform.machine()} {psutil.cpu_count()} cores · "
        f"Python {platform.python_version()} · tmux 120×36 · {args.rounds} × {args.seconds:.0f} s per tool · "
        f"vllm-htop {version(exes['vllm-htop'], 'vllm-htop')}, vllm-mon {version(exes['vllm-mon'], 'vllm-mon')}"
    )
    width = max(len(label) for label in runs)
    print(f"{'tool':<{width}}  {'CPU % of a core':<26}  {'RSS':>8}  {'req/min':>7}  first frame")
    for label, xs in runs.items():
        each = "/".join(f"{x['cpu_pct']:.2f}" for x in xs)
        cpu = f"{med(label, 'cpu_pct'):.2f} ({each})"
        first = med(label, "first_frame_ms")
        first_text = f"{first:.0f} ms" if first == first else "–"
        req = med(label, "req_min")
        req_text = f"{req:.0f}" if req == req else "–"
        print(f"{label:<{width}}  {cpu:<26}  {med(label, 'rss_mb'):>5.1f} MB  {req_text:>7}  {first_text}")
    ours = [label for label in runs if label.startswith("embedtop watch")]
    others = [label for label in runs if not label.startswith(("embedtop", "before"))]
    print()
    tick = 100 / (os.sysconf("SC_CLK_TCK") * args.seconds)  # CPU times come in clock ticks
    for mine in ours:
        for other in others:
            below = med(other, "cpu_pct") < tick
            cpu = med(mine, "cpu_pct") / max(med(other, "cpu_pct"), tick)
            rss = med(mine, "rss_mb") / med(other, "rss_mb")
            req_o = med(other, "req_min")
            req = f" · requests ×{med(mine, 'req_min') / req_o:.2f}" if req_o == req_o and req_o > 0 else ""
            print(f"{mine} / {other}: CPU {'≥ ' if below else ''}×{cpu:.2f} · RSS ×{rss:.2f}{req}")
    print(f"(CPU resolution: one clock tick per window = {tick:.3f} % of a core)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
