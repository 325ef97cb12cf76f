"""Real, idle stand-in processes with vLLM's command lines, so the demo's process panel and checks run
the same psutil code as on a real host: `vllm serve <model> …` (the API server), `VLLM::EngineCore`
and `VLLM::Worker` (the titles vLLM 0.32 sets; tests/captures/vllm-0.32-cpu/README.md).

Each is a shell (`sh -c 'read _'`, about 1 MB; a Python interpreter where there is no sh) started with a
chosen argv[0] that waits on a pipe from the demo process, never waking, and exits by itself as soon as
the demo process is gone (the pipe closes); `stop()` kills them by PID.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys

SH = shutil.which("sh")
WAIT = ["-c", "read _"] if SH else ["-S", "-c", "import sys\nsys.stdin.buffer.read()\n"]  # until the pipe closes


class DemoProcesses:
    """The three processes of a simulated `vllm serve`."""

    def __init__(self) -> None:
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def _spawn(self, role: str, argv: list[str]) -> None:
        self.procs[role] = subprocess.Popen(
            argv,
            executable=SH or sys.executable,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self, model: str, served: str, port: int) -> None:
        if "api-server" not in self.procs or self.procs["api-server"].poll() is not None:
            argv = ["vllm", *WAIT, "serve", model, "--runner", "pooling"]
            self._spawn("api-server", [*argv, "--served-model-name", served, "--port", str(port)])
        self.start_engine()

    def start_engine(self) -> None:
        for role, title in (("engine-core", "VLLM::EngineCore"), ("worker", "VLLM::Worker")):
            if role not in self.procs or self.procs[role].poll() is not None:
                self._spawn(role, [title, *WAIT])

    def pid(self, role: str) -> int | None:
        proc = self.procs.get(role)
        return proc.pid if proc is not None and proc.poll() is None else None

    def kill_engine(self) -> None:
        """What a worker SIGKILL does: the EngineCore and its worker are gone, the API server stays."""
        for role in ("worker", "engine-core"):
            self._kill(role)

    def _kill(self, role: str) -> None:
        proc = self.procs.pop(role, None)
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)

    def stop(self) -> None:
        for role in list(self.procs):
            self._kill(role)
