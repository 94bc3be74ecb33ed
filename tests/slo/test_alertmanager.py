"""A real Alertmanager with a config generated from alerts/routing.yaml: grouping, inhibition,
silences through its API, webhook delivery with bearer auth, and the heartbeat and bridge
alerts routed around the bridge."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qobserve.cli import app
from qobserve.slo.routing import Maintenance, Timings, Webhook, load_routing, render_alertmanager

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]
TOKEN = "test-bridge-token"


class _Capture(BaseHTTPRequestHandler):
    received: list[tuple[str, str, dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append((self.path, self.headers.get("Authorization", ""), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook():
    _Capture.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Capture.received
    server.shutdown()
    server.server_close()


@pytest.fixture
def alertmanager(tmp_path: Path, webhook, alertmanager) -> str:
    """Alertmanager's URL (the plugin's factory, overridden here) with the shipped routing
    spec, short timings, local hooks."""
    base, _ = webhook
    token = tmp_path / "token"
    token.write_text(TOKEN)
    spec = load_routing(ROOT / "alerts" / "routing.yaml")
    spec = spec.model_copy(
        update={
            "timings": Timings(group_wait="1s", group_interval="1s", repeat_interval="1h"),
            "severities": {
                k: v.model_copy(update={"group_wait": None, "group_interval": None})
                for k, v in spec.severities.items()
            },
            "receivers": {
                "alert-bridge": Webhook(url=f"{base}/alerts", credentials_file=str(token)),
                "pager": Webhook(url=f"{base}/pager"),
                "deadmans-switch": Webhook(url=f"{base}/heartbeat", send_resolved=False),
            },
            "meta_monitoring": spec.meta_monitoring.model_copy(
                update={
                    "heartbeat": spec.meta_monitoring.heartbeat.model_copy(
                        update={"group_wait": "1s", "group_interval": "1s"}
                    )
                }
            ),
            # A maintenance window covering every minute, so its muting is observable now.
            "maintenance": [
                Maintenance(
                    name="always",
                    backends=["ibm_brisbane"],
                    time_intervals=[{"times": [{"start_time": "00:00", "end_time": "24:00"}]}],
                )
            ],
        }
    )
    config = tmp_path / "alertmanager.yml"
    config.write_text(render_alertmanager(spec))
    return alertmanager(config).url


def _api(url: str, path: str, body: object | None = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{url}/api/v2/{path}", data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def _alert(name: str, **labels: str) -> dict:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": name, **labels},
        "annotations": {"summary": name},
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
    }


BURN = {
    "slo": "job-success",
    "service": "qobserve",
    "quantum_provider": "qiskit",
    "quantum_backend": "fake_manila",
}
ALERTS = {
    "page-burn": _alert("QuantumJobSuccessBudgetBurn", **BURN, severity="page", burn_tier="page"),
    "ticket-burn": _alert(
        "QuantumJobSuccessBudgetBurn", **BURN, severity="ticket", burn_tier="ticket"
    ),
    "sv1-down": _alert(
        "QuantumBackendDown", quantum_provider="braket", quantum_backend="SV1", severity="page"
    ),
    "sv1-retries": _alert(
        "QuantumRetryRateHigh", quantum_provider="braket", quantum_backend="SV1", severity="ticket"
    ),
    "aria-probe": _alert(
        "QuantumProbeFailing", probe="rb", quantum_backend="Aria-1", severity="ticket"
    ),
    "brisbane-down": _alert(
        "QuantumBackendDown",
        quantum_provider="qiskit",
        quantum_backend="ibm_brisbane",
        severity="page",
    ),
    "absent-up": _alert(
        "QuantumTelemetryAbsent", absent_metric="quantum_backend_up", severity="page"
    ),
    "absent-probe": _alert(
        "QuantumTelemetryAbsent", absent_metric="qobserve_probe_success", severity="page"
    ),
    "heartbeat": _alert("QuantumAlertingHeartbeat", severity="ticket"),
    "bridge-down": _alert(
        "QuantumAlertBridgeDeliveryFailing",
        bridge_condition="down",
        job="qobserve-alert-bridge",
        severity="page",
    ),
}


def _key(labels: dict) -> str:
    return next(k for k, a in ALERTS.items() if a["labels"] == labels)


def test_grouping_inhibition_silence_and_delivery(alertmanager: str, webhook) -> None:
    """Page burn inhibits the ticket burn, BackendDown inhibits its backend's job alerts,
    same-name alerts group by backend, a silence and a maintenance window mute a backend,
    and hooks get bearer auth."""
    # The silence goes in first: posted after the alerts, it could lose a race with
    # group_wait on a loaded machine and the muted alert would already be out.
    result = CliRunner().invoke(
        app,
        [
            "silence",
            "--alertmanager",
            alertmanager,
            "--backend",
            "Aria-1",
            "--duration",
            "2h",
            "--comment",
            "IonQ maintenance",
            "--author",
            "pytest",
        ],
    )
    assert result.exit_code == 0, result.output
    silence_id = result.output.split()[1].rstrip(":")
    # Alertmanager's inhibitor learns of alerts asynchronously: a target posted with its
    # source can flush (group_wait is 1 s here, 30 s+ in production) before the source is
    # known. The sources go first, as Prometheus's page tier fires before or with the ticket.
    sources = {"page-burn", "sv1-down"}
    _api(alertmanager, "alerts", [ALERTS[k] for k in sources])
    deadline = time.monotonic() + 10
    while len(_api(alertmanager, "alerts")) < len(sources) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    _api(alertmanager, "alerts", [a for k, a in ALERTS.items() if k not in sources])

    status = {_key(a["labels"]): a["status"] for a in _api(alertmanager, "alerts")}
    inhibited = {k for k, s in status.items() if s["inhibitedBy"]}
    assert inhibited == {"ticket-burn", "sv1-retries"}
    assert status["aria-probe"]["silencedBy"] == [silence_id]
    assert status["aria-probe"]["state"] == "suppressed"

    groups = _api(alertmanager, "alerts/groups")
    absent = [g for g in groups if g["labels"].get("alertname") == "QuantumTelemetryAbsent"]
    # group_by [alertname, quantum_backend]: both absence alerts share one group per receiver.
    assert {g["receiver"]["name"] for g in absent} == {"pager", "alert-bridge"}
    assert all(len(g["alerts"]) == 2 for g in absent)

    _, received = webhook
    deadline = time.monotonic() + 15
    paths = {"/alerts", "/pager", "/heartbeat"}
    while time.monotonic() < deadline and {p for p, _, _ in received} != paths:
        time.sleep(0.2)
    time.sleep(2)  # two group_waits more, so a muted group would have been sent by now
    notified = {_key(a["labels"]) for _, _, body in received for a in body["alerts"]}
    assert {"page-burn", "sv1-down"} <= notified
    assert not notified & {"ticket-burn", "sv1-retries", "aria-probe", "brisbane-down"}
    bridge = [(auth, body) for path, auth, body in received if path == "/alerts"]
    assert bridge and all(auth == f"Bearer {TOKEN}" for auth, _ in bridge)
    assert all(body["version"] == "4" for _, body in bridge)
    pager = {_key(a["labels"]) for p, _, b in received if p == "/pager" for a in b["alerts"]}
    assert pager and all(ALERTS[k]["labels"]["severity"] == "page" for k in pager)
    # The alert path's own alerts: the heartbeat only to the switch, the bridge's page only
    # around the bridge.
    by_path = {
        p: {_key(a["labels"]) for q, _, b in received if q == p for a in b["alerts"]} for p in paths
    }
    assert by_path["/heartbeat"] == {"heartbeat"}
    assert "bridge-down" in by_path["/pager"]
    assert not by_path["/alerts"] & {"heartbeat", "bridge-down"}
