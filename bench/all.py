"""All the figures, one command, side by side with their goals.

    .venv/bin/python bench/all.py [--seconds 60]

1. `embedtop watch` (a real terminal: tmux 120×36) against `embedtop demo --serve-only` in its own
   process, so the watcher's CPU and RSS are its own: first frame, idle CPU, RSS, and the load it adds
   to the server (requests per minute, counted in the server's access log).
2. A bare Textual app (header, static, footer) in the same terminal: the floor any Textual dashboard pays.
3. CPU while the followed log grows by 200 lines/s (bench/log_flood.py's method, on `watch`).
4. Three targets (one `[[targets]]` table per demo target), 5. `embedtop demo` as a user runs it (its
   process tree), 6. time from a fault to its red item (bench/time_to_red.py; `--before DIR` also for
   an earlier checkout), 7. parse throughput (bench/log_parse.py), the 7-day soak (bench/soak.py),
   fuzzing (bench/fuzz.py); `--no-offline` leaves out the last three.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

BENCH = Path(__file__).resolve().parent
PY = sys.executable
EXE = Path(PY).parent / "embedtop"
MARKED = f"{PY} {BENCH / 'marked.py'}"  # embedtop, writing its start-up milestones to $EMBEDTOP_READY_FILE
BARE = (  # the floor: what any Textual dashboard pays (header, one static, footer; no timers)
    "from textual.app import App\nfrom textual.widgets import Footer, Header, Static\n"
    "class A(App):\n    def compose(self):\n        yield Header()\n        yield Static('bare Textual app')\n"
    "        yield Footer()\n"
    "    def on_ready(self):\n        import os, time\n        p = os.environ.get('READY')\n"
    "        if p: open(p, 'a').write(f'first_frame_s {time.time()}\\n')\n"
    "A().run()\n"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Tree:
    """A process and (with `tree`) its descendants: CPU seconds and RSS summed. A process that exits keeps
    the CPU it had when last seen; one born meanwhile counts from its start."""

    def __init__(self, root: psutil.Process, tree: bool) -> None:
        self.root, self.tree = root, tree
        self.procs: dict[int, psutil.Process] = {root.pid: root}
        self.cpu_seen: dict[int, float] = {}
        self.refresh()

    def refresh(self) -> None:
        if self.tree:
            with contextlib.suppress(psutil.Error):
                for child in self.root.children(recursive=True):
                    self.procs.setdefault(child.pid, child)

    def cpu(self) -> float:
        for pid, proc in self.procs.items():
            with contextlib.suppress(psutil.Error):
                c = proc.cpu_times()
                self.cpu_seen[pid] = c.user + c.system
        return sum(self.cpu_seen.values())

    def rss(self) -> int:
        total = 0
        for proc in self.procs.values():
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total


def in_tmux(
    cmd: str,
    seconds: float,
    ready: Path | None,
    log: Path | None = None,
    lines_per_s: int = 0,
    tree: bool = False,
    warmup: float = 5.0,
) -> dict:
    """Run `cmd` in a fresh tmux server (120×36) and measure it over `seconds` after `warmup`: first frame
    (from the READY file, when the app writes one), CPU % of one core, peak RSS; `tree`: the process and
    its descendants together (RSS summed). `log` + `lines_per_s`: append real vLLM lines meanwhile."""
    session = f"embedtop-all-{os.getpid()}-{time.monotonic_ns()}"
    ready_env = f"READY={ready} EMBEDTOP_READY_FILE={ready} " if ready is not None else ""
    launched = time.time()
    subprocess.run(
        [
            "tmux",
            "-L",
            session,
            "new-session",
            "-d",
            "-s",
            "s",
            "-x",
            "120",
            "-y",
            "36",
            f"exec env -u COLUMNS -u LINES {ready_env}{cmd}",
        ],
        check=True,
    )
    try:
        pid = int(
            subprocess.check_output(["tmux", "-L", session, "display", "-p", "-t", "s", "#{pane_pid}"], text=True)
        )
        root = psutil.Process(pid)
        first = None
        if ready is not None:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (ready.exists() and "first_frame_s" in ready.read_text()):
                time.sleep(0.02)
            text = ready.read_text() if ready.exists() else ""
            first = {k: float(v) for k, v in (x.split() for x in text.splitlines())}.get("first_frame_s")
        time.sleep(warmup)
        procs = Tree(root, tree)
        c0, t0 = procs.cpu(), time.monotonic()
        peak = procs.rss()
        corpus = []
        if lines_per_s and log is not None:
            fixtures = BENCH.parent / "tests" / "captures" / "vllm-0.32-cpu"
            corpus = [
                x
                for p in sorted(fixtures.glob("*/*.log"))
                for x in p.read_text(errors="replace").splitlines()
                if x.strip() and "non-default args" not in x and "version 0.32.0" not in x
            ]
        written = 0
        while (elapsed := time.monotonic() - t0) < seconds:
            if corpus and log is not None:
                with log.open("a") as fh:
                    due = int(elapsed * lines_per_s) + lines_per_s // 10
                    while written < due:
                        fh.write(corpus[written % len(corpus)] + "\n")
                        written += 1
            time.sleep(0.1)
            procs.refresh()
            peak = max(peak, procs.rss())
        c1 = procs.cpu()
        wall = time.monotonic() - t0
        return {
            "first_frame_ms": (first - launched) * 1000 if first else float("nan"),
            "cpu_pct": 100 * (c1 - c0) / wall,
            "rss_mib": peak / 2**20,
            "rss_mb": peak / 1e6,
            "lines_per_s": written / wall if written else 0,
            "window": (t0, time.monotonic()),
        }
    finally:
        subprocess.run(["tmux", "-L", session, "kill-server"], check=False)


def run(cmd: list[str], env: dict[str, str] | None = None) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=1800, env=env).stdout


def demo_server(port: int, log: Path, scenario: str = "healthy") -> subprocess.Popen:
    server = subprocess.Popen(
        [str(EXE), "demo", "--serve-only", "--scenario", scenario, "--port", str(port), "--log", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdout is not None
    server.stdout.readline()
    return server


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--no-offline", action="store_true", help="leave out log_parse, soak and fuzz")
    ap.add_argument("--before", type=Path, help="a checkout of earlier code: time to red measured for it too")
    args = ap.parse_args()
    if not shutil.which("tmux"):
        raise SystemExit("bench needs tmux")
    work = Path(tempfile.mkdtemp(prefix="embedtop-all-"))
    servers = []
    try:
        logs, urls = [], []
        for i, scenario in enumerate(("healthy", "ingest", "wrong-dims")):
            port, log = free_port(), work / f"vllm-{i}.log"
            servers.append(demo_server(port, log, scenario))
            logs.append(log)
            urls.append(f"http://127.0.0.1:{port}")
        log = logs[0]
        watch_cmd = f"{MARKED} watch --url {urls[0]} --log {log} --model Qwen3-Embedding-4B"
        before = log.read_text().count("embedtop=")
        watch = in_tmux(watch_cmd, args.seconds, work / "ready-watch")
        requests = (log.read_text().count("embedtop=") - before) / ((args.seconds + 5) / 60)
        (work / "bare.py").write_text(BARE)
        bare = in_tmux(f"{PY} {work / 'bare.py'}", args.seconds, work / "ready-bare")
        flood = in_tmux(watch_cmd, min(args.seconds, 40), work / "ready-flood", log=log, lines_per_s=200)
        tables = [
            f'[[targets]]\nname = "t{i + 1}"\nurl = "{u}"\nlog = "{x}"\n'
            for i, (u, x) in enumerate(zip(urls, logs, strict=True))
        ]
        toml = work / "targets.toml"
        toml.write_text('model = "Qwen3-Embedding-4B"\n' + "\n".join(tables))
        three = in_tmux(f"{MARKED} watch --config {toml}", args.seconds, work / "ready-3")
        demo = in_tmux(f"{MARKED} demo --log {work / 'demo.log'}", args.seconds, work / "ready-demo", tree=True)
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)
    red = run([PY, str(BENCH / "time_to_red.py")])
    red_before = ""
    if args.before is not None:
        red_before = run([PY, str(BENCH / "time_to_red.py")], env={**os.environ, "PYTHONPATH": str(args.before)})
    rows = [
        ("first frame, embedtop watch", f"{watch['first_frame_ms']:.0f} ms", "≤ 300 ms"),
        ("first frame, bare Textual app", f"{bare['first_frame_ms']:.0f} ms", "(floor)"),
        ("idle CPU, embedtop watch", f"{watch['cpu_pct']:.2f} % of a core", "≤ 0.5 % and ≤ 4 × the floor"),
        ("idle CPU, bare Textual app", f"{bare['cpu_pct']:.2f} % of a core", "(floor)"),
        ("RSS, embedtop watch", f"{watch['rss_mb']:.1f} MB ({watch['rss_mib']:.1f} MiB)", "≤ 50 MB"),
        ("RSS, bare Textual app", f"{bare['rss_mb']:.1f} MB ({bare['rss_mib']:.1f} MiB)", "(floor)"),
        ("embedtop demo, process tree", f"{demo['cpu_pct']:.2f} % · {demo['rss_mb']:.1f} MB", "≤ 1 % and ≤ 80 MB"),
        ("CPU at 200 log lines/s", f"{flood['cpu_pct']:.2f} % ({flood['lines_per_s']:.0f} lines/s)", "≤ 2 %"),
        ("three targets, idle", f"{three['cpu_pct']:.2f} % · {three['rss_mb']:.1f} MB", "≤ 0.8 %"),
        ("load on the server", f"{requests:.0f} requests/min", "no more than before (55)"),
    ]
    for line in red.splitlines():
        name, _, value = line.partition(": ")
        old = next((x.partition(": ")[2] for x in red_before.splitlines() if x.startswith(name + ":")), None)
        goal = f"≤ before ({old.split(' (')[0]})" if old else "≤ before"
        rows.append((f"to red: {name}", value.split(" (")[0], goal))
    if not args.no_offline:
        parse = run([PY, str(BENCH / "log_parse.py")])
        soak = run([PY, str(BENCH / "soak.py")])
        fuzz = run([PY, str(BENCH / "fuzz.py")])
        whole = re.search(r"whole path:\s+(\d+) k", parse)
        growth = re.search(r"growth day 1 → end: ([+-][\d.]+) MiB", soak)
        escaped = re.search(r"exceptions escaped: (\d+)", fuzz)
        rows += [
            ("log path throughput", f"{whole.group(1) if whole else '?'} k lines/s", "≥ 200 k"),
            ("7-day soak RSS growth", f"{growth.group(1) if growth else '?'} MiB", "≤ 5 MB"),
            ("fuzz, 1 M inputs", f"{escaped.group(1) if escaped else '?'} exceptions", "0"),
        ]
    print(
        f"embedtop benchmarks · {time.strftime('%Y-%m-%d')} · {platform.machine()} {psutil.cpu_count()} cores · "
        f"Python {platform.python_version()} · tmux 120×36 · {args.seconds:.0f} s windows"
    )
    width = max(len(r[0]) for r in rows)
    for name, value, goal in rows:
        print(f"{name:<{width}}  {value:<30}  goal {goal}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
