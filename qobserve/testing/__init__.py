"""pytest plugin (entry point ``pytest11: qobserve.testing``): fixtures for qobserve's stack.

Installed with qobserve, so any project testing its alert path can use:

* ``free_port``: a free TCP port on 127.0.0.1;
* ``slack_server``: a running :class:`qobserve.testing.slack.SlackServer`
  (token ``slack_server.token``, ``base_url`` ``slack_server.api_url``), stopped
  after the test.

Fixtures import their servers lazily so loading the plugin costs nothing.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from qobserve.testing.slack import SlackServer

__all__ = ["free_port", "slack_server"]


@pytest.fixture
def free_port() -> int:
    """A TCP port free on 127.0.0.1 when the test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def slack_server() -> Iterator[SlackServer]:
    """A local Slack Web API server (faults off, limits enforced), stopped after the test."""
    from qobserve.testing.slack import SlackServer

    server = SlackServer(token="xoxb-test-1234567890-SECRETSECRET").start()
    yield server
    server.stop()
