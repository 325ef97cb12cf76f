"""The repository stands alone: nothing in it points outside it, the captures the tests read are inside it,
CI runs the README's own test command, and the wheel that `pipx install embedtop` would build installs into a
fresh venv and runs (`--version`, `diagnose --log` on a capture, `demo --serve-only` answering /v1/models,
`check --json` valid against the schema shipped in the wheel)."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import httpx
import jsonschema
import pytest

import tui
from tests.conftest import CAPTURES, ROOT

# What a path outside the repository looks like: the team folder beside a clone (in any spelling), the
# variable that used to point at it, its documents cited by name, the machine's own folders, or code that
# climbs above the root.
TEAM_DOCS = (
    "vllm-facts", "vllm-cpu-report", "nvml-fakes", "openwebui-report", "openwebui-real-vllm", "openwebui-user-pain",
    "architecture-review", "textual-style", "textual-perf", "user-asks",
)  # fmt: skip
OUTSIDE = re.compile(
    r"\.\./shared"
    r"|\bshared/(?:docs|fixtures|tools|seed|hooks)\b"
    r"|EMBEDTOP_SHARED"
    r"|/work/(?:main|shared)\b"
    r"|ROOT\.parent\b|parents\[1\]\.parent\b"
    r"|\.parent\s*/\s*[\"']shared[\"']|parents\[\d\]\s*/\s*[\"']shared[\"']"
    rf"|\b(?:{'|'.join(TEAM_DOCS)})\.md\b|\bvllm-facts\b|\bfacts §"
)

# Files allowed to name a place outside the repository while they are being rewritten: none now.
# `python -m tests.test_standalone` prints any such line.
PENDING_OTHER_WORK: set[str] = set()

# Capture folders still waiting for their README.md (which vLLM, which command): none now.
PENDING_README: set[str] = set()

SKIP_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", ".import_linter_cache", "build"}


def repo_files() -> list[str]:
    """The tracked files (a git checkout), or every file of a copy without .git (what .ci/run makes)."""
    if (ROOT / ".git").exists():
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60)
        return [x for x in out.stdout.decode().split("\0") if x and (ROOT / x).is_file()]
    files = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        files += [str((Path(dirpath) / f).relative_to(ROOT)) for f in filenames]
    return files


def outside_references(files: list[str]) -> list[str]:
    hits = []
    for rel in files:
        data = (ROOT / rel).read_bytes()
        if b"\0" in data:
            continue  # a picture
        for n, line in enumerate(data.decode(errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                hits.append(f"{rel}:{n}: {line.strip()[:160]}")
    return hits


def test_no_file_refers_to_a_path_outside_the_repository() -> None:
    this = str(Path(__file__).relative_to(ROOT))  # holds the patterns themselves
    hits = outside_references([x for x in repo_files() if x not in PENDING_OTHER_WORK and x != this])
    assert not hits, "paths outside the repository:\n" + "\n".join(hits)


def test_the_pattern_catches_what_it_must() -> None:
    dots = ".."
    for text in (
        f"{dots}/shared/tools/real-vllm",
        "see shared" + "/docs/x.md",
        "ROOT" + ".parent / 'x'",
        "vllm-" + "facts §2",
    ):
        assert OUTSIDE.search(text), text
    for text in ("shared settings (intervals, timeouts)", "tests/captures/vllm-0.32-cpu/logs/startup.log"):
        assert not OUTSIDE.search(text), text


def test_captures_are_in_the_repository_each_folder_with_its_readme() -> None:
    files = [ROOT / x for x in repo_files() if x.startswith("tests/captures/")]
    folders = {p.relative_to(CAPTURES).parts[0] for p in files if len(p.relative_to(CAPTURES).parts) > 1}
    assert {"vllm-0.32-cpu", "vllm-0.32-json", "openwebui", "openwebui-real-vllm"} <= folders
    for folder in folders:
        if folder == "public":  # logs from public threads: each subfolder's index.toml names every log's source
            subs = {p.parent for p in files if p.is_relative_to(CAPTURES / folder) and p.name != "index.toml"}
            assert all((sub / "index.toml").is_file() for sub in subs), "a public/ folder has no index.toml"
            continue
        if folder in PENDING_README:
            continue
        readme = CAPTURES / folder / "README.md"
        assert readme.is_file(), f"tests/captures/{folder} has no README.md saying where it came from"
    assert (CAPTURES / "README.md").is_file() and (CAPTURES / "vllm-log-patterns.json").is_file()
    total = sum(p.stat().st_size for p in files)
    assert total < 10 * 2**20, f"captures take {total / 2**20:.1f} MiB: keep them well under 10 MB"


def test_real_server_tests_carry_the_real_marker() -> None:
    """`pytest -m "not real"` must never start a real vLLM: every module that uses tests/real_servers is marked."""
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        source = path.read_text()
        if "real_servers" not in source and "from tests.test_real_vllm" not in source:
            continue
        tree = ast.parse(source)
        marks = [
            ast.unparse(node.value)
            for node in tree.body
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in node.targets)
        ]
        assert any("pytest.mark.real" in m for m in marks), f"{path.name} runs real servers without pytestmark real"


def test_ci_runs_the_readme_test_command_in_a_bare_copy() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = re.search(r'^TEST_COMMAND="(.+)"$', ci, re.M)
    assert command, ".ci/run names its TEST_COMMAND"
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)\n```", quick_start, re.S)
    assert len(blocks) == 2, "Quick start: exactly two commands, the demo and the tests"
    assert blocks[1].strip() == command.group(1).replace('\\"', '"')
    assert "ls-files" in ci and "mktemp -d" in ci


# ---------------------------------------------------------------- the wheel


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_version_is_declared_in_one_place() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", tui.__version__)
    assert project["license"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert "embedtop developers" in (ROOT / "LICENSE").read_text()
    assert project["urls"] and project["classifiers"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Build the wheel from the files a source distribution holds, install it into a fresh venv."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "tui", src / "tui", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    run = dict(cwd=tmp, env=env, capture_output=True, text=True, check=False)
    out = subprocess.run([*pip, "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(src)], timeout=300, **run)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    (wheel,) = (tmp / "dist").glob("embedtop-*.whl")
    venv = tmp / "venv"
    out = subprocess.run([sys.executable, "-m", "venv", str(venv)], timeout=120, **run)
    assert out.returncode == 0, out.stderr
    out = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], timeout=600, **run)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return wheel, venv, src


def test_wheel_holds_every_data_file_and_the_metadata(installed: tuple[Path, Path, Path]) -> None:
    wheel, _, src = installed
    assert wheel.name == f"embedtop-{tui.__version__}-py3-none-any.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    data = {str(p.relative_to(src)) for p in (src / "tui").rglob("*") if p.is_file() and p.suffix != ".py"}
    assert {"tui/logs/catalog.toml", "tui/check_schema.json", "tui/check_multi_schema.json"} <= data
    assert data <= names, f"left out of the wheel (package-data): {sorted(data - names)}"
    meta = zipfile.ZipFile(wheel).read(f"embedtop-{tui.__version__}.dist-info/METADATA").decode()
    assert f"Version: {tui.__version__}" in meta and "License-Expression: MIT" in meta
    assert "Project-URL: Homepage" in meta and "Classifier: Programming Language :: Python :: 3.11" in meta
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_installed_wheel_runs(installed: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _, venv, _ = installed
    exe = str(venv / "bin" / "embedtop")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["TMPDIR"] = str(tmp_path)  # the demo's log folder lands here
    run = dict(cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)

    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import tui; print(tui.__file__)"], **run)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout  # the wheel's copy, not the source tree

    out = subprocess.run([exe, "--version"], **run)
    assert out.returncode == 0 and out.stdout.strip() == f"embedtop {tui.__version__}", out.stdout + out.stderr

    log = CAPTURES / "vllm-0.32-cpu" / "failures" / "fail-port-in-use.log"
    out = subprocess.run([exe, "diagnose", "--log", str(log), "--json"], **run)  # the catalog ships in the wheel
    assert out.returncode == 1, out.stdout + out.stderr
    assert "startup.port_in_use" in out.stdout

    port = free_port()
    demo = subprocess.Popen(
        [exe, "demo", "--serve-only", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        models = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and demo.poll() is None:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2, trust_env=False)
                if r.status_code == 200:
                    models = r.json()
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        assert models is not None, demo.stdout.read().decode() if demo.poll() is not None else "no answer"
        assert models["object"] == "list" and models["data"][0]["id"] == "Qwen3-Embedding-4B"

        out = subprocess.run([exe, "check", "--url", f"http://127.0.0.1:{port}", "--json"], **run)
        schema = subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                "from importlib.resources import files; print(files('tui').joinpath('check_schema.json').read_text())",
            ],
            **run,
        )
        jsonschema.validate(json.loads(out.stdout), json.loads(schema.stdout))
        assert json.loads(schema.stdout) == json.loads((ROOT / "tui" / "check_schema.json").read_text())
    finally:
        os.kill(demo.pid, signal.SIGTERM)  # by its PID
        try:
            demo.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(demo.pid, signal.SIGKILL)
            demo.wait()
        demo.stdout.close()
    assert demo.returncode == 0


if __name__ == "__main__":
    for hit in outside_references(sorted(PENDING_OTHER_WORK & set(repo_files()))):
        print(hit)
