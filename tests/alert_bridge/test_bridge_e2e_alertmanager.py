"""Real Alertmanager with the generated routing → the bridge → the local Slack server."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from qobserve.semconv import ALERTS
from qobserve.slo.routing import Webhook, load_routing, render_alertmanager
from tests.alert_bridge.local_slack import BEARER

ROOT = Path(__file__).resolve().parents[2]
BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(BINARY is None, reason="alertmanager binary not installed")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def alertmanager(tmp_path, bridge_factory):
    """Alertmanager running the generated config, its receivers pointed at a local bridge."""
    bridge = bridge_factory()
    token_file = tmp_path / "bridge.token"
    token_file.write_text(BEARER)
    spec = load_routing(ROOT / "alerts" / "routing.yaml")
    hooks = {name: Webhook(url=f"{bridge.url}/alerts" if name == "alert-bridge"
                           else f"http://127.0.0.1:{_free_port()}/pager",
                           credentials_file=str(token_file) if name == "alert-bridge" else None)
             for name in spec.receivers}
    fast = {name: sev.model_copy(update={"group_wait": "1s", "group_interval": "1s"})
            for name, sev in spec.severities.items()}
    spec = spec.model_copy(update={"receivers": hooks, "severities": fast, "timings":
                                   spec.timings.model_copy(update={"group_wait": "1s",
                                                                   "group_interval": "1s"})})
    config = tmp_path / "alertmanager.yml"
    config.write_text(render_alertmanager(spec))
    port = _free_port()
    proc = subprocess.Popen(
        [BINARY, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
         "--log.level=error"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/-/ready", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("alertmanager did not become ready")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _post_alert(url: str, alert: dict) -> None:
    req = urllib.request.Request(f"{url}/api/v2/alerts", data=json.dumps([alert]).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    urllib.request.urlopen(req, timeout=5).read()


def test_page_reaches_slack_and_resolves_in_thread(alertmanager, slack):
    """A firing page alert lands in the page channel; its resolution is threaded under it."""
    alert = {"labels": {"alertname": ALERTS[5], "severity": "page", "quantum_provider": "qiskit",
                        "quantum_backend": "fake_manila"},
             "annotations": {"summary": "fake_manila is down",
                             "runbook_url": f"https://example.test/runbooks/{ALERTS[5]}.md"},
             "startsAt": dt.datetime.now(dt.timezone.utc).isoformat()}
    _post_alert(alertmanager, alert)
    firing = slack.wait_for(1, timeout=30)[0]
    assert firing["channel"] == "#oncall"
    assert firing["text"] == f"[FIRING] {ALERTS[5]}: fake_manila is down"
    alert["endsAt"] = dt.datetime.now(dt.timezone.utc).isoformat()
    _post_alert(alertmanager, alert)
    resolved = slack.wait_for(2, timeout=30)[1]
    assert resolved["text"].startswith(f"[RESOLVED] {ALERTS[5]}")
    assert resolved["thread_ts"] == "1700000000.000001"
