"""Fixtures: a local Slack API server and bridges wired to it."""

from __future__ import annotations

import pytest

from qobserve.alert_bridge.config import BridgeConfig
from qobserve.alert_bridge.server import AlertBridge
from tests.alert_bridge.local_slack import BEARER, TOKEN, SlackServer


@pytest.fixture
def slack():
    """A running local Slack API server, stopped after the test."""
    server = SlackServer()
    yield server
    try:
        server.stop()
    except Exception:
        pass


@pytest.fixture
def bridge_factory(slack, tmp_path, monkeypatch):
    """Start bridges on a free port against the local Slack; all are closed after the test."""
    monkeypatch.setenv("TEST_SLACK_TOKEN", TOKEN)
    monkeypatch.setenv("TEST_SLACK_WEBHOOK", slack.webhook_url)
    monkeypatch.setenv("TEST_BRIDGE_BEARER", BEARER)
    started: list[AlertBridge] = []

    def make(*, webhook: bool = False, auth: bool = True) -> AlertBridge:
        transport = ({"webhook_url_env": "TEST_SLACK_WEBHOOK"} if webhook else
                     {"token_env": "TEST_SLACK_TOKEN", "base_url": slack.api_url})
        config = BridgeConfig.model_validate({
            "listen": "127.0.0.1:0",
            "slack": {**transport, "channels": {"page": "#oncall", "ticket": "#alerts"}},
            "spool_dir": str(tmp_path / "spool"),
            **({"auth": {"bearer_token_env": "TEST_BRIDGE_BEARER"}} if auth else {}),
        })
        bridge = AlertBridge(config, backoff_initial=0.05, backoff_max=0.2).start()
        started.append(bridge)
        return bridge

    yield make
    for bridge in started:
        bridge.close()
