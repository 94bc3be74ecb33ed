"""Every dashboard query evaluated by a real Prometheus that scrapes `qobserve demo`.

Prometheus loads the committed ``alerts/*.rules.yml`` and scrapes the demo every
second while its jobs run, so counters rise between scrapes and rates are real.
A query must never error; if every metric it selects is one the demo emits (or a
recording rule computed only from such metrics) it must also return data.
"""

from __future__ import annotations

import math
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from qobserve.conventions import SLO_SPEC
from qobserve.dashboards import dashboard_queries
from qobserve.dashboards.queries import metric_names
from qobserve.slo.spec import load_spec
from qobserve.testing import Service, start_prometheus
from qobserve.testing.services import free_port, spawn_python

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RULE_FILES = sorted((ROOT / "alerts").glob("*.rules.yml"))
QUERIES = dashboard_queries(load_spec(ROOT / SLO_SPEC))
#: Shared budget (s) for all queries together to wait for recording rules to catch up.
DATA_BUDGET = 30.0
#: Seconds the demo may take to run its jobs on a busy 2-core machine (~15 s idle).
DEMO_TIMEOUT = 240.0


@dataclass
class Stack:
    prom: Service
    emitted: set[str]
    data_deadline: float


def _rule_groups() -> list[dict]:
    return [
        g for path in RULE_FILES for g in (yaml.safe_load(path.read_text()) or {}).get("groups", [])
    ]


def _rule_sources() -> dict[str, list[set[str]]]:
    """Recording-rule name → the metric sets of each of its definitions."""
    sources: dict[str, list[set[str]]] = {}
    for rule in (r for g in _rule_groups() for r in g.get("rules", []) if "record" in r):
        sources.setdefault(rule["record"], []).append(metric_names(rule["expr"]))
    return sources


def _with_recorded(scraped: set[str]) -> set[str]:
    """Scraped names plus every recording rule one of whose definitions uses only emitted names."""
    emitted, rules = set(scraped), _rule_sources()
    while new := {
        name
        for name, defs in rules.items()
        if name not in emitted and any(d <= emitted for d in defs)
    }:
        emitted |= new
    return emitted


def _wait_for_line(service: Service, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in service.log_tail(10**6):
        assert service.process.poll() is None, f"demo exited early:\n{service.log_tail()}"
        assert time.monotonic() < deadline, (
            f"no {text!r} after {timeout:.0f} s:\n{service.log_tail()}"
        )
        time.sleep(0.2)


def _scraped_names(url: str) -> set[str]:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
        body = response.read().decode()
    return {s.name for family in text_string_to_metric_families(body) for s in family.samples}


def _query(prom: Service, expr: str) -> list[dict]:
    try:
        answer = prom.get("/api/v1/query", query=expr)
    except urllib.error.HTTPError as exc:  # Prometheus answers bad PromQL with 400 and a reason
        pytest.fail(f"{exc}: {exc.read().decode(errors='replace')} for {expr}")
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory, request) -> Stack:
    """Prometheus (1 s scrape and rule evaluation) scraping the demo from its first job."""
    work = tmp_path_factory.mktemp("dashboards-prom")
    port = free_port()
    # Module-scoped, so the plugin's start function rather than its function-scoped fixture.
    prom = start_prometheus(
        rule_files=RULE_FILES,
        scrape_targets={"qobserve-demo": f"127.0.0.1:{port}"},
        scrape_interval="1s",
        evaluation_interval="1s",
    )
    request.addfinalizer(prom.stop)
    demo = spawn_python(
        "demo",
        ["demo", "--port", str(port), "--jobs", "8", "--serve-seconds", "300"],
        port,
        work / "demo",
        env={"PYTHONUNBUFFERED": "1"},
    )
    request.addfinalizer(demo.stop)
    _wait_for_line(demo, "serving /metrics for", DEMO_TIMEOUT)
    scraped, run_end = _scraped_names(demo.url), time.time()
    # A scrape after the run: the final counter values are in every rate window.
    deadline = time.monotonic() + 30
    while not _query(prom, f'timestamp(up{{job="qobserve-demo"}} == 1) > {run_end:.3f}'):
        assert time.monotonic() < deadline, f"Prometheus never scraped the demo:\n{prom.log_tail()}"
        time.sleep(0.5)
    return Stack(prom, _with_recorded(scraped | {"up"}), time.monotonic() + DATA_BUDGET)


def test_demo_emits_dashboard_metrics(stack):
    """The demo feeds most of what the dashboards show, so the data check below has teeth."""
    used = {n for _, _, expr in QUERIES for n in metric_names(expr)}
    assert len(used & stack.emitted) >= len(used) // 2, sorted(used - stack.emitted)


def test_generated_rules_load_and_evaluate(stack):
    """Prometheus loaded every rule group from alerts/*.rules.yml and no rule fails to evaluate."""
    groups = stack.prom.get("/api/v1/rules")["data"]["groups"]
    assert {g["name"] for g in groups} == {g["name"] for g in _rule_groups()}
    broken = [
        (r["name"], r.get("lastError")) for g in groups for r in g["rules"] if r["health"] == "err"
    ]
    assert not broken


@pytest.mark.parametrize(
    ("dashboard", "title", "expr"),
    QUERIES,
    ids=[f"{d}:{t}:{i}" for i, (d, t, _) in enumerate(QUERIES)],
)
def test_dashboard_query_evaluates(stack, dashboard, title, expr):
    """The query succeeds and, when the demo emits all it selects, returns a number."""
    result = _query(stack.prom, expr)
    missing = metric_names(expr) - stack.emitted
    if missing:
        return  # the demo does not produce these metrics; not erroring is all we can ask
    # Recording rules may need a few evaluations: poll within a budget shared by all queries.
    while not result and time.monotonic() < stack.data_deadline:
        time.sleep(0.5)
        result = _query(stack.prom, expr)
    assert result, f"{dashboard}/{title}: no data for {expr}"
    values = [float(r["value"][1]) for r in result]
    assert any(math.isfinite(v) for v in values), f"{dashboard}/{title}: only {values} for {expr}"
