"""Fixtures: bridges wired to the ``slack_server`` stand-in (from the qobserve.testing plugin)."""

from __future__ import annotations

import pytest

from qobserve.alert_bridge.config import BridgeConfig
from qobserve.alert_bridge.server import AlertBridge
from tests.alert_bridge.helpers import BEARER, CHANNELS, TOKEN

#: Delivery timings scaled down so tests run in seconds (production: 1 s, 15 s, 2 s, 1 s).
FAST = {
    "backoff_initial": "50ms",
    "backoff_max": "500ms",
    "probe_interval": "100ms",
    "min_interval": "10ms",
    "poll_interval": "200ms",
}


@pytest.fixture
def slack(slack_server):
    """The stand-in with the bridge's channels created (so names resolve to IDs)."""
    for name in (*CHANNELS.values(), "#fallback"):
        slack_server.channel_id(name)
    return slack_server


def bridge_config(
    slack_server, spool_dir, *, webhook: bool = False, auth: bool = True, **extra
) -> dict:
    """A bridge config (as a mapping) pointing at the stand-in, with fast timings."""
    transport = (
        {"webhook_url_env": "TEST_SLACK_WEBHOOK"}
        if webhook
        else {"token_env": "TEST_SLACK_TOKEN", "base_url": slack_server.api_url}
    )
    slack_extra = extra.pop("slack", {})
    return {
        "listen": "127.0.0.1:0",
        "slack": {**transport, "channels": dict(CHANNELS), "timeout": "2s", **slack_extra},
        "spool_dir": str(spool_dir),
        "delivery": {**FAST, **extra.pop("delivery", {})},
        **({"auth": {"bearer_token_env": "TEST_BRIDGE_BEARER"}} if auth else {}),
        **extra,
    }


@pytest.fixture
def bridge_env(slack, monkeypatch):
    """The secrets the bridge configs name, in the environment."""
    monkeypatch.setenv("TEST_SLACK_TOKEN", TOKEN)
    monkeypatch.setenv("TEST_SLACK_WEBHOOK", slack.webhook_url)
    monkeypatch.setenv("TEST_BRIDGE_BEARER", BEARER)


@pytest.fixture
def bridge_factory(slack, tmp_path, bridge_env):
    """Start in-process bridges against the stand-in; all are closed after the test."""
    started: list[AlertBridge] = []

    def make(*, spool: str = "spool", **options) -> AlertBridge:
        config = BridgeConfig.model_validate(bridge_config(slack, tmp_path / spool, **options))
        bridge = AlertBridge(config).start()
        started.append(bridge)
        return bridge

    yield make
    for bridge in started:
        bridge.close()
