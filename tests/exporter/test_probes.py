"""Probe scheduling: failures stay local, scrapes never wait, reloads keep series."""

from __future__ import annotations

import re
import time

from qobserve.exporter import ExporterConfig

# The timeout covers the first run's SDK import and device construction too.
FAST = {
    "calibration": {"interval": "200ms", "timeout": "4s"},
    "status": {"interval": "200ms", "timeout": "4s"},
}


def _config(*backends, probes=FAST) -> ExporterConfig:
    return ExporterConfig.model_validate({"backends": list(backends), "probes": probes})


def _value(body: str, name: str, **labels) -> float | None:
    for line in body.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def _wait_ready(exporter, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not exporter.ready():
        assert time.monotonic() < deadline, "first probe round never finished"
        time.sleep(0.05)


def test_failing_and_hanging_backends_fail_only_their_probes(
    monkeypatch, blackhole, running, scrape
):
    """A backend whose API raises or hangs marks only its own probes failed; scrape stays quick."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", blackhole)  # the Braket API never answers
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("QISKIT_IBM_TOKEN", "")  # no IBM account: the SDK raises
    config = _config(
        {"name": "manila", "backend": "qiskit:fake_manila"},
        {"name": "ibm", "backend": "qiskit:ibm_brisbane"},
        {"name": "sv1", "backend": "braket:arn:aws:braket:::device/quantum-simulator/amazon/sv1"},
    )
    with running(config) as exporter:
        _wait_ready(exporter)
        t0 = time.monotonic()
        body = scrape(exporter.address)
        scrape_s = time.monotonic() - t0
    for probe in ("calibration", "status"):
        assert (
            _value(body, "qobserve_probe_success", probe=probe, quantum_backend="fake_manila") == 1
        )
        assert (
            _value(body, "qobserve_probe_success", probe=probe, quantum_backend="ibm_brisbane") == 0
        )
        assert _value(body, "qobserve_probe_success", probe=probe, quantum_backend="SV1") == 0
    assert _value(body, "quantum_backend_up", quantum_backend="fake_manila") == 1
    assert (
        _value(body, "quantum_backend_calibration_timestamp_seconds", quantum_backend="fake_manila")
        > 1.6e9
    )
    # The Braket probe is hung on the black hole right now (botocore waits 60 s, our
    # timeout 4 s): a scrape that waited on any probe would take seconds.
    assert scrape_s < 1.0, scrape_s
    assert "not-a-real-secret" not in body


def test_reload_keeps_unchanged_and_drops_removed(running, scrape):
    """Reload keeps series of unchanged backends and removes those of a removed one."""
    a = {"name": "aer", "backend": "qiskit:aer"}
    b = {"name": "cirq", "backend": "cirq:simulator"}
    with running(_config(a, b)) as exporter:
        _wait_ready(exporter)
        last = _value(
            scrape(exporter.address),
            "qobserve_probe_last_success_timestamp_seconds",
            probe="status",
            quantum_backend="aer_simulator",
        )
        aer_loops = exporter._loops["aer"]
        exporter.reload(_config(a))
        body = scrape(exporter.address)
        assert exporter._loops["aer"] is aer_loops  # not restarted
        assert (
            _value(
                body,
                "qobserve_probe_last_success_timestamp_seconds",
                probe="status",
                quantum_backend="aer_simulator",
            )
            >= last
        )
        assert 'quantum_backend="cirq_simulator"' not in body


def test_health_endpoints(running, scrape):
    """/healthz answers at once; /readyz turns 200 after the first probe round."""
    with running(_config({"name": "aer", "backend": "qiskit:aer"})) as exporter:
        assert scrape(exporter.address, "/healthz").strip() == "ok"
        _wait_ready(exporter)
        assert scrape(exporter.address, "/readyz").splitlines()[0] == "ready"


def test_basic_auth_required(running, scrape):
    """With basic_auth_users set, a scrape without the right password gets 401."""
    import base64
    import urllib.error

    import bcrypt
    import pytest

    hashed = bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode()
    config = ExporterConfig.model_validate(
        {
            "backends": [{"name": "aer", "backend": "qiskit:aer"}],
            "probes": FAST,
            "web": {"basic_auth_users": {"prom": hashed}},
        }
    )
    with running(config) as exporter:
        with pytest.raises(urllib.error.HTTPError) as err:
            scrape(exporter.address)
        assert err.value.code == 401
        good = "Basic " + base64.b64encode(b"prom:pw").decode()
        assert re.search(
            r"^# HELP", scrape(exporter.address, headers={"Authorization": good}), re.M
        )
        bad = "Basic " + base64.b64encode(b"prom:wrong").decode()
        with pytest.raises(urllib.error.HTTPError):
            scrape(exporter.address, headers={"Authorization": bad})
