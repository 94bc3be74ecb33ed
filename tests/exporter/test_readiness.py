"""Readiness means the fast probes reported; long probes show progress; stuck probes show stale."""

from __future__ import annotations

import threading
import time
import urllib.error

import pytest

from qobserve.backends import parse_backend
from qobserve.exporter import ExporterConfig
from qobserve.exporter.collector import ProbeCollector, ProbeOutcome
from qobserve.exporter.config import ProbeSchedule
from qobserve.exporter.probes import Target
from qobserve.exporter.scheduler import ProbeLoop

FAST = {
    "calibration": {"interval": "200ms", "timeout": "4s"},
    "status": {"interval": "200ms", "timeout": "4s"},
}


def _value(body: str, name: str, **labels) -> float | None:
    for line in body.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def _readyz(scrape, exporter) -> tuple[int, str]:
    try:
        return 200, scrape(exporter.address, "/readyz")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def _until(predicate, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_long_rb_probe_does_not_hold_readiness(monkeypatch, running, scrape):
    """An RB run in progress leaves /readyz at 200, listed as running, with in_progress=1."""
    release = threading.Event()
    monkeypatch.setattr(
        "qobserve.exporter.rb_probe.RBProbe.__call__", lambda self, target: release.wait(30) and []
    )
    config = ExporterConfig.model_validate(
        {
            "backends": [{"name": "aer", "backend": "qiskit:aer"}],
            "probes": {
                **FAST,
                "rb": {"interval": "1h", "timeout": "1m", "samples": 2, "shots": 10},
            },
        }
    )
    with running(config) as exporter:
        try:
            _until(exporter.ready)
            code, body = _readyz(scrape, exporter)
            assert code == 200 and body.startswith("ready\n")
            assert "rb aer: running for" in body and "does not hold readiness" in body
            assert "status aer: ok" in body
            metrics = scrape(exporter.address)
            assert _value(metrics, "qobserve_probe_in_progress", probe="rb") == 1
            assert _value(metrics, "qobserve_probe_in_progress", probe="status") in (0, 1)
            assert _value(metrics, "qobserve_probe_stale", probe="rb") == 0
        finally:
            release.set()


def test_fast_probe_pending_holds_readiness(monkeypatch, running, scrape):
    """Until the status probe's first run ends /readyz is 503 naming it; a failed run counts as run."""
    release = threading.Event()

    def status(target):
        release.wait(30)
        raise RuntimeError("provider said no")

    monkeypatch.setattr("qobserve.exporter.app.status_probe", status)
    config = ExporterConfig.model_validate(
        {"backends": [{"name": "aer", "backend": "qiskit:aer"}], "probes": FAST}
    )
    with running(config) as exporter:
        _until(lambda: "calibration aer: ok" in _readyz(scrape, exporter)[1])
        code, body = _readyz(scrape, exporter)
        assert code == 503 and body.startswith("not ready")
        assert "status aer: running for" in body and "pending" in body
        release.set()
        _until(exporter.ready)
        code, body = _readyz(scrape, exporter)
        assert code == 200
        assert "status aer: failing (RuntimeError)" in body


def test_stale_signal_from_the_clock():
    """stale turns 1 past 2 x interval + timeout without a finished run; a skipped run does not reset it."""
    collector = ProbeCollector()
    schedule = ProbeSchedule(interval=10, timeout=5)  # stale after 25 s
    collector.register("status", "aer", "aer_simulator", schedule.stale_after, now=1000.0)

    def stale(now):
        (family, _) = collector.collect_live(now=now)
        return family.samples[0].value

    assert stale(1024.0) == 0
    assert stale(1026.0) == 1
    collector.record(
        "status", "aer", "aer_simulator", ProbeOutcome(False, 0.0, 1030.0, completed=False)
    )
    assert stale(1031.0) == 1  # skipped: the previous run is still hanging
    collector.record("status", "aer", "aer_simulator", ProbeOutcome(False, 5.0, 1030.0))
    assert stale(1031.0) == 0
    assert "qobserve_probe_last_run_timestamp_seconds" in collector.exposition().decode()


def test_hung_probe_turns_stale():
    """A probe hung past its timeout is reported failed once, then skipped, and shows stale."""
    hang = threading.Event()
    collector = ProbeCollector()
    target = Target("aer", parse_backend("qiskit:aer"))
    loop = ProbeLoop(
        "status",
        lambda t: hang.wait(30) and [],
        target,
        ProbeSchedule(interval=0.1, timeout=0.1),
        collector,
        seed=1,
    )
    loop.start()
    try:
        _until(
            lambda: (
                _value(collector.exposition().decode(), "qobserve_probe_stale", probe="status") == 1
            ),
            timeout=10,
        )
        body = collector.exposition().decode()
        assert _value(body, "qobserve_probe_in_progress", probe="status") == 1
        assert _value(body, "qobserve_probe_success", probe="status") == 0
    finally:
        loop.stop()
        hang.set()


@pytest.mark.parametrize("auth_health", [False, True])
def test_health_routes_and_basic_auth(running, scrape, auth_health):
    """With basic auth on, /healthz and /readyz stay open unless web.health_requires_auth is set."""
    import bcrypt

    hashed = bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode()
    config = ExporterConfig.model_validate(
        {
            "backends": [{"name": "aer", "backend": "qiskit:aer"}],
            "probes": FAST,
            "web": {"basic_auth_users": {"prom": hashed}, "health_requires_auth": auth_health},
        }
    )
    with running(config) as exporter:
        if auth_health:
            with pytest.raises(urllib.error.HTTPError) as err:
                scrape(exporter.address, "/healthz")
            assert err.value.code == 401
        else:
            assert scrape(exporter.address, "/healthz").strip() == "ok"
            assert _readyz(scrape, exporter)[0] in (200, 503)
        with pytest.raises(urllib.error.HTTPError) as err:
            scrape(exporter.address, "/metrics")
        assert err.value.code == 401


def test_not_ready_before_the_config_is_applied(scrape):
    """The server answers before the backends' probes exist: that window is "not ready"."""
    from qobserve.exporter import Exporter

    config = ExporterConfig.model_validate(
        {
            "listen": "127.0.0.1:0",
            "backends": [{"name": "aer", "backend": "qiskit:aer"}],
            "probes": FAST,
        }
    )
    exporter = Exporter(config)
    exporter.server.start()  # what start() does first, before it applies the config
    try:
        assert _readyz(scrape, exporter)[0] == 503
        exporter._apply(config)
        _until(lambda: _readyz(scrape, exporter)[0] == 200)
    finally:
        exporter.stop()
