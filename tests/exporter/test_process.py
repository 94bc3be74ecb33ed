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

from qobserve.testing.services import free_port


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
        proc = subprocess.Popen(
            [sys.executable, "-m", "qobserve.cli", "exporter", "--config", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
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

    path.write_text(
        yaml.safe_dump({"listen": f"127.0.0.1:{port}", "backends": [aer], "probes": FAST})
    )
    proc.send_signal(signal.SIGHUP)
    _wait(lambda: 'quantum_backend="cirq_simulator"' not in _get(base + "/metrics")[1], timeout=30)
    assert (
        'qobserve_probe_success{probe="status",quantum_backend="aer_simulator"} 1.0'
        in _get(base + "/metrics")[1]
    )

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
    proc, _ = exporter(
        {
            "listen": f"127.0.0.1:{port}",
            "backends": [{"name": "aer", "backend": "qiskit:aer"}],
            "probes": FAST,
            "web": {"tls_cert_file": str(cert), "tls_key_file": str(key)},
        }
    )
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False
    _wait(
        lambda: proc.poll() is None and _get(f"https://127.0.0.1:{port}/healthz", context)[0] == 200
    )
    assert _get(f"http://127.0.0.1:{port}/healthz")[0] != 200


def test_sighup_rereads_credential_files(exporter, tmp_path):
    """SIGHUP re-reads a credentials file: an emptied one is refused (running config kept), a filled one applied."""
    port = free_port()
    secret = tmp_path / "ibm-token"
    secret.write_text("first-token-value\n")
    proc, _ = exporter(
        {
            "listen": f"127.0.0.1:{port}",
            "probes": {"calibration": {"interval": "1h"}, "status": {"interval": "1h"}},
            "backends": [
                {
                    "name": "ibm",
                    "backend": "qiskit:ibm_brisbane",
                    "credentials": {"ibm_token": {"file": str(secret)}},
                }
            ],
        }
    )
    _wait(lambda: proc.poll() is None and _get(f"http://127.0.0.1:{port}/healthz")[0] == 200)
    secret.write_text("")
    proc.send_signal(signal.SIGHUP)
    time.sleep(2)
    secret.write_text("second-token-value\n")
    proc.send_signal(signal.SIGHUP)
    time.sleep(2)
    assert _get(f"http://127.0.0.1:{port}/healthz")[0] == 200
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    out = proc.stdout.read()
    assert (
        f"reload refused, keeping the running config: {tmp_path / 'exporter.yaml'}: "
        f"backends[0].credentials.ibm_token.file: {secret} is empty" in out
    )
    assert "config reloaded" in out
    assert "token-value" not in out
