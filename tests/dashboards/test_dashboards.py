"""Generated dashboards: fresh, schema-valid, parseable PromQL over names that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard

from qobserve import semconv as sc
from qobserve.conventions import SLO_SPEC
from qobserve.dashboards import BUILDERS, UIDS, dashboard_queries, render_all
from qobserve.promql import selected_metrics
from qobserve.slo.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((Path(__file__).parent / "data" / "grafana-dashboard.schema.json").read_text())
SPEC = load_spec(ROOT / SLO_SPEC)
QUERIES = dashboard_queries(SPEC)
#: Runbook links start here: the SLO spec's links.runbook_base_url, as in the alert rules.
RUNBOOKS = SPEC.links.runbook().removesuffix("README.md")
#: Series Prometheus itself produces for alerting and scraping.
BUILTINS = {"ALERTS", "ALERTS_FOR_STATE", "up"}


def _committed(name: str) -> dict:
    return json.loads((ROOT / "dashboards" / f"{name}.json").read_text())


def _panels(name: str) -> list[dict]:
    return [p for p in _committed(name)["panels"] if p["type"] != "row"]


def _recorded() -> set[str]:
    """Recording-rule names the committed generated rule files produce."""
    names = set()
    for path in (ROOT / "alerts").glob("*.rules.yml"):
        for group in (yaml.safe_load(path.read_text()) or {}).get("groups", []):
            names.update(r["record"] for r in group.get("rules", []) if "record" in r)
    return names


def _known_metrics() -> set[str]:
    known = set(sc.METRICS) | BUILTINS | _recorded()
    for m in sc.METRICS.values():
        if m.kind is sc.Instrument.HISTOGRAM:
            known |= {f"{m.prom_name}_{s}" for s in ("bucket", "sum", "count")}
    return known


@pytest.mark.parametrize("path", sorted(render_all(SPEC)))
def test_committed_dashboard_is_fresh(path):
    """dashboards/*.json equals what the generator renders now (run `qobserve generate`)."""
    assert (ROOT / path).read_text() == render_all(SPEC)[path]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_dashboard_validates_against_schema(name):
    """Each dashboard satisfies the Grafana schemaVersion-42 JSON Schema in tests/dashboards/data."""
    jsonschema.validate(_committed(name), SCHEMA)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_dashboard_round_trips_through_sdk_model(name):
    """Decoding with the SDK's Dashboard model and re-encoding loses nothing."""
    data = _committed(name)
    assert json.loads(json.dumps(Dashboard.from_json(data), cls=JSONEncoder)) == data


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_uid_variables_ids_and_layout(name):
    """Stable UID, the four standard variables, unique ids and no panel wider than the grid."""
    data = _committed(name)
    assert data["uid"] == UIDS[name]
    variables = {v["name"] for v in data["templating"]["list"]}
    assert {"datasource", "quantum_provider", "quantum_backend", "quantum_experiment"} <= variables
    ids = [p["id"] for p in data["panels"]]
    assert len(ids) == len(set(ids))
    assert all(p["gridPos"]["x"] + p["gridPos"]["w"] <= 24 for p in data["panels"])


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_panel_has_unit_and_description(name):
    """On-call engineers get a unit and an explanation on every panel."""
    for panel in _panels(name):
        assert panel["fieldConfig"]["defaults"].get("unit"), panel["title"]
        assert len(panel.get("description", "")) >= 20, panel["title"]


@pytest.mark.parametrize(
    ("dashboard", "title", "expr"),
    QUERIES,
    ids=[f"{d}:{t}:{i}" for i, (d, t, _) in enumerate(QUERIES)],
)
def test_query_parses_and_uses_known_metrics(dashboard, title, expr):
    """Every query is valid PromQL over semconv metrics, generated recording rules or built-ins."""
    names = selected_metrics(expr)
    assert names, f"{dashboard}/{title}: no metric selected in {expr}"
    unknown = names - _known_metrics()
    assert not unknown, f"{dashboard}/{title}: unknown metrics {unknown}"


def test_slo_dashboard_uses_only_generated_recording_rules():
    """SLO rule names on the dashboards are produced by alerts/*.rules.yml."""
    used = {n for _, _, e in QUERIES for n in selected_metrics(e) if n.startswith("slo:")}
    assert used and used <= _recorded()


def test_rates_use_rate_interval():
    """Range vectors in rate() are $__rate_interval unless a fixed window is meant."""
    raw = [t["expr"] for n in BUILDERS for p in _panels(n) for t in p["targets"]]
    windows = {w for e in raw for w in re.findall(r"rate\([^\[]*\[([^\]]+)\]\)", e)}
    assert windows == {"$__rate_interval"}


def test_runbook_links_point_at_existing_runbooks():
    """Every panel link to a runbook names a file in runbooks/."""
    links = [link["url"] for n in BUILDERS for p in _panels(n) for link in p.get("links", [])]
    assert links
    for url in links:
        assert url.startswith(RUNBOOKS)
        assert (ROOT / "runbooks" / url.rsplit("/", 1)[1]).is_file(), url


def test_macros_substituted_for_parsing():
    """dashboard_queries() leaves no Grafana macro or variable behind."""
    assert not [e for _, _, e in QUERIES if "$" in e]


def test_grafana_provisioning_loads_the_dashboards_folder():
    """The provisioning files are valid YAML: a Prometheus data source and a file provider."""
    base = ROOT / "deploy" / "grafana" / "provisioning"
    sources = yaml.safe_load((base / "datasources" / "qobserve.yaml").read_text())
    assert sources["apiVersion"] == 1
    assert [d["type"] for d in sources["datasources"]] == ["prometheus"]
    providers = yaml.safe_load((base / "dashboards" / "qobserve.yaml").read_text())["providers"]
    assert providers[0]["type"] == "file" and providers[0]["options"]["path"]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_dashboard_links_to_runbook_index(name):
    """Each dashboard's header links to the runbook index."""
    urls = [link.get("url", "") for link in _committed(name)["links"]]
    assert SPEC.links.runbook() in urls
