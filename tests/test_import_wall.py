"""The layers hold: import-linter's contracts, no Textual below the screens, the drawing in the README and the
package docstring the same as the contract, ruff clean, no module over 500 lines."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_core_layers_do_not_import_textual() -> None:
    code = (
        "import sys\n"
        "import tui.collectors.server, tui.collectors.probe, tui.collectors.logtail, tui.collectors.gpu\n"
        "import tui.state.store, tui.rules.checks, tui.demo.target, tui.runtime.poller, tui.config\n"
        "assert 'textual' not in sys.modules, sorted(m for m in sys.modules if m.startswith('textual'))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)


def test_import_linter_contracts() -> None:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    proc = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_ruff_clean() -> None:
    exe = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    proc = subprocess.run(
        [exe, "check", "tui", "tests", "bench", "screenshots"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _layers() -> list[list[str]]:
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in contracts if c["type"] == "layers"]
    return [[m.strip() for m in layer.replace(":", "|").split("|")] for layer in layers]


def test_the_layers_contract_covers_every_module_of_the_package() -> None:
    """A new top-level module or package must take its place in the drawing, or the contract says nothing
    about it."""
    named = {m for layer in _layers() for m in layer}
    present = {f"tui.{p.stem}" for p in (ROOT / "tui").glob("*.py") if p.stem not in ("__init__", "__main__")}
    present |= {f"tui.{p.name}" for p in (ROOT / "tui").iterdir() if (p / "__init__.py").exists()}
    assert present == named, (sorted(present - named), sorted(named - present))


def test_readme_and_package_docstring_draw_the_same_layers() -> None:
    import tui

    order = "; ".join(" | ".join(m.removeprefix("tui.") for m in layer) for layer in _layers())
    doc = " ".join(tui.__doc__.split())
    assert order in doc, (order, doc)
    readme = (ROOT / "README.md").read_text()
    built = readme[readme.index("## How it is built") : readme.index("## Performance")]
    for layer in _layers():
        for m in layer:
            path = m.replace(".", "/")
            assert f"{path}/" in built or f"{path}.py" in built, f"{m} is not drawn in README 'How it is built'"


def test_no_module_under_tui_is_over_500_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / "tui").rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 500
    }
    assert not long, long
