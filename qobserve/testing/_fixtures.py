"""The fixtures and hooks of the ``qobserve.testing`` plugin (needs pytest)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from qobserve.testing import services

if TYPE_CHECKING:
    from qobserve.testing._alertmanager import Alertmanager
    from qobserve.testing._prometheus import Prometheus
    from qobserve.testing._redis import RedisServer
    from qobserve.testing.slack import SlackServer

_TRUE = {"1", "true", "yes", "on"}


def services_required() -> bool:
    """Whether a missing service binary fails tests: ``QOBSERVE_REQUIRE_SERVICES`` if set
    (``1``/``0``), else ``CI`` (``true`` on GitHub Actions, GitLab and most CI)."""
    flag = os.environ.get("QOBSERVE_REQUIRE_SERVICES", "").strip()
    return (flag or os.environ.get("CI", "")).strip().lower() in _TRUE


def _missing(exc: services.MissingBinary) -> NoReturn:
    if services_required():
        pytest.fail(f"{exc} (required: CI or QOBSERVE_REQUIRE_SERVICES is set)", pytrace=False)
    pytest.skip(str(exc))


def _missing_binary_rule(item: pytest.Item) -> Iterator[None]:
    try:
        return (yield)
    except services.MissingBinary as exc:
        missing = exc
    _missing(missing)  # outside the except block: one line, no chained traceback


# MissingBinary raised anywhere in a test's setup (any fixture, any scope, also a
# cached module-scoped failure) or body becomes a skip, or a failure in CI.
pytest_runtest_setup = pytest.hookimpl(wrapper=True)(_missing_binary_rule)
pytest_runtest_call = pytest.hookimpl(wrapper=True)(_missing_binary_rule)


class _Started:
    """What a factory fixture started, stopped in reverse order at teardown."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def add(self, item: Any) -> Any:
        self.items.extend(item if isinstance(item, list) else [item])
        return item

    def stop(self) -> None:
        errors = []
        for item in reversed(self.items):
            try:
                item.stop()
            except Exception as exc:  # keep stopping the others
                errors.append(exc)
        if errors:
            raise errors[0]


@pytest.fixture
def free_port() -> int:
    """A TCP port free on 127.0.0.1 when the test starts."""
    return services.free_port()


@pytest.fixture
def prometheus() -> Iterator[Any]:
    """Factory: ``prometheus(rule_files=[...], scrape_targets={job: "host:port"},
    scrape_interval="1s", evaluation_interval="1s", alertmanagers=[...], extra_config=None)``
    or ``prometheus(config=whole_config)`` starts a :class:`~qobserve.testing.Prometheus`;
    all are stopped after the test."""
    from qobserve.testing._prometheus import start_prometheus

    started = _Started()

    def start(**options: Any) -> Prometheus:
        return started.add(start_prometheus(**options))

    yield start
    started.stop()


@pytest.fixture
def alertmanager() -> Iterator[Any]:
    """Factory: ``alertmanager(config)`` (a mapping or a path) starts an
    :class:`~qobserve.testing.Alertmanager`; all are stopped after the test."""
    from qobserve.testing._alertmanager import start_alertmanager

    started = _Started()

    def start(config: Any, **options: Any) -> Alertmanager:
        return started.add(start_alertmanager(config, **options))

    yield start
    started.stop()


@pytest.fixture
def alertmanager_cluster() -> Iterator[Any]:
    """Factory: ``alertmanager_cluster(config, replicas=2, peer_timeout="15s")`` (or a list of
    configs, one per replica) starts gossiping Alertmanagers and returns them once each
    sees all; all are stopped after the test."""
    from qobserve.testing._alertmanager import start_alertmanager_cluster

    started = _Started()

    def start(config: Any, replicas: int = 2, **options: Any) -> list[Alertmanager]:
        return started.add(start_alertmanager_cluster(config, replicas, **options))

    yield start
    started.stop()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A running redis-server (no persistence, in a temp dir): ``.url``, ``.port``, ``.client()``."""
    from qobserve.testing._redis import start_redis

    with start_redis() as server:
        yield server


@pytest.fixture
def slack_server() -> Iterator[SlackServer]:
    """A local Slack Web API server (faults off, limits enforced), stopped after the test."""
    from qobserve.testing.slack import SlackServer

    server = SlackServer(token="xoxb-test-1234567890-SECRETSECRET").start()
    yield server
    server.stop()
