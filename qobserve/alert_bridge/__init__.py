"""Alertmanager → Slack bridge: ``qobserve alert-bridge --config FILE``.

Alertmanager posts webhook notifications (version 4) to ``POST /alerts``; each
alert becomes a Slack Block Kit message (header, summary, key labels, runbook,
dashboard and silence buttons, trimmed to Slack's limits) in the channel for
its ``severity``. Resolved messages are threaded under the firing one.
``/metrics``, ``/healthz`` and ``/readyz`` are served alongside.

The delivery promise:

* **Nothing lost.** A message is fsynced to the spool before Alertmanager gets
  its 200; if the spool cannot be written the answer is 503 and Alertmanager
  retries. Undelivered messages survive restarts.
* **Nothing blocks a page.** Each channel is its own lane; within a lane only
  the order of one alert's firing and resolved messages is kept.
* **Nothing dropped silently.** A message Slack refuses for good is posted as
  plain text, then to ``slack.channels.fallback``, then kept as a dead letter
  (``qobserve_alert_bridge_dead_letters``; ``qobserve alert-bridge dead-letters
  list|retry``).
* **Exactly once with a bot token.** Every post carries a stable delivery id in
  its message metadata; a post whose outcome is unknown (timeout, crash, or —
  with ``replica:`` set — another replica) is looked up in the channel's
  recent history before it is posted again. This needs channel IDs or the
  ``channels:read`` scope to resolve names, and ``channels:history`` /
  ``groups:history``. **At least once with an incoming webhook**: it has no
  history to look in, so a post that timed out may appear twice.
"""

from qobserve.alert_bridge.config import BridgeConfig, ConfigError, load_config
from qobserve.alert_bridge.server import AlertBridge

__all__ = ["AlertBridge", "BridgeConfig", "ConfigError", "load_config"]
