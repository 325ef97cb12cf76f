"""Host resources and the vLLM processes on this host, via psutil (blocking: run in a worker thread).

vLLM 0.32 processes (real: tests/captures/vllm-0.32-cpu/README.md): the API server runs
`…/python …/vllm serve <model> …` (or `python -m vllm.entrypoints.openai.api_server --model …`),
its EngineCore child sets its title to `VLLM::EngineCore`, the worker to `VLLM::Worker` (older
versions: `VllmWorker-N`, `VllmWorkerProcess`, `EngineCore_0`). NVML reports HOST PIDs: inside a
container /proc shows other numbers, so a GPU PID we cannot see here is reported as such, and a
process we can see is tagged with its docker container id from /proc/PID/cgroup.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import psutil

from tui.samples import HostSample, VllmProcess

_CONTAINER_RE = re.compile(r"(?:docker[-/]|containers?/|cri-containerd-|crio-)([0-9a-f]{12,64})")


def role_of(name: str, cmdline: list[str]) -> str | None:
    """'api-server', 'engine-core', 'worker' or None, from the process name and command line."""
    head = cmdline[0] if cmdline else ""
    title = head.strip() or name
    if title.startswith(("VLLM::EngineCore", "EngineCore")) or name.startswith("VLLM::EngineCor"):
        return "engine-core"
    if title.startswith(("VLLM::Worker", "VllmWorker", "VLLM::Worker")) or name.startswith("VLLM::Worker"):
        return "worker"
    joined = " ".join(cmdline[:6])
    if "vllm.entrypoints.openai.api_server" in joined:
        return "api-server"
    if any(Path(arg).name == "vllm" for arg in cmdline[:3]) and "serve" in cmdline[:6]:
        return "api-server"
    return None


def serve_args(cmdline: list[str]) -> tuple[str | None, int | None, str | None]:
    """(model, port, served name) from a `vllm serve` / api_server command line."""
    model = served = None
    port: int | None = None
    args = list(cmdline)
    if "serve" in args:
        i = args.index("serve")
        if i + 1 < len(args) and not args[i + 1].startswith("-"):
            model = args[i + 1]
    for i, arg in enumerate(args):
        key, _, inline = arg.partition("=")
        value = inline or (args[i + 1] if i + 1 < len(args) else "")
        if key == "--model" and value:
            model = value
        elif key == "--port" and value.isdigit():
            port = int(value)
        elif key == "--served-model-name" and value:
            served = value
    if port is None and (model is not None or "serve" in args):
        port = 8000  # vLLM's default
    return model, port, served


def container_of(pid: int) -> str | None:
    """The short docker/containerd id a process runs in, from /proc/PID/cgroup (None: not in one)."""
    try:
        text = Path(f"/proc/{pid}/cgroup").read_text(errors="replace")
    except OSError:
        return None
    m = _CONTAINER_RE.search(text)
    return m.group(1)[:12] if m else None


INET = (socket.AF_INET, socket.AF_INET6)


FULL_SCAN_EVERY = 6  # polls between scans of the whole process table (30 s at the default 5 s interval)


class HostCollector:
    """Host CPU / RAM / swap and the vLLM processes. Keeps psutil.Process objects between polls so
    per-process CPU % is measured over the poll interval.

    The whole process table (every process's name and command line) is read at the first poll, every
    FULL_SCAN_EVERY polls, when a known vLLM process is gone (a restart: its successors are new PIDs),
    and after `rescan()` (the runtime asks when a server came up or went down, or NVML names a PID we do
    not know). In between only the known vLLM PIDs are read again: a vanished one is seen at once."""

    name = "host"

    def __init__(self) -> None:
        self._procs: dict[int, psutil.Process] = {}
        self._seen: dict[int, VllmProcess] = {}
        self._polls = 0
        self._rescan = True
        self._gpu_pids: frozenset[int] = frozenset()
        self.full_scans = 0
        self._hostname = socket.gethostname()
        try:  # interface addresses (no DNS): a target URL with one of them is on this host
            nics = psutil.net_if_addrs().values()
            ips = {a.address.split("%", 1)[0] for nic in nics for a in nic if a.family in INET}
            self._addresses = tuple(sorted(ips))
        except OSError:
            self._addresses = ()
        psutil.cpu_percent(None)  # prime the host CPU counter

    @property
    def known(self) -> frozenset[int]:
        return frozenset(self._seen)

    def rescan(self) -> None:
        """Read the whole process table at the next poll."""
        self._rescan = True

    def watch_gpu_pids(self, pids: Iterable[int]) -> None:
        """The PIDs NVML reports on the GPUs (host PIDs): each poll records which of them exist here."""
        self._gpu_pids = frozenset(pids)

    def collect(self) -> HostSample:
        now = time.time()
        self._polls += 1
        found: list[VllmProcess] | None = None
        if not (self._rescan or self._polls % FULL_SCAN_EVERY == 1):
            found = self._refresh_known()
        if found is None:
            found = self._scan_all()
        alive = {p.pid for p in found}
        for pid in list(self._procs):
            if pid not in alive:
                del self._procs[pid]
        gone = tuple(p for pid, p in self._seen.items() if pid not in alive)
        self._seen = {p.pid: p for p in found}
        vm, sw = psutil.virtual_memory(), psutil.swap_memory()
        return HostSample(
            t=now,
            cpu_percent=psutil.cpu_percent(None),
            ram_used=vm.total - vm.available,
            ram_total=vm.total,
            swap_used=sw.used,
            swap_total=sw.total,
            processes=tuple(sorted(found, key=lambda p: (p.role != "api-server", p.pid))),
            gone=gone,
            hostname=self._hostname,
            addresses=self._addresses,
            visible_pids=self._visible(alive),
        )

    def _visible(self, known: set[int]) -> tuple[int, ...]:
        """The watched GPU PIDs this PID namespace has (a vLLM process found here surely is one of them)."""
        return tuple(sorted(pid for pid in self._gpu_pids if pid in known or psutil.pid_exists(pid)))

    def _refresh_known(self) -> list[VllmProcess] | None:
        """The known vLLM processes with fresh RSS / CPU / parent; None when one is gone (scan everything)."""
        found = []
        for pid, old in self._seen.items():
            proc = self._procs.get(pid)
            try:
                if proc is None or not proc.is_running():  # is_running also tells a reused PID apart
                    return None
                with proc.oneshot():
                    if proc.status() == psutil.STATUS_ZOMBIE:
                        return None
                    found.append(
                        replace(old, rss=proc.memory_info().rss, cpu_percent=proc.cpu_percent(None), ppid=proc.ppid())
                    )
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
                return None
        return found

    def _scan_all(self) -> list[VllmProcess]:
        self._rescan = False
        self.full_scans += 1
        found: list[VllmProcess] = []
        for proc in psutil.process_iter(["pid", "name", "cmdline"]):
            try:
                info = proc.info
                cmdline = info.get("cmdline") or []
                role = role_of(info.get("name") or "", cmdline)
                if role is None:
                    continue
                pid = info["pid"]
                cached = self._procs.get(pid)
                if cached is None or not cached.is_running():  # new, or its PID now names another process
                    cached = self._procs[pid] = proc
                with cached.oneshot():
                    rss = cached.memory_info().rss
                    cpu = cached.cpu_percent(None)
                    ppid = cached.ppid()
                model, port, served = serve_args(cmdline) if role == "api-server" else (None, None, None)
                if role == "api-server":
                    title = f"vllm serve {model or '?'}"
                else:
                    title = (cmdline[0].strip() if cmdline else "") or (info.get("name") or "")
                found.append(VllmProcess(pid, role, title, ppid, rss, cpu, model, port, served, container_of(pid)))
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
                continue
        return found
