"""A faithful stand-in for the `pynvml` module (nvidia-ml-py), for tests and the demo on GPU-less hosts.

It implements exactly the calls embedtop makes, with the real names and signatures, returns the
real ctypes structs converted the way the real bindings convert them (`nvmlStructToFriendlyObject`),
and raises the real `pynvml.NVMLError_*` classes, taken from the installed nvidia-ml-py so they
cannot drift (tests/test_gpu.py compares names and signatures with the real module).

Scenarios (the calls and errors of nvidia-ml-py): "healthy" (one 24 GiB card, a 9 GiB vLLM worker),
"no-driver" (nvmlInit → LibraryNotFound), "not-supported" (util/temperature/power NotSupported,
memory v2 FunctionNotFound → v1, processes v3 missing → v2), "gpu-lost" (`lose_gpu()` mid-run),
"memory-climb" (used memory grows on every read until the card is full).
"""

from __future__ import annotations

import threading
from collections import deque

import pynvml

GiB = 1024**3

# The real classes and constants, re-exported so the fake is a drop-in module.
NVMLError = pynvml.NVMLError
NVMLLibraryMismatchError = pynvml.NVMLLibraryMismatchError
NVML_TEMPERATURE_GPU = pynvml.NVML_TEMPERATURE_GPU
nvmlMemory_v2 = pynvml.nvmlMemory_v2
for _name in dir(pynvml):
    if _name.startswith("NVMLError_") or (_name.startswith("NVML_ERROR_") and _name.isupper()):
        globals()[_name] = getattr(pynvml, _name)

SCENARIOS = ("healthy", "no-driver", "not-supported", "gpu-lost", "memory-climb")


class FakeDevice:
    """One simulated GPU."""

    def __init__(self, index: int, name: str, total: int, base_used: int) -> None:
        self.index = index
        self.name = name
        self.uuid = f"GPU-{index:08x}-0000-4000-8000-embedtopfake"
        self.total = total
        self.base_used = base_used
        self.processes: list[tuple[int, int | None]] = []  # (host pid, used bytes or None)
        self.util = (37, 12)
        self.temperature = 61
        self.power_mw = 71_500
        self.power_limit_mw = 72_000

    @property
    def used(self) -> int:
        return min(self.total, self.base_used + sum(m or 0 for _, m in self.processes))


