"""Config precedence and one-line, exit-2 errors for bad input (run as a real subprocess)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tui.config import Config, ConfigError, load_config, normalize_url


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", **(env or {})},
    )


def test_precedence_cli_over_env_over_toml(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text('url = "http://toml:1"\nmodel = "from-toml"\ndims = 1024\ninterval = 7\n')
    env = {"EMBEDTOP_URL": "http://env:2", "EMBEDTOP_MODEL": "from-env"}
    cfg = load_config({"model": "from-cli"}, env=env, config_path=toml)
    assert cfg.url == "http://env:2" and cfg.model == "from-cli" and cfg.dims == 1024 and cfg.interval == 7.0


def test_api_key_from_named_env_and_never_in_repr() -> None:
    cfg = load_config({"api_key_env": "MY_KEY"}, env={"MY_KEY": "sk-secret-123"}, config_path=None)
    assert cfg.api_key == "sk-secret-123"
    assert "sk-secret" not in repr(cfg)


def test_url_forms() -> None:
    assert normalize_url("http://127.0.0.1:8000/v1/") == "http://127.0.0.1:8000"
    assert normalize_url(" https://gpu-host ") == "https://gpu-host"
    for bad in ("foo", "127.0.0.1:8000", "ftp://x", "http://:80", "http://x:99999"):
        with pytest.raises(ConfigError):
            normalize_url(bad)


def test_expected_dims_from_known_models() -> None:
    assert Config(model="Qwen/Qwen3-Embedding-8B").expected_dims == 4096
    assert Config(model="Qwen3-Embedding-0.6B").expected_dims == 1024
    assert Config(model="custom", dims=384).expected_dims == 384
    assert Config(model="custom").expected_dims is None


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--url", "not a url"], "is not an http(s) URL"),
        (["watch", "--url", "http://x:1", "--log", "/"], "is a directory"),
        (["demo", "--scenario", "nope"], "unknown scenario 'nope'"),
        (["watch", "--dims", "abc"], "must be a positive number"),
        (["--bogus"], "unrecognized arguments"),
        (["watch", "--log", "/tmp/x.log", "--docker", "vllm"], "not allowed with argument"),
        (["diagnose"], "--log"),
    ],
)
def test_bad_input_one_line_exit_2(args: list[str], needle: str) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in proc.stderr


def test_two_log_sources_from_env_and_flag() -> None:
    with pytest.raises(ConfigError, match="--log and --journal name two log sources"):
        load_config({"log": "/tmp/vllm.log"}, env={"EMBEDTOP_JOURNAL": "vllm.service"}, config_path=None)
    cfg = load_config({"docker": "vllm"}, env={}, config_path=None)
    assert cfg.docker == "vllm" and cfg.log_source == "docker:vllm"


def test_invalid_toml_and_unknown_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("url = [unclosed\n")
    proc = run_cli("--config", str(bad), "--url", "http://x:1")
    assert proc.returncode == 2 and "not valid TOML" in proc.stderr and proc.stderr.count("\n") == 1
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('colour = "red"\n')
    proc = run_cli("--config", str(unknown), "--url", "http://x:1")
    assert proc.returncode == 2 and "unknown key(s) colour" in proc.stderr


def test_unreadable_log(tmp_path: Path) -> None:
    log = tmp_path / "vllm.log"
    log.write_text("x")
    log.chmod(0)
    import os

    if os.access(log, os.R_OK):  # root reads anything
        pytest.skip("running as root: every file is readable")
    proc = run_cli("--url", "http://x:1", "--log", str(log))
    assert proc.returncode == 2 and "not readable" in proc.stderr


def test_version_and_help() -> None:
    assert run_cli("--version").stdout.strip().startswith("embedtop ")
    out = run_cli("--help").stdout
    assert "embedtop demo" in out and "embedtop watch --url" in out and "--serve-only" in out
    assert "--scenario" in run_cli("demo", "--help").stdout


def test_demo_serve_only_runs_standalone_and_stops_on_sigterm(tmp_path: Path) -> None:
    import signal
    import socket

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "vllm.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "demo", "--serve-only", "--port", str(port), "--log", str(log)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert f"http://127.0.0.1:{port}" in line
        r = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=5)
        assert r.json()["data"][0]["id"] == "Qwen3-Embedding-4B"
        assert "Starting vLLM server on" in log.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
