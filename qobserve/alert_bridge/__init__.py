"""Alertmanager → Slack bridge: ``qobserve alert-bridge --config FILE``.

Alertmanager posts webhook notifications (version 4) to ``POST /alerts``; each
alert becomes a Slack Block Kit message (header, summary, key labels, runbook,
dashboard and silence buttons) in the channel for its ``severity``. Resolved
messages are threaded under the firing one. Messages are spooled to disk
before Alertmanager is acknowledged and delivered in order with backoff, so
none is lost when Slack is slow or down. ``/metrics`` and ``/healthz`` are
served alongside.
"""

from qobserve.alert_bridge.config import BridgeConfig, ConfigError, load_config
from qobserve.alert_bridge.server import AlertBridge

__all__ = ["AlertBridge", "BridgeConfig", "ConfigError", "load_config"]
