"""Budget stores for the cost tests: a SQLite file and a real redis-server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
import redis

from qobserve.cost import RedisBudgetStore, SqliteBudgetStore, use_prices


@pytest.fixture(autouse=True)
def _builtin_prices(monkeypatch):
    """Every test starts from the built-in table, whatever the environment says."""
    monkeypatch.delenv("QOBSERVE_PRICES", raising=False)
    use_prices(None)
    yield
    use_prices(None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A redis-server from the Debian package on 127.0.0.1, no persistence, stopped at the end.

    A missing server fails the test (scripts/test.sh installs it): CI must not pass by skipping.
    """
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not shutil.which(binary):
        pytest.fail("redis-server not installed: run scripts/test.sh or apt-get install redis-server")
    workdir = tmp_path_factory.mktemp("redis")
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=(workdir / "redis.log").open("wb"), stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start: "
                                       + (workdir / "redis.log").read_text()[-2000:]) from None
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def redis_store(redis_url):
    """A RedisBudgetStore on an empty database."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield RedisBudgetStore(client)
    client.close()


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.integration)])
def store(request, tmp_path):
    """Each budget store in turn: a fresh SQLite file, then a flushed Redis."""
    if request.param == "sqlite":
        return SqliteBudgetStore(tmp_path / "spend.sqlite")
    return request.getfixturevalue("redis_store")