class FakeNvml:
    """Module-like object with pynvml's functions. Thread-safe; state changes are methods."""

    NVMLError = pynvml.NVMLError
    NVMLLibraryMismatchError = pynvml.NVMLLibraryMismatchError
    NVML_TEMPERATURE_GPU = pynvml.NVML_TEMPERATURE_GPU
    nvmlMemory_v2 = pynvml.nvmlMemory_v2

    def __init__(
        self,
        scenario: str = "healthy",
        worker_pid: int | None = None,
        card: tuple[str, int] = ("NVIDIA L4", 24 * GiB),
        count: int = 1,
    ) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown NVML scenario {scenario!r}: one of {', '.join(SCENARIOS)}")
        self.scenario = scenario
        self._lock = threading.Lock()
        self._inits = 0
        self.lost: set[int] = set()
        self.calls: deque[str] = deque(maxlen=1000)  # the latest calls (tests look at them)
        self.devices = [FakeDevice(i, card[0], card[1], int(0.45 * GiB)) for i in range(max(1, count))]
        if worker_pid is not None:
            self.devices[0].processes.append((worker_pid, int(9.2 * GiB)))
        self.climb_step = int(1.5 * GiB)

    def __getattr__(self, name: str):
        if name.startswith("NVMLError_") or name.startswith("NVML_ERROR_"):
            return getattr(pynvml, name)
        raise AttributeError(name)

    # ------------------------------------------------------------------ scenario controls

    def lose_gpu(self, index: int = 0) -> None:
        with self._lock:
            self.lost.add(index)

    def set_processes(self, index: int, processes: list[tuple[int, int | None]]) -> None:
        with self._lock:
            self.devices[index].processes = list(processes)

    # ------------------------------------------------------------------ helpers

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self._inits <= 0 and name not in ("nvmlInit", "nvmlShutdown"):
            raise pynvml.NVMLError_Uninitialized()

    def _device(self, handle: object) -> FakeDevice:
        if not isinstance(handle, FakeDevice):
            raise pynvml.NVMLError_InvalidArgument()
        if handle.index in self.lost:
            raise pynvml.NVMLError_GpuIsLost()
        return handle

    def _unsupported(self) -> None:
        if self.scenario == "not-supported":
            raise pynvml.NVMLError_NotSupported()

    # ------------------------------------------------------------------ the pynvml API

    def nvmlInit(self) -> None:
        self._call("nvmlInit")
        if self.scenario == "no-driver":
            raise pynvml.NVMLError_LibraryNotFound()
        with self._lock:
            self._inits += 1

    def nvmlShutdown(self) -> None:
        self._call("nvmlShutdown")
        with self._lock:
            if self._inits <= 0:
                raise pynvml.NVMLError_Uninitialized()
            self._inits -= 1

    def nvmlSystemGetDriverVersion(self) -> str:
        self._call("nvmlSystemGetDriverVersion")
        return "550.54.15"

    def nvmlSystemGetCudaDriverVersion(self) -> int:
        self._call("nvmlSystemGetCudaDriverVersion")
        return 12040

    def nvmlDeviceGetCount(self) -> int:
        self._call("nvmlDeviceGetCount")
        return len(self.devices)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> FakeDevice:
        self._call("nvmlDeviceGetHandleByIndex")
        if not 0 <= index < len(self.devices):
            raise pynvml.NVMLError_InvalidArgument()
        if index in self.lost:
            raise pynvml.NVMLError_GpuIsLost()
        return self.devices[index]

    def nvmlDeviceGetName(self, handle: object) -> str:
        self._call("nvmlDeviceGetName")
        return self._device(handle).name

    def nvmlDeviceGetUUID(self, handle: object) -> str:
        self._call("nvmlDeviceGetUUID")
        return self._device(handle).uuid

    def nvmlDeviceGetMemoryInfo(self, handle: object, version: int | None = None):
        self._call("nvmlDeviceGetMemoryInfo")
        dev = self._device(handle)
        with self._lock:
            if self.scenario == "memory-climb":
                dev.base_used = min(dev.total, dev.base_used + self.climb_step)
            used = dev.used
        if version is not None:
            if self.scenario == "not-supported":
                raise pynvml.NVMLError_FunctionNotFound()
            reserved = int(0.35 * GiB)
            struct = pynvml.c_nvmlMemory_v2_t()
            struct.version = version
            struct.total, struct.reserved, struct.used = dev.total, reserved, used
            struct.free = max(0, dev.total - used - reserved)
        else:
            struct = pynvml.c_nvmlMemory_t()
            struct.total, struct.used, struct.free = dev.total, used, max(0, dev.total - used)
        return pynvml.nvmlStructToFriendlyObject(struct)

    def nvmlDeviceGetUtilizationRates(self, handle: object):
        self._call("nvmlDeviceGetUtilizationRates")
        dev = self._device(handle)
        self._unsupported()
        struct = pynvml.c_nvmlUtilization_t()
        struct.gpu, struct.memory = dev.util
        return pynvml.nvmlStructToFriendlyObject(struct)

    def nvmlDeviceGetTemperature(self, handle: object, sensor: int) -> int:
        self._call("nvmlDeviceGetTemperature")
        dev = self._device(handle)
        if sensor != pynvml.NVML_TEMPERATURE_GPU:
            raise pynvml.NVMLError_InvalidArgument()
        self._unsupported()
        return dev.temperature

    def nvmlDeviceGetPowerUsage(self, handle: object) -> int:
        self._call("nvmlDeviceGetPowerUsage")
        dev = self._device(handle)
        self._unsupported()
        return dev.power_mw

    def nvmlDeviceGetEnforcedPowerLimit(self, handle: object) -> int:
        self._call("nvmlDeviceGetEnforcedPowerLimit")
        dev = self._device(handle)
        self._unsupported()
        return dev.power_limit_mw

    def _processes(self, handle: object) -> list:
        dev = self._device(handle)
        out = []
        for pid, used in dev.processes:
            struct = pynvml.c_nvmlProcessInfo_v2_t()
            struct.pid = pid
            struct.usedGpuMemory = used if used is not None else pynvml.NVML_VALUE_NOT_AVAILABLE_ulonglong.value
            struct.gpuInstanceId = 0xFFFFFFFF
            struct.computeInstanceId = 0xFFFFFFFF
            obj = pynvml.nvmlStructToFriendlyObject(struct)
            if obj.usedGpuMemory == pynvml.NVML_VALUE_NOT_AVAILABLE_ulonglong.value:
                obj.usedGpuMemory = None  # as the real bindings do (WDDM, MIG)
            out.append(obj)
        return out

    def nvmlDeviceGetComputeRunningProcesses_v3(self, handle: object) -> list:
        self._call("nvmlDeviceGetComputeRunningProcesses_v3")
        if self.scenario == "not-supported":
            raise pynvml.NVMLError_FunctionNotFound()
        return self._processes(handle)

    def nvmlDeviceGetComputeRunningProcesses_v2(self, handle: object) -> list:
        self._call("nvmlDeviceGetComputeRunningProcesses_v2")
        return self._processes(handle)

    def nvmlDeviceGetComputeRunningProcesses(self, handle: object) -> list:
        # nvidia-ml-py 13: the unversioned call is _v3 wrapped by throwOnVersionMismatch, which turns
        # FunctionNotFound into NVMLLibraryMismatchError.
        self._call("nvmlDeviceGetComputeRunningProcesses")
        try:
            return self.nvmlDeviceGetComputeRunningProcesses_v3(handle)
        except pynvml.NVMLError_FunctionNotFound:
            raise pynvml.NVMLLibraryMismatchError(
                "Unversioned function called and the pyNVML version does not match the NVML lib version. "
                "Either use matching pyNVML and NVML lib versions or use a versioned function such as "
                "nvmlDeviceGetComputeRunningProcesses_v2"
            ) from None


#: The functions embedtop calls: the test compares each with the real module's signature.
API = (
    "nvmlInit",
    "nvmlShutdown",
    "nvmlSystemGetDriverVersion",
    "nvmlSystemGetCudaDriverVersion",
    "nvmlDeviceGetCount",
    "nvmlDeviceGetHandleByIndex",
    "nvmlDeviceGetName",
    "nvmlDeviceGetUUID",
    "nvmlDeviceGetMemoryInfo",
    "nvmlDeviceGetUtilizationRates",
    "nvmlDeviceGetTemperature",
    "nvmlDeviceGetPowerUsage",
    "nvmlDeviceGetEnforcedPowerLimit",
    "nvmlDeviceGetComputeRunningProcesses",
    "nvmlDeviceGetComputeRunningProcesses_v2",
    "nvmlDeviceGetComputeRunningProcesses_v3",
)
