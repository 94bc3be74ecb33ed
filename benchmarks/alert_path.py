"""Page latency through the alert path with a ticket backlog ahead of it.

Run: ``python benchmarks/alert_path.py [--tickets 500] [--pages 30] [--quick]``

A real Alertmanager (the demo routing, group_wait 0 s for pages) posts to an
in-process alert bridge with production delivery settings (1 message/s per
channel), which posts to the local Slack stand-in. First ``--tickets`` ticket
alerts are sent and spooled, a backlog that takes minutes to drain at Slack's
pace; then ``--pages`` page alerts are sent one at a time and each is timed from
the POST to Alertmanager until the stand-in stores it. Printed: p50 and p99 of
that latency beside the goal (p99 under 2 s regardless of the ticket backlog),
and the same for POST /alerts straight to the bridge. Pages are 1.1 s apart so
the figure is latency, not the page channel's own 1 message/s pacing. Both
figures are reported through ``benchmarks/_report.goal``; ``--quick`` (20 tickets,
3 pages) runs in seconds and does not judge them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from qobserve.alert_bridge import AlertBridge, BridgeConfig
from qobserve.slo import render_alertmanager
from qobserve.stack.config import demo_routing
from qobserve.testing import start_alertmanager
from qobserve.testing.slack import SlackServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._report import goal

GOAL_P99_S = 2.0
TOKEN, BEARER = "xoxb-bench-token", "bench-bearer"


def _alert(backend: str, severity: str) -> dict:
    return {
        "labels": {
            "alertname": "QuantumBackendDown",
            "severity": severity,
            "quantum_provider": "qiskit",
            "quantum_backend": backend,
        },
        "annotations": {"summary": f"{backend} is down"},
        "startsAt": dt.datetime.now(dt.UTC).isoformat(),
    }


def _post(url: str, body: object, headers: dict[str, str] | None = None) -> None:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    urllib.request.urlopen(req, timeout=30).read()


def _wait_stored(slack: SlackServer, backend: str, timeout: float = 30.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(m.text.endswith(f"{backend} is down") for m in slack.messages("#oncall")):
            return time.monotonic()
        time.sleep(0.005)
    raise SystemExit(f"page {backend} not delivered within {timeout} s")


def _webhook(alert: dict) -> dict:
    """The Alertmanager v4 webhook body for one alert (for the bridge-only measurement)."""
    fp = f"{abs(hash(alert['labels']['quantum_backend'])):016x}"
    return {
        "version": "4",
        "groupKey": fp,
        "status": "firing",
        "receiver": "alert-bridge",
        "alerts": [
            {**alert, "status": "firing", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": fp}
        ],
    }


def _percentiles(samples: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return statistics.median(samples), q[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=500)
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="20 tickets, 3 pages; not judged")
    args = parser.parse_args()
    if args.quick:
        args.tickets, args.pages = 20, 3
    work = Path(tempfile.mkdtemp(prefix="qobserve-alert-path-"))
    slack = SlackServer(TOKEN, channels=("oncall", "alerts")).start()
    os.environ.update(BENCH_SLACK_TOKEN=TOKEN, BENCH_BRIDGE_BEARER=BEARER)
    bridge = AlertBridge(
        BridgeConfig.model_validate(
            {
                "listen": "127.0.0.1:0",
                "spool_dir": str(work / "spool"),
                "slack": {
                    "token_env": "BENCH_SLACK_TOKEN",
                    "base_url": slack.api_url,
                    "channels": {"page": "#oncall", "ticket": "#alerts"},
                },
                "auth": {"bearer_token_env": "BENCH_BRIDGE_BEARER"},
            }
        )
    ).start()
    token_file = work / "bridge.token"
    token_file.write_text(BEARER)
    routing = demo_routing(f"{bridge.url}/alerts", token_file)
    routing = routing.model_copy(
        update={
            "severities": {
                name: sev.model_copy(update={"group_wait": "0s" if name == "page" else "1s"})
                for name, sev in routing.severities.items()
            }
        }
    )
    (work / "alertmanager.yml").write_text(render_alertmanager(routing))
    am = start_alertmanager(work / "alertmanager.yml", work / "am")
    try:
        _post(
            f"{am.url}/api/v2/alerts",
            [_alert(f"ticket_{i}", "ticket") for i in range(args.tickets)],
        )
        deadline = time.monotonic() + 120
        while bridge.spool.pending_count() < args.tickets * 0.95 and time.monotonic() < deadline:
            time.sleep(0.2)
        backlog = bridge.spool.pending_count()
        via_am, direct = [], []
        for i in range(args.pages):
            time.sleep(1.1)  # Slack's pace is 1 message/s per channel: measure latency, not pacing
            t0 = time.monotonic()
            _post(f"{am.url}/api/v2/alerts", [_alert(f"page_am_{i}", "page")])
            via_am.append(_wait_stored(slack, f"page_am_{i}") - t0)
            time.sleep(1.1)
            t0 = time.monotonic()
            _post(
                f"{bridge.url}/alerts",
                _webhook(_alert(f"page_direct_{i}", "page")),
                {"Authorization": f"Bearer {BEARER}"},
            )
            direct.append(_wait_stored(slack, f"page_direct_{i}") - t0)
        left = bridge.spool.pending_count()
    finally:
        am.stop()
        bridge.close()
        slack.stop()
    print(f"ticket backlog: {backlog} spooled before the pages, {left} still queued after")
    for label, samples in (("Alertmanager", via_am), ("bridge POST", direct)):
        p50, p99 = _percentiles(samples)
        goal(
            f"page latency {label} -> Slack, behind a ticket backlog",
            f"p99 {p99 * 1000:.0f} ms (p50 {p50 * 1000:.0f} ms, n={len(samples)}, "
            f"{backlog} tickets spooled)",
            f"p99 < {GOAL_P99_S:g} s",
            None if args.quick else p99 < GOAL_P99_S,
        )


if __name__ == "__main__":
    main()
