"""`--docker` and `--journal` sources: the command is really run and followed, and every way it can
fail is one clear line. docker and journalctl are stood in by small scripts on PATH that behave like
the real tools (same arguments, same exit codes and error texts); the real docker client is used
where it is installed."""

from __future__ import annotations

import os
import shutil
import stat
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tui.collectors.logcommand import docker_tail, journal_tail
from tui.samples import LogBatch

STARTUP = FIXTURES / "logs" / "startup.log"  # (no skip at import: a missing capture fails the tests that use it)


def script(directory: Path, name: str, body: str) -> Path:
    path = directory / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def read_until(tail, cond, timeout: float = 10.0) -> list[LogBatch]:
    batches = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = tail.read()
        batches.append(batch)
        if cond(batches):
            break
        time.sleep(0.05)
    return batches


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def fake_docker(tmp_path: Path) -> Path:
    args_file = tmp_path / "docker-args"
    return script(
        tmp_path,
        "docker",
        f"""
case "$1" in
  inspect)
    if [ "$4" = vllm ]; then echo 2026-11-24T18:54:30.5Z; exit 0; fi
    echo "Error: No such object: $4" >&2; exit 1 ;;
  logs)
    echo "$@" > {args_file}
    cat {STARTUP}
    echo "Traceback (most recent call last):" >&2
    exec sleep 30 ;;
esac
exit 2
""",
    )


def test_docker_logs_are_followed_with_since_and_the_child_is_stopped(fake_docker: Path) -> None:
    tail = docker_tail("vllm", docker=str(fake_docker))
    try:
        batches = read_until(tail, lambda bs: sum(len(b.lines) for b in bs) >= 150)
        lines = [x for b in batches for x in b.lines]
        assert any("Application startup complete" in x.text for x in lines)
        assert any(x.text == "Traceback (most recent call last):" for x in lines)  # stderr is merged
        assert batches[0].backlog and not batches[-1].backlog
        args = (fake_docker.parent / "docker-args").read_text().split()
        assert args[:4] == ["logs", "--follow", "--tail", "2000"]
        assert args[4:] == ["--since", "2026-11-24T18:54:30.5Z", "vllm"]
        pid = tail.pid
        assert pid is not None and alive(pid)
    finally:
        tail.close()
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)


def test_docker_unknown_container_is_one_clear_line(fake_docker: Path) -> None:
    batch = docker_tail("nope", docker=str(fake_docker)).read()
    assert batch.error == "--docker nope: no such container (see `docker ps -a` for names)"


def test_docker_not_installed(tmp_path: Path) -> None:
    batch = docker_tail("vllm", docker=str(tmp_path / "docker")).read()
    assert batch.error is not None and "not installed or not on PATH" in batch.error


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker client on this machine")
def test_real_docker_client_error_is_one_line() -> None:
    # With the real client: no daemon, or no such container — either way one line, no traceback.
    batch = docker_tail("embedtop-test-no-such-container-1f3a").read()
    assert batch.error is not None and batch.error.startswith("--docker embedtop-test-no-such-container-1f3a: ")
    assert "\n" not in batch.error


def test_docker_logs_ending_is_reported_and_retried(tmp_path: Path) -> None:
    docker = script(
        tmp_path,
        "docker",
        """
case "$1" in
  inspect) echo 2026-11-24T18:54:30Z ;;
  logs) echo "(APIServer pid=1) INFO 11-24 18:54:33 [x.py:1] one"; exit 1 ;;
esac
""",
    )
    tail = docker_tail("vllm", docker=str(docker))
    try:
        batches = read_until(tail, lambda bs: any(b.note for b in bs))
        assert any(x.msg == "one" for b in batches for x in b.lines)
        note = next(b.note for b in batches if b.note)
        assert note.startswith("docker:vllm ended (exit 1)") and "following again" in note
    finally:
        tail.close()


def test_journal_follows_the_unit(tmp_path: Path) -> None:
    args_file = tmp_path / "journal-args"
    journalctl = script(tmp_path, "journalctl", f'echo "$@" > {args_file}\ncat {STARTUP}\nexec sleep 30\n')
    systemctl = script(tmp_path, "systemctl", "echo loaded\n")
    tail = journal_tail("vllm.service", journalctl=str(journalctl), systemctl=str(systemctl))
    try:
        batches = read_until(tail, lambda bs: sum(len(b.lines) for b in bs) >= 150)
        assert any("Starting vLLM server on" in x.text for b in batches for x in b.lines)
        assert args_file.read_text().split() == [
            "--follow",
            "--unit",
            "vllm.service",
            "--output",
            "cat",
            "--lines",
            "2000",
            "--no-pager",
        ]
    finally:
        tail.close()


def test_journal_unknown_unit_and_missing_journalctl(tmp_path: Path) -> None:
    journalctl = script(tmp_path, "journalctl", "exit 0\n")
    systemctl = script(tmp_path, "systemctl", "echo not-found\n")
    batch = journal_tail("nope.service", journalctl=str(journalctl), systemctl=str(systemctl)).read()
    assert batch.error is not None and "systemd has no unit 'nope.service'" in batch.error
    batch = journal_tail("vllm", journalctl=str(tmp_path / "absent")).read()
    assert batch.error is not None and "not installed or not on PATH" in batch.error


async def test_app_follows_docker_logs(fake_docker: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.app import EmbedtopApp
    from tui.config import Config
    from tui.widgets.log_panel import LogPanel

    monkeypatch.setenv("PATH", f"{fake_docker.parent}{os.pathsep}{os.environ['PATH']}")
    cfg = Config(url="http://127.0.0.1:9", docker="vllm", interval=0.2, probe_interval=5, timeout=1)
    app = EmbedtopApp(cfg)
    async with app.run_test(size=(120, 36)) as pilot:
        panel = app.query_one(LogPanel)
        deadline = time.monotonic() + 10
        while (app.targets[0].store.log_state.ready_at is None or panel.row_count < 20) and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert app.targets[0].store.log_state.ready_at is not None
        assert str(panel.border_title).startswith("Log · docker:vllm")
        assert panel.row_count > 20
        pid = app.targets[0].tail.pid
    assert pid is not None
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)  # the app stopped `docker logs` when it quit
