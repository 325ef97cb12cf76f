"""Beyond one host: a real Prometheus scrapes `embedtop export`, its alerts fire through a real Alertmanager,
and every query of the Grafana board returns data.

Debian's Prometheus 2.42 (+ promtool) and Alertmanager 0.25 (+ amtool), unpacked into ~/.cache/embedtop/prometheus
on first use by tools/prometheus/install.sh. The files under test are the shipped ones: examples/prometheus/
(prometheus.yml, rules.yml, rules_test.yml, alertmanager.yml) and examples/grafana/embedtop.json; the end-to-end
test only points their addresses at 127.0.0.1, shortens the intervals, and scales every alert's `for` to
seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.real_servers import ensure_prometheus
from tui.config import Config
from tui.demo.fake_nvml import FakeNvml
from tui.demo.target import H200, DemoTarget
from tui.exporter import serve

pytestmark = pytest.mark.real

ROOT = Path(__file__).resolve().parents[1]
PROM = ROOT / "examples" / "prometheus"
BOARD = ROOT / "examples" / "grafana" / "embedtop.json"
FOR_IN_TEST = "2s"  # every alert's `for` in the end-to-end test (the shipped rules say 1m to 10m)


@pytest.fixture(scope="module")
def bin_dir() -> Path:
    return ensure_prometheus()


def tool(bin_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bin_dir / args[0]), *args[1:]], cwd=PROM, capture_output=True, text=True, timeout=60)


def test_rules_and_configs_pass_promtool_and_amtool(bin_dir: Path) -> None:
    for args in (
        ("promtool", "check", "rules", "rules.yml"),
        ("promtool", "check", "config", "prometheus.yml"),  # also checks the rule files it names
        ("amtool", "check-config", "alertmanager.yml"),
    ):
        out = tool(bin_dir, *args)
        assert out.returncode == 0 and "SUCCESS" in out.stdout + out.stderr, (args, out.stdout, out.stderr)


def test_rules_unit_tests_pass(bin_dir: Path) -> None:
    out = tool(bin_dir, "promtool", "test", "rules", "rules_test.yml")
    assert out.returncode == 0 and "SUCCESS" in out.stdout, out.stdout + out.stderr


def test_every_alert_names_its_check_and_points_at_embedtop_check() -> None:
    rules = yaml.safe_load((PROM / "rules.yml").read_text())
    alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
    names = {r["alert"] for r in alerts}
    assert {
        "EmbedtopCheckFailing",
        "EmbedtopTargetDown",
        "EmbedtopExporterDown",
        "EmbedtopProbeSlow",
        "EmbedtopDimensionMismatch",
        "EmbedtopEngineDead",
        "EmbedtopIngestionStalled",
        "EmbedtopGpuMemoryFullWhileQueueing",
    } <= names
    from tui.rules.checks import SPECS

    ids = {s.id for s in SPECS}
    for rule in alerts:
        ann = rule["annotations"]
        assert {"check", "summary", "fix"} <= set(ann), rule["alert"]
        assert ann["check"] in ids | {"{{ $labels.id }}", "exporter"}, rule["alert"]
        assert "embedtop check" in ann["fix"], rule["alert"]
        assert rule["labels"]["severity"] in ("warning", "critical")
    tests = yaml.safe_load((PROM / "rules_test.yml").read_text())["tests"]
    tested = {t["alertname"] for case in tests for t in case.get("alert_rule_test", []) if t["exp_alerts"]}
    assert tested == names, f"alerts without a firing unit test: {names - tested}"


# ---------------------------------------------------------------- the end-to-end test


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Webhook:
    """Alertmanager's webhook receiver: records every notification it is sent."""

    def __init__(self) -> None:
        self.notifications: list[dict[str, Any]] = []
        lock = self.lock = threading.Lock()
        notifications = self.notifications

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with lock:
                    notifications.append({"t": time.monotonic(), **json.loads(body)})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        self.thread = threading.Thread(target=self.server.serve_forever, name="webhook", daemon=True)
        self.thread.start()

    def alerts(self) -> list[tuple[float, dict[str, Any]]]:
        """(arrival, alert) for every alert of every notification."""
        with self.lock:
            return [(n["t"], a) for n in self.notifications for a in n["alerts"]]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def stop_by_pid(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to its PID, SIGKILL after 10 s; reaped either way."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def log_tail(path: Path, n: int = 8) -> str:
    lines = path.read_text(errors="replace").splitlines() if path.exists() else []
    return " | ".join(lines[-n:])


async def wait_for(what: str, check: Callable[[], Awaitable[Any]], timeout: float, logs: list[Path]) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(httpx.HTTPError):
            result = await check()
            if result:
                return result
        if time.monotonic() > deadline:
            tails = "; ".join(f"{p.name}: {log_tail(p)}" for p in logs)
            pytest.fail(f"{what}: not within {timeout:.0f} s ({tails})", pytrace=False)
        await asyncio.sleep(0.25)


def shortened_rules() -> dict:
    rules = yaml.safe_load((PROM / "rules.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "for" in rule:
                rule["for"] = FOR_IN_TEST
    return rules


def prometheus_config(exporter: int, alertmanager: int, rules: Path) -> dict:
    """The shipped prometheus.yml, its addresses on 127.0.0.1 and its intervals at 1 s."""
    cfg = yaml.safe_load((PROM / "prometheus.yml").read_text())
    assert cfg["rule_files"] == ["rules.yml"]
    cfg["rule_files"] = [str(rules)]
    cfg["global"].update(scrape_interval="1s", evaluation_interval="1s")
    (am,) = cfg["alerting"]["alertmanagers"]
    am["static_configs"] = [{"targets": [f"127.0.0.1:{alertmanager}"]}]
    (job,) = cfg["scrape_configs"]
    assert job["job_name"] == "embedtop"
    job["static_configs"] = [{"targets": [f"127.0.0.1:{exporter}"]}]
    return cfg


def alertmanager_config(webhook: str) -> dict:
    """The shipped alertmanager.yml, its webhook the test's, its waits at 1 s."""
    cfg = yaml.safe_load((PROM / "alertmanager.yml").read_text())
    cfg["route"].update(group_wait="1s", group_interval="1s", repeat_interval="1h")
    (receiver,) = cfg["receivers"]
    (hook,) = receiver["webhook_configs"]
    assert hook["send_resolved"] is True
    hook["url"] = webhook
    return cfg


def board_queries(values: dict[str, str]) -> list[tuple[str, str]]:
    """(panel title, PromQL) of every query of every panel, Grafana's variables substituted as Grafana
    would for the values given (a multi-value variable becomes a regex alternation)."""
    board = json.loads(BOARD.read_text())
    out = []
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for name, value in values.items():
                expr = expr.replace(f"${name}", value)
            assert "$" not in expr, (panel["title"], expr)
            out.append((panel["title"], expr))
    return out


async def test_prometheus_alertmanager_and_the_board_against_two_demo_targets(bin_dir: Path, tmp_path: Path) -> None:
    nvml = FakeNvml("healthy", card=H200, count=2)  # one host, two GPUs: one per target
    demos = [
        DemoTarget("healthy", tmp_path / f"{name}.log", processes=True, nvml=nvml, gpu_index=i, stats_interval=1.0)
        for i, name in enumerate(("embed-a", "embed-b"))
    ]
    faulty = demos[1]  # demos[0] stays healthy throughout
    common = dict(model="Qwen3-Embedding-4B", interval=0.5, probe_interval=0.5, timeout=2.0)
    exp_port, prom_port, am_port = free_port(), free_port(), free_port()
    instance = f"127.0.0.1:{exp_port}"
    prom_url, am_url = f"http://127.0.0.1:{prom_port}", f"http://127.0.0.1:{am_port}"
    rules = tmp_path / "rules.yml"
    rules.write_text(yaml.safe_dump(shortened_rules(), sort_keys=False))
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(prometheus_config(exp_port, am_port, rules)))
    webhook = Webhook()
    (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump(alertmanager_config(webhook.url)))
    logs = [tmp_path / "prometheus.out", tmp_path / "alertmanager.out"]
    procs: list[subprocess.Popen[bytes]] = []
    exporter: asyncio.Task | None = None
    t_start = time.monotonic()
    figures: dict[str, Any] = {}
    try:
        for demo in demos:
            demo.start()
        cfgs = [
            Config(url=d.url, name=name, log=d.log_path, **common)
            for d, name in zip(demos, ("embed-a", "embed-b"), strict=True)
        ]
        exporter = asyncio.create_task(serve(cfgs, "127.0.0.1", exp_port, nvml=nvml))
        am_cmd = [
            str(bin_dir / "prometheus-alertmanager"),
            f"--config.file={tmp_path / 'alertmanager.yml'}",
            f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{am_port}",
            "--cluster.listen-address=",  # no HA gossip port
            f"--web.ui-path={bin_dir.parent / 'share' / 'alertmanager' / 'ui'}",
        ]
        prom_cmd = [
            str(bin_dir / "prometheus"),
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'prom-data'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
            "--rules.alert.resend-delay=1s",
        ]
        for cmd, log in zip((am_cmd, prom_cmd), reversed(logs), strict=True):
            with log.open("wb") as out:
                procs.append(subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))

        async with httpx.AsyncClient(trust_env=False, timeout=5) as http:

            async def query(expr: str) -> list[dict]:
                r = await http.get(f"{prom_url}/api/v1/query", params={"query": expr})
                body = r.json()
                assert body["status"] == "success", (expr, body)
                return body["data"]["result"]

            async def ready(url: str) -> bool:
                return (await http.get(f"{url}/-/ready")).status_code == 200

            await wait_for("Alertmanager ready", lambda: ready(am_url), 20, logs)
            await wait_for("Prometheus ready", lambda: ready(prom_url), 20, logs)

            async def both(expr: str) -> bool:
                return {s["metric"].get("target") for s in await query(expr)} == {"embed-a", "embed-b"}

            # Both targets up, probed (2560-dim vectors), every check decided, and the rules evaluated.
            await wait_for("both targets scraped up", lambda: both("embedtop_target_up == 1"), 30, logs)
            await wait_for("2560-dim probes", lambda: both("embedtop_probe_dimensions == 2560"), 30, logs)
            await wait_for("recording rules", lambda: both("embedtop:checks:failing == 0"), 30, logs)
            figures["healthy_s"] = time.monotonic() - t_start
            await asyncio.sleep(3)  # longer than FOR_IN_TEST: a healthy target must not have a pending alert
            alerts = (await http.get(f"{prom_url}/api/v1/alerts")).json()["data"]["alerts"]
            assert alerts == [], alerts

            def arrived(alertname: str, status: str) -> list[dict]:
                return [
                    a for _, a in webhook.alerts() if a["status"] == status and a["labels"]["alertname"] == alertname
                ]

            async def arrives(alertname: str, status: str, since: float) -> dict:
                async def check() -> list[dict]:
                    return arrived(alertname, status)

                (alert, *_) = await wait_for(f"{alertname} {status} at the webhook", check, 45, logs)
                figures[f"{alertname.removeprefix('Embedtop')} {status} after s"] = time.monotonic() - since
                assert {k: v for k, v in alert["labels"].items() if k != "id"} == {
                    "alertname": alertname,
                    "severity": "critical",
                    "job": "embedtop",
                    "instance": instance,
                    "target": "embed-b",
                }
                return alert

            # Fault 1: target embed-b serves the 0.6B weights under the 4B name (1024-dim vectors).
            faulty.set_scenario("wrong-dims")
            alert = await arrives("EmbedtopDimensionMismatch", "firing", time.monotonic())
            assert alert["labels"]["id"] == "probe.dimensions"
            ann = alert["annotations"]
            assert ann["check"] == "probe.dimensions" and "embedtop check" in ann["fix"]
            assert ann["summary"].startswith(f"embed-b ({instance}): embedding vectors have the wrong length")
            assert "{{" not in json.dumps(ann)  # every template rendered
            assert {n["receiver"] for n in webhook.notifications} == {"embedding-oncall"}

            # The board, while the alert fires: the variables' values, then every panel's query returns series.
            r = await http.get(f"{prom_url}/api/v1/label/target/values", params={"match[]": "embedtop_target_up"})
            assert r.json()["data"] == ["embed-a", "embed-b"]  # label_values(embedtop_target_up, target)
            r = await http.get(f"{prom_url}/api/v1/label/instance/values", params={"match[]": "embedtop_info"})
            assert r.json()["data"] == [instance]  # label_values(embedtop_info, instance)
            # As Grafana writes a value into a regex matcher: regex-escaped, the backslashes doubled for PromQL.
            values = {
                "instance": re.escape(instance).replace("\\", "\\\\"),
                "target": "(embed-a|embed-b)",
                "__rate_interval": "15s",
            }
            answered: dict[str, int] = {}
            for title, expr in board_queries(values):
                series = await query(expr)
                assert series, f"board panel {title!r}: no series for {expr}"
                answered[expr] = len(series)
            figures["board_queries"] = len(answered)
            gpu = await query(f'embedtop_vllm_gpu_memory_bytes{{role="worker", instance="{instance}"}} > 0')
            assert {s["metric"]["target"] for s in gpu} == {"embed-a", "embed-b"}  # each target's own worker
            p95 = await query("embedtop:probe_latency_seconds:p95_5m")
            assert {s["metric"]["target"] for s in p95} == {"embed-a", "embed-b"}

            # It clears: the alert resolves.
            faulty.set_scenario("healthy")
            await arrives("EmbedtopDimensionMismatch", "resolved", time.monotonic())

            # Fault 2: embed-b's engine dies (/health 503, EngineDeadError in its log); then it comes back.
            await wait_for("embed-b healthy again", lambda: both("embedtop:checks:failing == 0"), 30, logs)
            faulty.set_scenario("engine-dead")
            alert = await arrives("EmbedtopEngineDead", "firing", time.monotonic())
            assert alert["annotations"]["check"] == "vllm.engine" and "id" not in alert["labels"]

            async def inhibited() -> list[dict]:  # /health fails too: EmbedtopTargetDown, muted by the cause
                r = await http.get(f"{am_url}/api/v2/alerts", params={"filter": 'alertname="EmbedtopTargetDown"'})
                return [a for a in r.json() if a["labels"]["target"] == "embed-b" and a["status"]["inhibitedBy"]]

            await wait_for("EmbedtopTargetDown inhibited by EmbedtopEngineDead", inhibited, 20, logs)
            faulty.set_scenario("healthy")
            await arrives("EmbedtopEngineDead", "resolved", time.monotonic())

        received = webhook.alerts()
        assert not [a for _, a in received if a["labels"].get("target") == "embed-a"], "the healthy target alerted"
        assert all(a["labels"]["target"] == "embed-b" for _, a in received)
        names = sorted({a["labels"]["alertname"] for _, a in received})
        # A dead engine also fails /health and the probe: Alertmanager's inhibit rules page for the cause only,
        # unless the check verdicts arrive out of order (then EmbedtopTargetDown may come first).
        assert (
            {"EmbedtopDimensionMismatch", "EmbedtopEngineDead"}
            <= set(names)
            <= {
                "EmbedtopDimensionMismatch",
                "EmbedtopEngineDead",
                "EmbedtopTargetDown",
                "EmbedtopCheckFailing",
            }
        ), names
        figures["notified"] = names
    finally:
        for proc in reversed(procs):
            stop_by_pid(proc)
        if exporter is not None:
            exporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await exporter
        for demo in demos:
            demo.stop()
        webhook.stop()
    for proc in procs:
        assert proc.returncode is not None
        with pytest.raises(ProcessLookupError):
            os.kill(proc.pid, 0)  # gone and reaped
    figures["total_s"] = time.monotonic() - t_start
    print("prometheus e2e:", {k: round(v, 1) if isinstance(v, float) else v for k, v in figures.items()})
