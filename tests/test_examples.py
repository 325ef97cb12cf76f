"""examples/docker-compose.yml is consistent: the names, URLs and flags that must agree do agree, and the
embedtop commands in it are valid for this CLI."""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml

from tui.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "examples" / "docker-compose.yml"


def load() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_file_is_consistent() -> None:
    services = load()["services"]
    assert {"vllm", "open-webui", "embedtop", "vllm-health"} <= set(services)
    args = dict(a.lstrip("-").split("=", 1) for a in services["vllm"]["command"])
    assert args["runner"] == "pooling"  # an embedding model, not a generate one
    env = services["open-webui"]["environment"]
    assert env["RAG_EMBEDDING_MODEL"] == args["served-model-name"]  # clients send the served name
    assert env["RAG_OPENAI_API_BASE_URL"] == "http://vllm:8000/v1"  # exactly one /v1
    assert int(args["max-model-len"]) <= 40960  # within Qwen3-Embedding-4B's limit
    for name in ("embedtop", "vllm-health"):
        build = services[name]["build"]
        assert (COMPOSE.parent / build["context"] / build["dockerfile"]).is_file()


def test_embedtop_commands_in_it_parse() -> None:
    services = load()["services"]
    export = shlex.split(services["embedtop"]["command"])
    assert export[0] == "embedtop"
    ns = build_parser().parse_args(export[1:])
    assert ns.command == "export" and ns.url == "http://vllm:8000" and ns.listen == "0.0.0.0:9464"
    check = services["vllm-health"]["healthcheck"]["test"]
    assert check[:2] == ["CMD", "embedtop"]
    ns = build_parser().parse_args(check[2:])
    assert ns.command == "check" and ns.url == "http://vllm:8000" and ns.wait == 10


def test_targets_example_loads() -> None:
    from tui.config import load_targets

    a, b = load_targets({}, env={"EMBED_4B_KEY": "sk-x"}, config_path=ROOT / "examples" / "targets.toml")
    assert (a.name, a.url, a.expected_dims, a.api_key) == ("embed-4b", "http://127.0.0.1:8000", 2560, "sk-x")
    assert (b.name, b.docker, b.log, b.expected_dims, b.api_key) == ("embed-0.6b", "vllm-embed-small", None, 1024, None)
    assert a.interval == b.interval == 5.0
