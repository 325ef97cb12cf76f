"""examples/docker-compose.yml is consistent: the names, URLs and flags that must agree do agree, and the
embedtop commands in it are valid for this CLI; its Prometheus, Alertmanager and Grafana find their files and
each other; the rules and the Grafana board query only series that embedtop export serves or the rules record.
(The real Prometheus + Alertmanager run in tests/test_prometheus.py.)"""

from __future__ import annotations

import json
import re
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


# ---------------------------------------------------------------- Prometheus, Alertmanager, Grafana

PROM = ROOT / "examples" / "prometheus"
GRAFANA = ROOT / "examples" / "grafana"
BOARD = GRAFANA / "embedtop.json"


def host_path(service: dict, container_path: str) -> Path:
    """The file of examples/ that a service sees at `container_path` through its bind mounts."""
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if not source.startswith("."):
            continue  # a named volume
        if container_path == target or container_path.startswith(target.rstrip("/") + "/"):
            path = COMPOSE.parent / source / container_path[len(target) :].lstrip("/")
            assert path.exists(), f"{container_path} is mounted from {path}, which does not exist"
            return path
    raise AssertionError(f"nothing of examples/ is mounted at {container_path}: {service.get('volumes')}")


def flag(service: dict, name: str) -> str:
    (value,) = [a.split("=", 1)[1] for a in service["command"] if a.startswith(f"--{name}=")]
    return value


def test_monitoring_services_are_wired() -> None:
    """Prometheus scrapes embedtop where it listens and loads the rules; Alertmanager gets the alerts; Grafana
    has Prometheus as its datasource and the board in the folder its provider reads."""
    services = load()["services"]
    assert {"prometheus", "alertmanager", "grafana"} <= set(services)
    prom = services["prometheus"]
    prom_cfg_path = host_path(prom, flag(prom, "config.file"))
    assert prom_cfg_path == PROM / "prometheus.yml"
    prom_cfg = yaml.safe_load(prom_cfg_path.read_text())
    for rules in prom_cfg["rule_files"]:
        assert (prom_cfg_path.parent / rules).is_file()
    (job,) = prom_cfg["scrape_configs"]
    listen = build_parser().parse_args(shlex.split(services["embedtop"]["command"])[1:]).listen
    assert job["job_name"] == "embedtop"  # rules.yml's EmbedtopExporterDown watches up{job="embedtop"}
    assert job["static_configs"][0]["targets"] == [f"embedtop:{listen.rpartition(':')[2]}"]
    (am,) = prom_cfg["alerting"]["alertmanagers"]
    assert am["static_configs"] == [{"targets": ["alertmanager:9093"]}]  # Alertmanager's default port
    alertmanager = services["alertmanager"]
    assert not any(a.startswith("--web.listen-address") for a in alertmanager["command"])
    am_cfg = yaml.safe_load(host_path(alertmanager, flag(alertmanager, "config.file")).read_text())
    assert am_cfg["route"]["receiver"] in {r["name"] for r in am_cfg["receivers"]}
    assert not any(a.startswith("--web.listen-address") for a in prom["command"])  # :9090, as Grafana says

    grafana = services["grafana"]
    provisioning = host_path(grafana, "/etc/grafana/provisioning")
    (ds,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())["datasources"]
    assert (ds["type"], ds["url"]) == ("prometheus", "http://prometheus:9090")
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "embedtop.yml").read_text())["providers"]
    board_in_container = provider["options"]["path"].rstrip("/") + "/embedtop.json"
    assert host_path(grafana, board_in_container) == BOARD
    assert grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"] == board_in_container
    host_ports = [p.split(":")[0] for s in services.values() for p in s.get("ports", [])]
    assert len(host_ports) == len(set(host_ports)), f"two services on one host port: {host_ports}"


def exported_names() -> set[str]:
    """Every series name `embedtop export` serves (histogram parts included)."""
    from tui.config import Config
    from tui.exporter import Exporter

    exporter = Exporter([Config()])
    exporter.latency.labels("x").observe(0.1)
    exporter.waiting.labels("x").set(0)
    exporter.running.labels("x").set(0)
    return {s.name for family in exporter.registry.collect() for s in family.samples} | {
        family.name for family in exporter.registry.collect()
    }


def promql_names(expr: str) -> set[str]:
    return set(re.findall(r"\bembedtop[_:][a-z0-9_:]+", expr))


def test_rules_and_board_use_only_series_that_exist() -> None:
    rules = yaml.safe_load((PROM / "rules.yml").read_text())
    recorded = {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}
    exported = exported_names()
    assert {"embedtop_vllm_requests_waiting", "embedtop_probe_latency_seconds_bucket"} <= exported
    for rule in (r for g in rules["groups"] for r in g["rules"]):
        assert promql_names(rule["expr"]) <= exported | recorded, rule
    board = json.loads(BOARD.read_text())
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    exprs += [v["definition"] for v in board["templating"]["list"] if v["type"] == "query"]
    for expr in exprs:
        assert promql_names(expr) or expr.startswith('ALERTS{alertname=~"Embedtop'), expr
        assert promql_names(expr) <= exported | recorded, expr


def test_the_board() -> None:
    """A `target` variable (and a host one) every query filters on; every panel on the datasource variable;
    the panels the README lists."""
    board = json.loads(BOARD.read_text())
    assert board["uid"] == "embedtop"
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    assert variables["target"]["definition"].startswith("label_values(embedtop_target_up")
    assert variables["target"]["multi"] and variables["target"]["includeAll"]
    panels = [p for p in board["panels"] if p["type"] != "row"]
    for panel in panels:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert 'instance=~"$instance"' in target["expr"], (panel["title"], target["expr"])
            if "gpu_memory_used" not in target["expr"]:  # the host's GPUs carry no target
                assert 'target=~"$target"' in target["expr"], (panel["title"], target["expr"])
    titles = {p["title"] for p in panels}
    readme = (ROOT / "README.md").read_text().split("## Many hosts", 1)[1].split("\n## ", 1)[0]
    for title in titles:
        assert f"**{title}**" in readme, f"README's Many hosts section does not list the panel {title!r}"
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
