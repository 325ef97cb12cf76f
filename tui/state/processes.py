"""Which vLLM processes on this host belong to a target, and the GPU memory they hold.

A target's processes are found by port: the `vllm serve` API server whose `--port` is the port of the
target's URL (for a URL that points at this host: loopback, its name or an interface address), plus its
descendants (EngineCore, workers). When no API server here has that port (a remote URL, docker port
mapping, another PID namespace), the answer is None: "not known", never a guess.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from tui.config import Config
from tui.samples import GpuSample, HostSample, VllmProcess
from tui.state.store import Store
from tui.state.urls import url_port


def is_local(host: str, sample: HostSample) -> bool:
    """Does a URL's host name the machine the process scan ran on? Its name or one of its interface
    addresses, or loopback — never a DNS lookup (this runs on the UI thread)."""
    host = host.lower()
    if host in ("localhost", "0.0.0.0", "::") or (sample.hostname and host == sample.hostname.lower()):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False  # another name: not resolved here, so not known to be this host
    return ip.is_loopback or str(ip) in sample.addresses


def gpu_pids(gpu: GpuSample | None) -> set[int]:
    """The PIDs NVML reports on the GPUs (host PIDs): what the process scan is asked to look for."""
    if gpu is None:
        return set()
    return {p.pid for d in gpu.devices for p in d.processes or ()}


def _tree(processes: list[VllmProcess], roots: set[int]) -> set[int]:
    """The roots and their descendants (EngineCore is the API server's child, workers are EngineCore's)."""
    mine = set(roots)
    changed = True
    while changed:
        changed = False
        for p in processes:
            if p.pid not in mine and p.ppid in mine:
                mine.add(p.pid)
                changed = True
    return mine


def target_processes(store: Store, cfg: Config, strict: bool = False) -> list[VllmProcess] | None:
    """This target's vLLM processes here, or None when unknown (no local API server on its port).

    Surely ours: the API server on the target's port and its descendants, and processes the target's
    own log names (`(EngineCore pid=N)`). Another port's API server and its descendants are not ours.
    Engine processes that descend from no API server (orphans, or a launcher that is not vLLM's) are
    counted as ours too — unless `strict` — when no other vLLM server runs here, or when ours has no
    engine process of its own; otherwise (a complete tree of ours beside another server's) they are
    left out."""
    host = store.host
    if host is None or not is_local(urlsplit(cfg.url).hostname or "", host):
        return None
    port = url_port(cfg.url)
    procs = list(host.processes)
    api = [p for p in procs if p.role == "api-server"]
    named = set(store.log_state.pids)
    if not any(p.port == port for p in api):
        # Our API server is not (or no longer) here. The processes our log names are still ours (orphans
        # after its death); another server's tree never is, so it cannot stand in for ours.
        mine = _tree(procs, {p.pid for p in procs if p.pid in named}) - _tree(procs, {p.pid for p in api})
        return [p for p in procs if p.pid in mine] if mine else None
    mine = _tree(procs, {p.pid for p in api if p.port == port} | {p.pid for p in procs if p.pid in named})
    others = _tree(procs, {p.pid for p in api if p.port != port}) - mine
    own_engine = any(p.role != "api-server" for p in procs if p.pid in mine)
    if strict or (others and own_engine):
        return [p for p in procs if p.pid in mine]
    return [p for p in procs if p.pid not in others]


def target_gpu_bytes(store: Store, cfg: Config) -> int | None:
    """GPU memory NVML reports for the target's processes (None when unknown)."""
    procs = target_processes(store, cfg)
    gpu = store.gpu
    if procs is None or gpu is None or not gpu.available:
        return None
    pids = {p.pid for p in procs}
    held = [p.used_bytes for d in gpu.devices for p in d.processes or () if p.pid in pids]
    if not held or any(b is None for b in held):
        return None
    return sum(b for b in held if b is not None)
