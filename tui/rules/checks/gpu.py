"""The GPU checks: NVML sees the GPU, the model sits in its memory, and the memory has headroom."""

from __future__ import annotations

from tui.rules.checks.spec import Judging, check
from tui.rules.evidence import hms
from tui.rules.result import CheckResult, Status
from tui.state.processes import target_processes

MODEL_RESIDENT_BYTES = 256 * 1024**2  # a process holding less than this is not a loaded model
HEADROOM_FULL = 0.97


@check("gpu.visible", "GPU visible (NVML)", inputs=("gpu",))
def visible(c: Judging) -> CheckResult:
    gpu = c.store.gpu
    if gpu is None:
        return c.waiting("waiting for the first NVML poll")
    if not gpu.available:
        return c.result(
            Status.UNKNOWN,
            gpu.reason or "NVML not available",
            (f"{hms(gpu.t)} {gpu.reason}",),
            gpu.fix
            or "On a GPU host, `nvidia-smi` must list the GPU; install the NVIDIA driver if it does not. "
            "In a container, run it with `--gpus all` (NVIDIA Container Toolkit).",
        )
    if not gpu.devices:
        return c.result(
            Status.FAIL,
            "NVML works but shows no GPU" + (f" ({gpu.note})" if gpu.note else ""),
            (f"{hms(gpu.t)} nvmlDeviceGetCount() → no device selected",),
            "Check `nvidia-smi`; in a container pass `--gpus all`; check CUDA_VISIBLE_DEVICES / --gpu.",
        )
    lost = [d for d in gpu.devices if d.lost]
    if lost:
        return c.result(
            Status.FAIL,
            f"GPU{lost[0].index} is lost (fell off the bus)",
            [f"{hms(gpu.t)} NVML: {d.reason('device') or 'GPU is lost'} on GPU{d.index}" for d in lost],
            "Look for Xid errors in `dmesg` / `journalctl -k`; the GPU needs a reset (`nvidia-smi -r`) or the "
            "host a reboot. vLLM on that GPU is dead until then.",
        )
    names = ", ".join(f"{d.index}: {d.name}" for d in gpu.devices)
    partial = sorted({f for d in gpu.devices for f, _ in d.na})
    evidence = [f"{hms(gpu.t)} {f} n/a: {d.reason(f)}" for d in gpu.devices for f in partial if d.reason(f)]
    if gpu.note:
        evidence.append(gpu.note)
    summary = f"{len(gpu.devices)} GPU(s): {names}" + (f" ({', '.join(partial)} n/a)" if partial else "")
    return c.result(Status.PASS, summary, evidence)


def _vllm_gpu_processes(c: Judging) -> tuple[list[tuple[int, str, int | None, int]], list[int]]:
    """([(pid, role, used bytes, gpu index)] of vLLM processes on a GPU, [GPU pids not visible here]).
    With several vLLM servers on the host, only the target's own (by its URL's port) count. Which PIDs
    exist here is what the process scan recorded (HostSample.visible_pids), never asked at judging time."""
    gpu, host = c.store.gpu, c.store.host
    all_procs = {p.pid: p for p in host.processes} if host else {}
    own = target_processes(c.store, c.cfg)
    procs = {p.pid: p for p in own} if own is not None else all_procs
    visible_here = set(host.visible_pids) if host is not None else set()
    mapped, hidden = [], []
    for d in gpu.devices if gpu else ():
        for p in d.processes or ():
            if p.pid in procs:
                mapped.append((p.pid, procs[p.pid].role, p.used_bytes, d.index))
            elif p.pid in all_procs:
                continue  # another vLLM server's process
            elif host is not None and p.pid not in visible_here:
                hidden.append(p.pid)
    return mapped, hidden


