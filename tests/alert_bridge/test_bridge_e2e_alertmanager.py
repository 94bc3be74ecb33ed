"""Real Alertmanager with the generated routing → the bridge → the Slack stand-in."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from qobserve.semconv import ALERTS
from qobserve.slo.routing import Webhook, load_routing, render_alertmanager
from qobserve.testing.services import free_port
from tests.alert_bridge.helpers import BEARER

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def alertmanager_config(tmp_path: Path, bridge_url: str, name: str = "alertmanager.yml") -> Path:
    """The generated routing with 1 s group timings, its bridge receiver pointed at ``bridge_url``."""
    token_file = tmp_path / "bridge.token"
    token_file.write_text(BEARER)
    spec = load_routing(ROOT / "alerts" / "routing.yaml")
    hooks = {
        r: Webhook(
            url=f"{bridge_url}/alerts"
            if r == "alert-bridge"
            else f"http://127.0.0.1:{free_port()}/pager",
            credentials_file=str(token_file) if r == "alert-bridge" else None,
        )
        for r in spec.receivers
    }
    fast = {
        n: sev.model_copy(update={"group_wait": "1s", "group_interval": "1s"})
        for n, sev in spec.severities.items()
    }
    spec = spec.model_copy(
        update={
            "receivers": hooks,
            "severities": fast,
            "timings": spec.timings.model_copy(update={"group_wait": "1s", "group_interval": "1s"}),
        }
    )
    config = tmp_path / name
    config.write_text(render_alertmanager(spec))
    return config


def page_alert(name: str = ALERTS[5], backend: str = "fake_manila") -> dict:
    """A firing page alert as Prometheus would post it to Alertmanager."""
    return {
        "labels": {
            "alertname": name,
            "severity": "page",
            "quantum_provider": "qiskit",
            "quantum_backend": backend,
        },
        "annotations": {
            "summary": f"{backend} is down",
            "runbook_url": f"https://example.test/runbooks/{name}.md",
        },
        "startsAt": dt.datetime.now(dt.UTC).isoformat(),
    }


@pytest.fixture
def alertmanager(tmp_path, bridge_factory, alertmanager):
    """Alertmanager running the generated config, its receivers pointed at a local bridge
    (the plugin's factory, overridden here)."""
    bridge = bridge_factory()
    return alertmanager(alertmanager_config(tmp_path, bridge.url))


def test_page_reaches_slack_and_resolves_in_thread(alertmanager, slack):
    """A firing page alert lands in the page channel; its resolution is threaded under it."""
    alert = page_alert()
    alertmanager.post("/api/v2/alerts", [alert])
    firing = slack.wait_for(1, timeout=30)[0]
    assert firing.channel_name == "#oncall"
    assert firing.text == f"[FIRING] {ALERTS[5]}: fake_manila is down"
    alert["endsAt"] = dt.datetime.now(dt.UTC).isoformat()
    alertmanager.post("/api/v2/alerts", [alert])
    resolved = slack.wait_for(2, timeout=30)[1]
    assert resolved.text.startswith(f"[RESOLVED] {ALERTS[5]}")
    assert resolved.thread_ts == firing.ts
