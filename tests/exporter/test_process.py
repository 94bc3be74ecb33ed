"""The exporter as a process: SIGHUP reloads, SIGTERM stops quickly, TLS serves."""

from __future__ import annotations

import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
import yaml

from qobserve.stack.services import free_port


def _get(url: str, context=None) -> tuple[int, str]:
    """(status, body); status 0 when nothing answers (yet)."""
    try:
        with urllib.request.urlopen(url, timeout=5, context=context) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, ""
    except (urllib.error.URLError, ConnectionError, OSError):
        return 0, ""


def _wait(predicate, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.fixture
def exporter(tmp_path):
    """Start `qobserve exporter` on a config file; yield (process, port, config path)."""
    procs = []

    def start(config: dict):
        path = tmp_path / "exporter.yaml"
        path.write_text(yaml.safe_dump(config))
        proc = subprocess.Popen([sys.executable, "-m", "qobserve.cli", "exporter", "--config", str(path)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(proc)
        return proc, path

    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


FAST = {"calibration": {"interval": "1s"}, "status": {"interval": "1s"}}


def test_sighup_reloads_and_sigterm_stops(exporter):
    """SIGHUP drops a removed backend's series and keeps the others; SIGTERM exits 0 in seconds."""
    port = free_port()
    aer = {"name": "aer", "backend": "qiskit:aer"}
    cirq = {"name": "cirq", "backend": "cirq:simulator"}
    proc, path = exporter({"listen": f"127.0.0.1:{port}", "backends": [aer, cirq], "probes": FAST})
    base = f"http://127.0.0.1:{port}"
    _wait(lambda: proc.poll() is None and _get(base + "/readyz")[0] == 200)
    assert 'quantum_backend="cirq_simulator"' in _get(base + "/metrics")[1]

    path.write_text(yaml.safe_dump({"listen": f"127.0.0.1:{port}", "backends": [aer], "probes": FAST}))
    proc.send_signal(signal.SIGHUP)
    _wait(lambda: 'quantum_backend="cirq_simulator"' not in _get(base + "/metrics")[1], timeout=30)
    assert 'qobserve_probe_success{probe="status",quantum_backend="aer_simulator"} 1.0' in _get(base + "/metrics")[1]

    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    stopped_in = time.monotonic() - t0
    out = proc.stdout.read()
    assert "config reloaded" in out and "stopped" in out
    assert stopped_in < 15


def test_tls(exporter, tls_files):
    """With a certificate configured the endpoint speaks HTTPS only."""
    cert, key = tls_files
    port = free_port()
    proc, _ = exporter({"listen": f"127.0.0.1:{port}", "backends": [{"name": "aer", "backend": "qiskit:aer"}],
                        "probes": FAST, "web": {"tls_cert_file": str(cert), "tls_key_file": str(key)}})
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False
    _wait(lambda: proc.poll() is None and _get(f"https://127.0.0.1:{port}/healthz", context)[0] == 200)
    assert _get(f"http://127.0.0.1:{port}/healthz")[0] != 200