@check("gpu.model_resident", "Model on the GPU", inputs=("gpu", "host"), blocked_by=(visible,))
def model_resident(c: Judging) -> CheckResult:
    gpu = c.store.gpu
    if gpu is None or not gpu.available or not gpu.devices:
        return c.blocked(visible)
    mapped, hidden = _vllm_gpu_processes(c)
    holding = [m for m in mapped if m[2] is None or m[2] >= MODEL_RESIDENT_BYTES]
    if holding:
        pid, role, used, index = max(holding, key=lambda m: m[2] or 0)
        mem = f"{used / 1024**3:.1f} GiB" if used is not None else "memory not reported (MIG/WDDM)"
        evidence = [f"{hms(gpu.t)} NVML GPU{i}: pid {p} ({r}) {(u or 0) / 1024**3:.1f} GiB" for p, r, u, i in mapped]
        return c.result(Status.PASS, f"vLLM {role} pid {pid} holds {mem} on GPU{index}", evidence)
    any_procs = [(d.index, p) for d in gpu.devices for p in d.processes or ()]
    server_up = c.store.server is not None and c.store.server.ok
    if hidden:
        return c.result(
            Status.UNKNOWN,
            f"GPU processes {', '.join(map(str, hidden[:3]))} are not visible here (another PID namespace)",
            [f"{hms(gpu.t)} NVML reports host PIDs; /proc here does not have them"],
            "embedtop runs in a container or PID namespace other than vLLM's: run it on the host, or the "
            "container with `--pid=host`, to name the processes.",
        )
    if server_up:
        evidence = [
            f"{hms(gpu.t)} NVML compute processes: "
            + (", ".join(f"GPU{i} pid {p.pid}" for i, p in any_procs) or "none")
        ]
        host = c.store.host
        if host and host.processes:
            evidence.append("vLLM processes here: " + ", ".join(f"{p.role} {p.pid}" for p in host.processes))
        return c.result(
            Status.FAIL,
            "the API answers but no vLLM process holds GPU memory here",
            evidence,
            "vLLM is running somewhere else (another host or container than this GPU's) or on the CPU: check "
            "`--url` points at this host, `nvidia-smi` inside the vLLM container, and that vLLM is the CUDA build "
            "(its log says 'Automatically detected platform cuda').",
        )
    return c.result(Status.UNKNOWN, "no vLLM process holds GPU memory, and the API is not up")


@check("gpu.memory_headroom", "GPU memory headroom", inputs=("gpu", "server"), blocked_by=(visible,))
def memory_headroom(c: Judging) -> CheckResult:
    gpu = c.store.gpu
    if gpu is None or not gpu.available or not gpu.devices:
        return c.blocked(visible)
    known = [d for d in gpu.devices if d.used_bytes is not None and d.total_bytes]
    if not known:
        return c.result(Status.UNKNOWN, "memory not reported by NVML")
    own = target_processes(c.store, c.cfg)
    if own is not None:  # several vLLM servers here: the GPUs this one uses, when NVML shows them
        pids = {p.pid for p in own}
        known = [d for d in known if any(p.pid in pids for p in d.processes or ())] or known
    d = max(known, key=lambda d: d.used_bytes / d.total_bytes)  # type: ignore[operator]
    frac = d.used_bytes / d.total_bytes  # type: ignore[operator]
    summary = f"GPU{d.index} {frac * 100:.0f}% used ({d.used_bytes / 1024**3:.1f} of {d.total_bytes / 1024**3:.1f} GiB)"  # type: ignore[operator]
    waiting = [m.waiting for m in list(c.store.metrics_history)[-4:] if m.ok and m.waiting is not None]
    rising = len(waiting) >= 2 and waiting[-1] > 0 and waiting[-1] > waiting[0]
    evidence = [f"{hms(gpu.t)} NVML GPU{d.index}: used {d.used_bytes} of {d.total_bytes} bytes"]
    if waiting:
        evidence.append("vllm:num_requests_waiting over the last scrapes: " + ", ".join(f"{w:.0f}" for w in waiting))
    fix = (
        "vLLM reserves --gpu-memory-utilization × TOTAL GPU memory at start (0.9, or 0.92 from ~0.20), so a full "
        "card is normal for vLLM alone. The risk is other processes on the same GPU or bursts bigger than the "
        "KV cache: stop other GPU processes (`nvidia-smi`), lower --max-num-seqs / --max-num-batched-tokens, "
        "or send smaller batches; watch for 'CUDA out of memory' in the log."
    )
    if frac >= HEADROOM_FULL and rising:
        return c.result(Status.WARN, f"{summary} and requests are queueing: OOM risk", evidence, fix)
    return c.result(Status.PASS, summary, evidence)
