"""Follow a vLLM log that another program streams: `docker logs -f` or `journalctl -f`.

`CommandTail.read()` is called in a worker thread each poll. It starts the command (after a
pre-flight that turns "docker is not installed", "no such container" or "unit not found" into one
clear line), reads whatever its non-blocking pipe holds, and when the command ends (the container
stopped or restarted) says so and starts it again a few seconds later, like `tail -F`.
The child runs in its own session and is killed, by PID, in `close()`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from typing import Any

from tui.logs.split import LineSplitter
from tui.samples import LogBatch, LogLine

CHUNK = 256 * 1024
RESTART_AFTER_S = 5.0
START_LINES = 2000  # backlog asked of docker / journald at start (the file tail reads 64 KB)
PREFLIGHT_TIMEOUT_S = 10.0


class SourceError(Exception):
    """The source cannot be followed now; the message is one line with the fix."""


class CommandTail:
    """Runs `argv()` and follows its merged stdout+stderr. `preflight()` may raise SourceError."""

    def __init__(self, source: str, argv: Callable[[], list[str]], preflight: Callable[[], None]) -> None:
        self._source = source
        self._argv = argv
        self._preflight = preflight
        self._proc: subprocess.Popen[bytes] | None = None
        self._split = LineSplitter()
        self._retry_at = 0.0
        self._first = True
        self._error: str | None = None

    @property
    def source(self) -> str:
        return self._source

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def read(self) -> LogBatch:
        now = time.time()
        if self._proc is None:
            if now < self._retry_at:
                return LogBatch(now, self.source, error=self._error) if self._error else LogBatch(now, self.source)
            try:
                self._start()
            except SourceError as exc:
                self._error = str(exc)
                self._retry_at = now + RESTART_AFTER_S
                return LogBatch(now, self.source, error=self._error)
            self._error = None
        return self._drain(now)

    def _start(self) -> None:
        self._preflight()
        argv = self._argv()
        try:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise SourceError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
        assert self._proc.stdout is not None
        os.set_blocking(self._proc.stdout.fileno(), False)
        self._split.reset()

    def _drain(self, now: float) -> LogBatch:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        lines: list[LogLine] = []
        got = 0
        eof = False
        while got < CHUNK:
            try:
                data = os.read(proc.stdout.fileno(), CHUNK - got)
            except BlockingIOError:
                break
            except OSError:
                eof = True
                break
            if not data:
                eof = True
                break
            got += len(data)
            lines += self._split.feed(data)
        if not got:
            lines += self._split.idle()
        backlog, self._first = self._first, False
        if not eof:
            return LogBatch(now, self.source, tuple(lines), backlog=backlog)
        lines += self._split.flush()
        rc = self._stop()
        self._retry_at = now + RESTART_AFTER_S
        note = f"{self.source} ended (exit {rc}); following again in {RESTART_AFTER_S:.0f} s"
        return LogBatch(now, self.source, tuple(lines), note=note, backlog=backlog)

    def _stop(self) -> int | None:
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        return proc.returncode

    def close(self) -> None:
        self._stop()


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            argv, capture_output=True, text=True, errors="replace", timeout=PREFLIGHT_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise SourceError(f"`{' '.join(argv)}` did not answer within {PREFLIGHT_TIMEOUT_S:.0f} s") from None
    except OSError as exc:
        raise SourceError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None


def _first_line(text: str) -> str:
    return next((x.strip() for x in text.splitlines() if x.strip()), "")


def docker_tail(
    container: str, docker: str = "docker", flag: str = "--docker", file_flag: str = "--log"
) -> CommandTail:
    """`docker logs --follow` for the container's current run only (`--since` its start time). `flag` and
    `file_flag` name the options in messages (Open WebUI's log: --openwebui-docker, --openwebui-log)."""
    started: dict[str, str] = {}

    def preflight() -> None:
        if shutil.which(docker) is None:
            raise SourceError(f"{flag} {container}: `{docker}` is not installed or not on PATH; use {file_flag} FILE")
        out = _run([docker, "inspect", "--format", "{{.State.StartedAt}}", container])
        if out.returncode != 0:
            err = _first_line(out.stderr) or _first_line(out.stdout) or f"exit {out.returncode}"
            low = err.lower()
            if "no such" in low:
                raise SourceError(f"{flag} {container}: no such container (see `docker ps -a` for names)")
            if "permission denied" in low:
                raise SourceError(
                    f"{flag} {container}: no permission to use docker ({err}); add your user to the docker group"
                )
            if "cannot connect" in low or "is the docker daemon running" in low:
                raise SourceError(f"{flag} {container}: the docker daemon is not reachable ({err})")
            raise SourceError(f"{flag} {container}: docker inspect failed: {err}")
        started["at"] = out.stdout.strip()

    def argv() -> list[str]:
        cmd = [docker, "logs", "--follow", "--tail", str(START_LINES)]
        at = started.get("at", "")
        if at and not at.startswith("0001-"):
            cmd += ["--since", at]
        return [*cmd, container]

    return CommandTail(f"docker:{container}", argv, preflight)


def journal_tail(
    unit: str,
    journalctl: str = "journalctl",
    systemctl: str = "systemctl",
    flag: str = "--journal",
    file_flag: str = "--log",
    grep: str = "vllm",
) -> CommandTail:
    """`journalctl --follow --unit UNIT --output cat`: the message text only, as the program wrote it."""

    def preflight() -> None:
        if shutil.which(journalctl) is None:
            raise SourceError(f"{flag} {unit}: `{journalctl}` is not installed or not on PATH; use {file_flag} FILE")
        if shutil.which(systemctl) is not None:
            out = _run([systemctl, "show", "--property=LoadState", "--value", unit])
            if out.returncode == 0 and out.stdout.strip() == "not-found":
                raise SourceError(
                    f"{flag} {unit}: systemd has no unit {unit!r} (see `systemctl list-units --all | grep -i {grep}`)"
                )

    def argv() -> list[str]:
        return [journalctl, "--follow", "--unit", unit, "--output", "cat", "--lines", str(START_LINES), "--no-pager"]

    return CommandTail(f"journal:{unit}", argv, preflight)


def log_source(cfg: Any) -> Any:
    """The log follower the config names (--log FILE, --docker NAME, --journal UNIT), or None."""
    from tui.collectors.logtail import LogTail

    if cfg.log is not None:
        return LogTail(cfg.log)
    if cfg.docker:
        return docker_tail(cfg.docker)
    if cfg.journal:
        return journal_tail(cfg.journal)
    return None
