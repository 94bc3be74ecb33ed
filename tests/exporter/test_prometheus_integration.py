"""A real Prometheus on 127.0.0.1 scrapes `qobserve exporter` every second."""

from __future__ import annotations

import re
import subprocess
import time

import pytest
import yaml

from qobserve.testing import start_prometheus
from qobserve.testing.services import free_port, spawn_python

pytestmark = pytest.mark.integration

QUERIES = {
    "calibration": 'quantum_backend_calibration_timestamp_seconds{quantum_backend="%s"}',
    "up": 'quantum_backend_up{quantum_backend="%s"} == 1',
    "probe": 'qobserve_probe_success{probe="status",quantum_backend="%s"} == 1',
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """The exporter (subprocess, as deployed) and Prometheus scraping it at 1 s."""
    work = tmp_path_factory.mktemp("exporter-prom")
    port = free_port()
    config = {
        "listen": f"127.0.0.1:{port}",
        "backends": [
            {"name": "manila", "backend": "qiskit:fake_manila"},
            {"name": "sv", "backend": "braket:local"},
            {"name": "willow", "backend": "cirq_google:willow_pink"},
        ],
        "probes": {
            "calibration": {"interval": "5s"},
            "status": {"interval": "2s"},
            "rb": {
                "interval": "1h",
                "qubits": [0],
                "lengths": [1, 4, 8, 16],
                "samples": 3,
                "shots": 64,
            },
        },
    }
    (work / "exporter.yaml").write_text(yaml.safe_dump(config))
    # Module-scoped, so the plugin's start functions rather than its function-scoped fixtures.
    with (
        spawn_python(
            "exporter", ["exporter", "--config", str(work / "exporter.yaml")], port, work
        ) as exporter,
        start_prometheus(scrape_targets={"qobserve": f"127.0.0.1:{port}"}) as prom,
    ):
        yield prom, port, exporter


def _series(stack, query: str, timeout: float = 90) -> list:
    prom, _, exporter = stack
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert exporter.process.poll() is None, "exporter exited:\n" + exporter.log_tail(10**6)
        result = prom.get("/api/v1/query", query=query)["data"]["result"]
        if result:
            return result
        time.sleep(0.5)
    return []


# A local Braket simulator has no calibration to report, so no such series.
CASES = [
    (w, b)
    for w in sorted(QUERIES)
    for b in ("fake_manila", "braket_sv", "willow_pink")
    if (w, b) != ("calibration", "braket_sv")
]


@pytest.mark.parametrize(("what", "backend"), CASES)
def test_prometheus_sees_probe_series(stack, what, backend):
    """Prometheus finds calibration, up and probe-success series for each SDK's backend."""
    assert _series(stack, QUERIES[what] % backend), f"no {what} series for {backend}"


def test_prometheus_sees_rb_fidelity(stack):
    """The RB probe's fidelity reaches Prometheus with method="rb"."""
    result = _series(stack, 'quantum_fidelity_ratio{method="rb"}', timeout=180)
    assert result
    assert all(0.5 < float(r["value"][1]) <= 1.0 for r in result)


def test_scrape_passes_promtool(stack):
    """`promtool check metrics` on a scrape reports nothing for qobserve metrics."""
    import urllib.request

    _, port, _ = stack
    assert _series(stack, "qobserve_probe_success")
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    res = subprocess.run(
        ["promtool", "check", "metrics"], input=body, text=True, capture_output=True
    )
    ours = [
        ln for ln in (res.stdout + res.stderr).splitlines() if re.match(r"(quantum|qobserve)_", ln)
    ]
    assert ours == []
