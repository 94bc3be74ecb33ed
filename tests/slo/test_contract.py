"""The generated rules honour the public contract: alert names, labels, links, SLO rule names."""

from __future__ import annotations

from pathlib import Path

import yaml

from qobserve import semconv
from qobserve.slo.spec import load_spec

ALERTS_DIR = Path(__file__).parents[2] / "alerts"


def _rules() -> list[dict]:
    return [
        rule
        for path in sorted(ALERTS_DIR.glob("*.rules.yml"))
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]


def test_every_contract_alert_is_generated_with_labels_and_links() -> None:
    """Each contract alert exists; every alert has page/ticket severity and all four annotations."""
    links = load_spec(ALERTS_DIR / "slo.yaml").links
    alerts = [r for r in _rules() if "alert" in r]
    assert {r["alert"] for r in alerts} == set(semconv.ALERTS)
    for rule in alerts:
        assert rule["labels"][semconv.SEVERITY_LABEL] in {"page", "ticket"}, rule["alert"]
        notes = rule["annotations"]
        assert {"summary", "description", "runbook_url", "dashboard_url"} <= set(notes)
        assert notes["runbook_url"] == links.runbook(rule["alert"])
        assert notes["dashboard_url"].startswith(f"{links.grafana_base_url}/d/qobserve-")


def test_slo_recording_rules_match_semconv() -> None:
    """Every name in semconv.SLO_RECORDING_RULES is recorded for each SLO with slo/service labels."""
    spec = load_spec(ALERTS_DIR / "slo.yaml")
    recorded = {
        (r["record"], r["labels"][semconv.SLO_LABEL])
        for r in _rules()
        if "record" in r and r.get("labels", {}).get(semconv.SLO_SERVICE_LABEL) == spec.service
    }
    for slo in spec.slos:
        missing = {n for n in semconv.SLO_RECORDING_RULES if (n, slo.name) not in recorded}
        assert not missing, f"{slo.name}: {sorted(missing)}"


def test_burn_alerts_carry_burn_tier() -> None:
    """SLO burn alerts carry burn_tier page or ticket so Alertmanager can inhibit slower tiers."""
    burn = [
        r
        for r in _rules()
        if r.get("alert", "").endswith("BudgetBurn") and semconv.SLO_LABEL in r["labels"]
    ]
    assert {r["labels"][semconv.BURN_TIER_LABEL] for r in burn} == {"page", "ticket"}
