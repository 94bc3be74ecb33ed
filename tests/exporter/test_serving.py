"""Serving under production conditions: idle TLS clients, a connection cap."""

from __future__ import annotations

import socket
import ssl
import time
import urllib.request

from qobserve.exporter import ExporterConfig

PROBES = {"calibration": {"interval": "1h"}, "status": {"interval": "1h"}}


def _https(address, path: str, timeout: float = 5) -> tuple[int, float]:
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    t0 = time.monotonic()
    with urllib.request.urlopen(
        f"https://{address[0]}:{address[1]}{path}", timeout=timeout, context=ctx
    ) as r:
        r.read()
        return r.status, time.monotonic() - t0


def _config(tls_files, **web) -> ExporterConfig:
    cert, key = tls_files
    return ExporterConfig.model_validate(
        {
            "backends": [{"name": "aer", "backend": "qiskit:aer"}],
            "probes": PROBES,
            "web": {"tls_cert_file": str(cert), "tls_key_file": str(key), **web},
        }
    )


def test_idle_tls_client_does_not_delay_others(running, tls_files):
    """A client that connects and sends nothing leaves /healthz and /metrics answering at once."""
    with running(_config(tls_files)) as exporter:
        idle = [socket.create_connection(exporter.address) for _ in range(3)]
        try:
            time.sleep(0.2)
            for path in ("/healthz", "/metrics", "/healthz"):
                status, seconds = _https(exporter.address, path)
                assert status == 200 and seconds < 1.0, (path, seconds)
        finally:
            for s in idle:
                s.close()


def test_connection_cap_and_idle_timeout(running, tls_files):
    """Past web.max_connections a connection is closed at once; idle ones are dropped after the timeout."""
    with running(_config(tls_files, max_connections=2, handshake_timeout="1s")) as exporter:
        idle = [socket.create_connection(exporter.address) for _ in range(2)]
        try:
            time.sleep(0.2)
            extra = socket.create_connection(exporter.address)
            extra.settimeout(2)
            assert extra.recv(1) == b""  # closed by the server, not left hanging
            extra.close()
            time.sleep(1.5)  # the idle pair has hit the handshake timeout
            assert all(s.recv(1) == b"" for s in idle)
            assert _https(exporter.address, "/healthz")[0] == 200
        finally:
            for s in idle:
                s.close()
