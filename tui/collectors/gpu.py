"""Minimal NVML collector: per-device memory via `nvidia-ml-py` (`import pynvml`), blocking, run in a thread.

`nvmlInit` is called once on the first poll; a host with no driver gives a sample that says so.
Per-process memory and the other fields come with the GPU panel issue.
"""

from __future__ import annotations

import contextlib
import time
from types import ModuleType
from typing import Any

from tui.model.samples import GpuDevice, GpuSample


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class NvmlCollector:
    """Reads GPU memory through NVML; `nvml` can be a faithful fake module in tests."""

    name = "gpu"

    def __init__(self, nvml: ModuleType | None = None) -> None:
        self._nvml = nvml
        self._ready = False
        self._reason: str | None = None

    def _init(self) -> None:
        if self._nvml is None:
            try:
                import pynvml
            except ImportError:
                self._reason = "nvidia-ml-py is not installed (pip install nvidia-ml-py)"
                return
            self._nvml = pynvml
        try:
            self._nvml.nvmlInit()
            self._ready = True
        except Exception as exc:  # NVMLError_LibraryNotFound, DriverNotLoaded, ...
            self._reason = f"NVML: not available on this host ({_text(exc) or type(exc).__name__})"

    def collect(self) -> GpuSample:
        now = time.time()
        if not self._ready and self._reason is None:
            self._init()
        if not self._ready:
            return GpuSample(now, available=False, reason=self._reason)
        nvml = self._nvml
        assert nvml is not None
        try:
            driver = _text(nvml.nvmlSystemGetDriverVersion())
        except Exception:
            driver = None
        try:
            count = nvml.nvmlDeviceGetCount()
        except Exception as exc:
            return GpuSample(now, available=False, reason=f"NVML device count failed: {_text(exc)}", driver=driver)
        devices = []
        for i in range(count):
            try:
                handle = nvml.nvmlDeviceGetHandleByIndex(i)
                name = _text(nvml.nvmlDeviceGetName(handle))
            except Exception as exc:
                devices.append(GpuDevice(i, f"n/a ({_text(exc)})", None, None))
                continue
            try:
                mem = nvml.nvmlDeviceGetMemoryInfo(handle)
                used, total = int(mem.used), int(mem.total)
            except Exception:
                used = total = None
            devices.append(GpuDevice(i, name, used, total))
        return GpuSample(now, available=True, driver=driver, devices=tuple(devices))

    def close(self) -> None:
        if self._ready and self._nvml is not None:
            with contextlib.suppress(Exception):
                self._nvml.nvmlShutdown()
            self._ready = False
