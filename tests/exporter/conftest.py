"""Exporter fixtures: a config file writer and a running in-process exporter."""

from __future__ import annotations

import socket
import threading
import urllib.request
from contextlib import contextmanager

import pytest
import yaml


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
