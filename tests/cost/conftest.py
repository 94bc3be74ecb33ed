"""Budget stores for the cost tests: a SQLite file and a real redis-server."""

from __future__ import annotations

import pytest
import redis

from qobserve.cost import RedisBudgetStore, SqliteBudgetStore, use_prices
from qobserve.testing import start_redis


@pytest.fixture(autouse=True)
def _builtin_prices(monkeypatch):
    """Every test starts from the built-in table, whatever the environment says."""
    monkeypatch.delenv("QOBSERVE_PRICES", raising=False)
    use_prices(None)
    yield
    use_prices(None)


@pytest.fixture(scope="session")
def redis_url():
    """A redis-server from the Debian package on 127.0.0.1 (qobserve.testing), no persistence.

    A missing server fails the test in CI (CI=true): CI must not pass by skipping.
    """
    with start_redis() as server:
        yield server.url


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
