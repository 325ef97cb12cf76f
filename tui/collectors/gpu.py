"""NVML collector: per-device memory, utilisation, temperature, power and compute processes, through
`nvidia-ml-py` (`import pynvml`), blocking: the runtime calls it in a worker thread.

Follows the real library's documented calls (nvidia-ml-py's pynvml): `nvmlInit` once,
memory info v2 with a v1 fallback, compute processes v3 (the unversioned call) with a v2 fallback
when the bindings raise `NVMLLibraryMismatchError`, power in mW, `nvmlShutdown` on exit. Every field
degrades on its own: NotSupported, NoPermission, GpuIsLost, FunctionNotFound… leave that field None
with the reason, the rest still works. No driver at all → a sample that says so and how to check.
NVML numbers devices in PCI bus order; `--gpu` / CUDA_VISIBLE_DEVICES pick which are shown.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from tui.samples import GpuDevice, GpuProcess, GpuSample

NO_DRIVER_FIX = (
    "No NVIDIA driver is visible to this process. Check `nvidia-smi` on the host; inside docker run the "
    "container with `--gpus all` (NVIDIA Container Toolkit). If vLLM runs on another host, this panel "
    "cannot see its GPU: run embedtop there."
)
INIT_FIXES = {
    "NVMLError_LibraryNotFound": NO_DRIVER_FIX,
    "NVMLError_DriverNotLoaded": "The `nvidia` kernel module is not loaded: `sudo modprobe nvidia`, or reboot after "
    "installing the driver. `nvidia-smi` must work first.",
    "NVMLError_LibRmVersionMismatch": "The NVIDIA driver was upgraded without a reboot (library and kernel module "
    "differ): reboot, or reload the nvidia kernel modules.",
    "NVMLError_NoPermission": "No permission to use /dev/nvidia*: run as a user in the video group, or as root.",
}
FIELD_REASONS = {
    "NVMLError_NotSupported": "not supported on this GPU",
    "NVMLError_NoPermission": "no permission",
    "NVMLError_GpuIsLost": "GPU lost",
    "NVMLError_FunctionNotFound": "driver too old for this call",
    "NVMLError_Uninitialized": "NVML not initialised",
    "NVMLLibraryMismatchError": "driver too old for this call",
}


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _why(exc: BaseException) -> str:
    name = type(exc).__name__
    return FIELD_REASONS.get(name) or f"{name}: {_text(exc)}"[:80]


def select_devices(count: int, uuids: list[str | None], wanted: str | None) -> tuple[list[int], str | None]:
    """Indices to show, from `--gpu` or CUDA_VISIBLE_DEVICES (indices or GPU UUIDs), and a note."""
    if not wanted:
        return list(range(count)), None
    picked: list[int] = []
    for item in (x.strip() for x in wanted.split(",")):
        if not item:
            continue
        if item.isdigit() and int(item) < count:
            picked.append(int(item))
        elif item.startswith(("GPU-", "MIG-")):
            picked += [i for i, u in enumerate(uuids) if u and (u == item or u.startswith(item))]
    picked = sorted(set(picked))
    note = f"showing NVML (PCI-order) GPU {','.join(map(str, picked)) or 'none'} of {count} for {wanted!r}"
    if any(x.strip().isdigit() for x in wanted.split(",")):
        note += "; CUDA numbers GPUs in PCI order only with CUDA_DEVICE_ORDER=PCI_BUS_ID"
    return picked, note


def _no_nvml_library() -> bool:
    """True when nvidia-ml-py is installed but the NVML library it loads on Linux (`libnvidia-ml.so.1`, the
    driver's) cannot be loaded: its nvmlInit would raise NVMLError_LibraryNotFound."""
    if not sys.platform.startswith("linux") or importlib.util.find_spec("pynvml") is None:
        return False
    import ctypes

    try:
        ctypes.CDLL("libnvidia-ml.so.1")
    except OSError:
        return True
    return False


class NvmlCollector:
    """Reads the GPUs through NVML; `nvml` may be a faithful fake module (tui.demo.fake_nvml)."""

    name = "gpu"

    def __init__(self, nvml: Any = None, gpus: str | None = None) -> None:
        self._nvml = nvml
        self._ready = False
        self._reason: str | None = None
        self._fix: str | None = None
        self._gpus = gpus if gpus is not None else os.environ.get("CUDA_VISIBLE_DEVICES") or None

    def _init(self) -> None:
        if self._nvml is None and _no_nvml_library():
            # What nvmlInit would say (pynvml loads this same library first), without importing the 8000-line
            # bindings (~1.6 MB) into a dashboard on a host without a driver.
            self._reason = "NVML: not available on this host (NVML Shared Library Not Found)"
            self._fix = NO_DRIVER_FIX
            return
        if self._nvml is None:
            try:
                import warnings

                with warnings.catch_warnings():  # the `pynvml` deprecation shell warns on import
                    warnings.simplefilter("ignore", FutureWarning)
                    import pynvml
            except ImportError:
                self._reason = "nvidia-ml-py is not installed"
                self._fix = "pip install nvidia-ml-py (and `pip uninstall pynvml` if an old copy shadows it)"
                return
            if not hasattr(pynvml, "_nvmlGetFunctionPointer"):
                self._reason = "an old `pynvml` package shadows nvidia-ml-py"
                self._fix = "pip uninstall pynvml && pip install --force-reinstall nvidia-ml-py"
                return
            self._nvml = pynvml
        try:
            self._nvml.nvmlInit()
            self._ready = True
        except Exception as exc:  # NVMLError_LibraryNotFound, DriverNotLoaded, ...
            name = type(exc).__name__
            self._reason = f"NVML: not available on this host ({_text(exc) or name})"
            self._fix = INIT_FIXES.get(name, NO_DRIVER_FIX)

    def collect(self) -> GpuSample:
        now = time.time()
        if not self._ready and self._reason is None:
            self._init()
        if not self._ready:
            return GpuSample(now, available=False, reason=self._reason, fix=self._fix)
        nvml = self._nvml
        driver = self._try(nvml.nvmlSystemGetDriverVersion)
        cuda_raw = self._try(nvml.nvmlSystemGetCudaDriverVersion)
        cuda = f"{cuda_raw // 1000}.{cuda_raw % 1000 // 10}" if isinstance(cuda_raw, int) else None
        try:
            count = nvml.nvmlDeviceGetCount()
        except Exception as exc:
            return GpuSample(now, available=False, reason=f"NVML device count failed: {_why(exc)}", driver=driver)
        handles: list[Any] = []
        uuids: list[str | None] = []
        for i in range(count):
            try:
                handle = nvml.nvmlDeviceGetHandleByIndex(i)
                uuid = _text(nvml.nvmlDeviceGetUUID(handle))
            except Exception as exc:
                handle, uuid = exc, None
            handles.append(handle)
            uuids.append(uuid)
        picked, note = select_devices(count, uuids, self._gpus)
        devices = tuple(self._device(i, handles[i], uuids[i]) for i in picked)
        return GpuSample(
            now, available=True, driver=_text(driver) if driver else None, devices=devices, cuda=cuda, note=note
        )

    @staticmethod
    def _try(fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception:
            return None

    def _device(self, index: int, handle: Any, uuid: str | None) -> GpuDevice:
        nvml = self._nvml
        if isinstance(handle, BaseException):
            lost = type(handle).__name__ == "NVMLError_GpuIsLost"
            return GpuDevice(index, f"GPU {index}", None, None, na=(("device", _why(handle)),), lost=lost)
        na: list[tuple[str, str]] = []

        def field(name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                na.append((name, _why(exc)))
                return None

        name = field("name", nvml.nvmlDeviceGetName, handle)
        try:
            mem = nvml.nvmlDeviceGetMemoryInfo(handle, version=nvml.nvmlMemory_v2)
        except Exception:
            mem = field("memory", nvml.nvmlDeviceGetMemoryInfo, handle)  # v1: drivers without v2
        util = field("util", nvml.nvmlDeviceGetUtilizationRates, handle)
        temp = field("temperature", nvml.nvmlDeviceGetTemperature, handle, nvml.NVML_TEMPERATURE_GPU)
        power = field("power", nvml.nvmlDeviceGetPowerUsage, handle)
        limit = self._try(nvml.nvmlDeviceGetEnforcedPowerLimit, handle) if power is not None else None
        try:
            procs = nvml.nvmlDeviceGetComputeRunningProcesses(handle)
        except Exception as exc:
            if type(exc).__name__ == "NVMLLibraryMismatchError":
                procs = field("processes", nvml.nvmlDeviceGetComputeRunningProcesses_v2, handle)
            else:
                na.append(("processes", _why(exc)))
                procs = None
        processes = None
        if procs is not None:
            processes = tuple(
                GpuProcess(int(p.pid), int(p.usedGpuMemory) if p.usedGpuMemory is not None else None) for p in procs
            )
        lost = any(why == "GPU lost" for _, why in na)
        return GpuDevice(
            index=index,
            name=_text(name) if name is not None else f"GPU {index}",
            used_bytes=int(mem.used) if mem is not None else None,
            total_bytes=int(mem.total) if mem is not None else None,
            uuid=uuid,
            util_percent=int(util.gpu) if util is not None else None,
            temperature_c=int(temp) if temp is not None else None,
            power_w=power / 1000.0 if power is not None else None,
            power_limit_w=limit / 1000.0 if isinstance(limit, int | float) else None,
            processes=processes,
            na=tuple(na),
            lost=lost,
        )

    def close(self) -> None:
        if self._ready and self._nvml is not None:
            with contextlib.suppress(Exception):
                self._nvml.nvmlShutdown()
            self._ready = False
