"""embedtop: a live terminal dashboard for a vLLM embedding server.

Data flows one way: collectors -> samples -> state -> rules -> widgets. The packages are layers, top to
bottom: cli; app | headless | exporter | diagnose | demo; screens; widgets; runtime; rules;
state | collectors; logs; config | samples | clock; settings (the import-linter contract in pyproject.toml).
Nothing is imported eagerly here so that `embedtop --help` stays fast.
"""

import sys

__version__ = "0.1.0"

# embedtop never runs httpx's command-line client, which `import httpx` loads whenever click happens to be
# installed (click, rich.syntax, pygments: 3.6 MB and 20 ms of every start): the import then finds it absent.
sys.modules.setdefault("httpx._main", None)
