"""Real, idle stand-in processes with vLLM's command lines, so the demo's process panel and checks run
the same psutil code as on a real host: `vllm serve <model> …` (the API server), `VLLM::EngineCore`
and `VLLM::Worker` (the titles vLLM 0.32 sets; tests/captures/vllm-0.32-cpu/README.md).

Each is a Python interpreter started with a chosen argv[0] that sleeps and exits by itself as soon
as the demo process is gone; `stop()` kills them by PID.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

WATCH = (
    "import os, time\n"
    "p = int(os.environ['EMBEDTOP_DEMO_PARENT'])\n"
    "while True:\n"
    "    time.sleep(0.5)\n"
    "    try:\n"
    "        os.kill(p, 0)\n"
    "    except OSError:\n"
    "        break\n"
)


class DemoProcesses:
    """The three processes of a simulated `vllm serve`."""

    def __init__(self) -> None:
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def _spawn(self, role: str, argv: list[str]) -> None:
        env = dict(os.environ, EMBEDTOP_DEMO_PARENT=str(os.getpid()))
        self.procs[role] = subprocess.Popen(
            argv,
            executable=sys.executable,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self, model: str, served: str, port: int) -> None:
        if "api-server" not in self.procs or self.procs["api-server"].poll() is not None:
            argv = ["vllm", "-c", WATCH, "serve", model, "--runner", "pooling"]
            self._spawn("api-server", [*argv, "--served-model-name", served, "--port", str(port)])
        self.start_engine()

    def start_engine(self) -> None:
        for role, title in (("engine-core", "VLLM::EngineCore"), ("worker", "VLLM::Worker")):
            if role not in self.procs or self.procs[role].poll() is not None:
                self._spawn(role, [title, "-c", WATCH])

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
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)

    def stop(self) -> None:
        for role in list(self.procs):
            self._kill(role)
