"""Exporter fixtures: a config file writer and a running in-process exporter."""

from __future__ import annotations

import datetime
import socket
import threading
import urllib.request
from contextlib import contextmanager

import pytest
import yaml


@pytest.fixture(autouse=True)
def state_dir(tmp_path, monkeypatch):
    """Every exporter in these tests keeps its state in the test's own directory."""
    path = tmp_path / "state"
    monkeypatch.setenv("QOBSERVE_STATE_DIR", str(path))
    return path


@pytest.fixture
def write_config(tmp_path):
    """Write a config mapping to a YAML file and return its path."""

    def write(data: dict, name: str = "exporter.yaml"):
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data))
        return path

    return write


def _scrape(address: tuple[str, int], path: str = "/metrics", headers: dict | None = None) -> str:
    host, port = address
    req = urllib.request.Request(f"http://{host}:{port}{path}", headers=headers or {})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.read().decode()


@pytest.fixture
def scrape():
    """GET a path of a running exporter and return the body."""
    return _scrape


@pytest.fixture
def running():
    """Context manager: an Exporter serving on a free port for the block."""
    return _running


@contextmanager
def _running(config):
    """An Exporter serving on a free port for the duration of the block."""
    from qobserve.exporter import Exporter

    exporter = Exporter(config.model_copy(update={"listen": "127.0.0.1:0"}))
    exporter.start()
    try:
        yield exporter
    finally:
        exporter.stop()


@pytest.fixture
def blackhole():
    """A TCP server on 127.0.0.1 that accepts connections and never answers: a hung API."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    conns, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conns.append(server.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    t.join()
    for c in conns:
        c.close()
    server.close()


def self_signed(directory):
    """Write a self-signed certificate for 127.0.0.1 and its key; return (cert, key) paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_files(tmp_path):
    """A self-signed certificate and key for 127.0.0.1 in the test's directory."""
    return self_signed(tmp_path)
