"""Run the real NVML collector and process scan once on this host and print what they see.

For a GPU host (the device tool), to catch struct/unit mistakes no fake can:
    .venv/bin/python bench/gpu_probe.py [--repeat 3]
Prints the driver/CUDA versions, each device's fields (None = not available, with the reason), the
compute processes with their host PIDs, the vLLM processes psutil finds, and the time one poll takes.
"""

from __future__ import annotations

import argparse
import time

from tui.collectors.gpu import NvmlCollector
from tui.collectors.procs import HostCollector


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    gpu, host = NvmlCollector(), HostCollector()
    try:
        for i in range(args.repeat):
            t0 = time.perf_counter()
            s = gpu.collect()
            took = (time.perf_counter() - t0) * 1000
            print(f"poll {i}: {took:.1f} ms · available={s.available} driver={s.driver} cuda={s.cuda}")
            if not s.available:
                print(f"  reason: {s.reason}\n  fix: {s.fix}")
            for d in s.devices:
                print(
                    f"  GPU{d.index} {d.name} uuid={d.uuid} used={d.used_bytes} total={d.total_bytes} "
                    f"util={d.util_percent}% temp={d.temperature_c}C power={d.power_w}/{d.power_limit_w} W "
                    f"lost={d.lost}"
                )
                for p in d.processes or ():
                    print(f"    process pid={p.pid} used={p.used_bytes}")
                for field, why in d.na:
                    print(f"    n/a {field}: {why}")
            time.sleep(1)
        h = host.collect()
        print(f"host cpu={h.cpu_percent:.0f}% ram={h.ram_used >> 20}/{h.ram_total >> 20} MiB")
        for p in h.processes:
            where = f" container {p.container}" if p.container else ""
            print(f"  vLLM {p.role} pid={p.pid} model={p.model} port={p.port} rss={p.rss >> 20} MiB{where}")
    finally:
        gpu.close()


if __name__ == "__main__":
    main()
