"""How often `embedtop diagnose` is right on real vLLM logs from public GitHub issues.

The corpus is tests/captures/public/*/: each folder's index.toml lists its logs with the thread they
were copied from and the expected verdict, check, root line and a word the fix must contain — written
down before embedtop was run on them. Prints, over the corpus: failure-vs-healthy right, check right,
root line right and fix right (k/n each), the false alarms (healthy logs called failed), and with
`-v` every miss.

    python bench/diagnose_accuracy.py [-v] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tui.diagnose import diagnose  # noqa: E402

CORPUS = ROOT / "tests" / "captures" / "public"


@dataclass
class Case:
    path: Path
    url: str
    verdict: str
    check: str
    root: str
    fix: str
    family: str


@dataclass
class Outcome:
    case: Case
    verdict: str
    check: str | None
    root_line: str
    fix: str

    @property
    def verdict_ok(self) -> bool:
        return (self.verdict == "failed") == (self.case.verdict == "failed")

    @property
    def check_ok(self) -> bool:
        return self.case.verdict != "failed" or self.check == self.case.check

    @property
    def root_ok(self) -> bool:
        return self.case.verdict != "failed" or (bool(self.case.root) and self.case.root in self.root_line)

    @property
    def fix_ok(self) -> bool:
        return self.case.verdict != "failed" or self.case.fix.lower() in self.fix.lower()


def load_cases(corpus: Path = CORPUS) -> list[Case]:
    cases = []
    for index in sorted(corpus.glob("*/index.toml")):
        for entry in tomllib.loads(index.read_text(encoding="utf-8")).get("log", []):
            cases.append(
                Case(
                    index.parent / entry["file"],
                    entry.get("url", ""),
                    entry["verdict"],
                    entry.get("check", ""),
                    entry.get("root", ""),
                    entry.get("fix", ""),
                    index.parent.name,
                )
            )
    return cases


def judge(case: Case) -> Outcome:
    report = diagnose(case.path)
    root = report.root
    verdict = "failed" if not report.healthy else "healthy"
    if root is None:
        return Outcome(case, verdict, None, "", "")
    return Outcome(case, verdict, root.check, root.line, f"{root.fix} {root.pattern.cause}")


def score(outcomes: list[Outcome]) -> dict[str, tuple[int, int]]:
    failed = [o for o in outcomes if o.case.verdict == "failed"]
    healthy = [o for o in outcomes if o.case.verdict != "failed"]
    return {
        "failure vs healthy": (sum(o.verdict_ok for o in outcomes), len(outcomes)),
        "check": (sum(o.verdict_ok and o.check_ok for o in failed), len(failed)),
        "root line": (sum(o.verdict_ok and o.root_ok for o in failed), len(failed)),
        "fix": (sum(o.verdict_ok and o.fix_ok for o in failed), len(failed)),
        "healthy kept healthy": (sum(o.verdict_ok for o in healthy), len(healthy)),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="print every miss")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    cases = load_cases()
    t0 = time.perf_counter()
    outcomes = [judge(c) for c in cases]
    elapsed = time.perf_counter() - t0
    table = score(outcomes)
    false_alarms = [o for o in outcomes if o.case.verdict != "failed" and o.verdict == "failed"]
    if args.json:
        print(
            json.dumps({k: {"right": a, "of": b} for k, (a, b) in table.items()} | {"false_alarms": len(false_alarms)})
        )
        return 0
    n_failed = sum(c.verdict == "failed" for c in cases)
    print(
        f"corpus: {len(cases)} real logs ({n_failed} failed, {len(cases) - n_failed} healthy) "
        f"in {CORPUS.relative_to(ROOT)}"
    )
    for name, (right, total) in table.items():
        pct = 100.0 * right / total if total else 100.0
        print(f"  {name:<22} {right:>3}/{total:<3} {pct:5.1f} %")
    print(f"  false alarms           {len(false_alarms)}")
    print(f"  ({elapsed:.2f} s for the whole corpus)")
    if args.verbose:
        for o in outcomes:
            misses = [
                name
                for name, ok in (
                    ("verdict", o.verdict_ok),
                    ("check", o.check_ok),
                    ("root", o.root_ok),
                    ("fix", o.fix_ok),
                )
                if not ok
            ]
            if misses:
                print(f"\nMISS {'/'.join(misses)}: {o.case.family}/{o.case.path.name}  ({o.case.url})")
                print(f"  expected {o.case.verdict} {o.case.check} root={o.case.root[:90]!r} fix~{o.case.fix!r}")
                print(f"  got      {o.verdict} {o.check} root={o.root_line[:160]!r}")
                print(f"  fix      {o.fix[:200]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
