"""Test your own alert rule against a real Prometheus and Alertmanager with qobserve.testing.

Run with ``pytest docs/examples/test_my_alert.py``: installing qobserve registers the
plugin, whose fixtures start ``prometheus`` and ``prometheus-alertmanager`` (Debian
packages) on free ports and stop them after the test. The project's own suite runs
this file (tests/docs/test_examples.py), so it keeps working.
"""

from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, start_http_server

RULES = Path(__file__).with_name("my_alert.rules.yml")
ROUTING = {"route": {"receiver": "team", "group_wait": "1s"}, "receivers": [{"name": "team"}]}


def test_long_queue_fires_and_reaches_alertmanager(prometheus, alertmanager, free_port):
    """A queue of 150 jobs fires MyBackendQueueTooLong, which reaches Alertmanager; it
    clears when the queue drains."""
    registry = CollectorRegistry()
    pending = Gauge(
        "quantum_backend_pending_jobs",
        "Provider queue length",
        ["quantum_backend"],
        registry=registry,
    )
    server, _thread = start_http_server(free_port, addr="127.0.0.1", registry=registry)
    try:
        pending.labels("ibm_brisbane").set(150)
        am = alertmanager(ROUTING)
        prom = prometheus(
            rule_files=[RULES],
            scrape_targets={"app": f"127.0.0.1:{free_port}"},
            alertmanagers=[am.url],
        )

        firing = prom.wait_for('ALERTS{alertname="MyBackendQueueTooLong",alertstate="firing"}')
        assert firing[0]["metric"]["quantum_backend"] == "ibm_brisbane"
        received = am.wait_for_alerts(active=True)
        assert received[0]["annotations"]["summary"] == "ibm_brisbane has 150 jobs queued"

        pending.labels("ibm_brisbane").set(3)
        prom.wait_for('ALERTS{alertname="MyBackendQueueTooLong"}', lambda result: not result)
    finally:
        server.shutdown()
