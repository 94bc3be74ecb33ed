"""Golden files: the real dashboard generator on tests/golden/dashboards/in-*.yaml (SLO
specs) must equal ``out-<case>.<dashboard>.json``.

Regenerate after an intended change with
``QOBSERVE_UPDATE_GOLDEN=1 pytest tests/dashboards`` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from qobserve.dashboards import BUILDERS, dashboard_queries, render_dashboard
from qobserve.dashboards.queries import metric_names
from qobserve.slo.rules import render_slo_rules
from qobserve.slo.spec import load_spec
from qobserve.testing.golden import assert_golden

GOLDEN = Path(__file__).parents[1] / "golden" / "dashboards"
CASES = sorted(GOLDEN.glob("in-*.yaml"))


def _out(spec_path: Path, name: str) -> Path:
    return spec_path.with_name(f"{spec_path.stem.replace('in-', 'out-', 1)}.{name}.json")


@pytest.mark.parametrize("name", sorted(BUILDERS))
@pytest.mark.parametrize("spec_path", CASES, ids=lambda p: p.stem)
def test_dashboard_golden(spec_path: Path, name: str) -> None:
    """Each dashboard rendered for each golden spec matches the committed output exactly."""
    assert_golden(render_dashboard(name, load_spec(spec_path)), _out(spec_path, name))


@pytest.mark.parametrize("spec_path", CASES, ids=lambda p: p.stem)
def test_golden_runbook_links_use_the_spec_base(spec_path: Path) -> None:
    """Every runbook link in a golden output starts with its spec's runbook base."""
    base = load_spec(spec_path).links.runbook_base_url
    for name in BUILDERS:
        data = json.loads(_out(spec_path, name).read_text())
        urls = [link["url"] for link in data["links"] if "url" in link]
        urls += [link["url"] for p in data["panels"] for link in p.get("links", [])]
        assert urls and all(u.startswith(base) for u in urls if "runbooks/" in u), name


@pytest.mark.parametrize("spec_path", CASES, ids=lambda p: p.stem)
def test_golden_slo_queries_select_rules_of_the_same_spec(spec_path: Path) -> None:
    """Every ``slo:*`` series a dashboard queries is recorded by the rules of the same spec."""
    spec = load_spec(spec_path)
    recorded = {
        r["record"]
        for g in yaml.safe_load(render_slo_rules(spec))["groups"]
        for r in g["rules"]
        if "record" in r
    }
    used = {
        name
        for _, _, expr in dashboard_queries(spec)
        for name in metric_names(expr)
        if name.startswith("slo:sli_error") or name.startswith("slo:period")
    }
    assert used and used <= recorded, used - recorded


def test_golden_cases_exist() -> None:
    """At least two golden specs are checked, so the parametrized tests cannot pass empty."""
    assert len(CASES) >= 2
