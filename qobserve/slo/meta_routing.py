"""Where the alert path's own alerts go: ``meta_monitoring:`` in ``alerts/routing.yaml``.

Two rules keep a broken alert path from hiding itself:

- ``QuantumAlertingHeartbeat`` fires all the time and goes to a dead-man's switch outside
  the stack (healthchecks.io, PagerDuty or Opsgenie heartbeats), which pages when the
  pings stop. It repeats every minute and never reaches a human otherwise.
- ``QuantumAlertBridgeDeliveryFailing`` and ``QuantumAlertBridgeDeadLetters`` describe the
  Slack bridge, so they must not travel through it: they go to receivers that do not post
  through ``qobserve alert-bridge``. The section is required in every routing file
  (:func:`~qobserve.slo.routing.load_routing`) and names the bridge's
  receiver, so a spec cannot fall back to the bridge by omission::

    meta_monitoring:
      bridge_receiver: alert-bridge          # the receiver posting through the bridge
      heartbeat: {receiver: deadmans-switch, repeat_interval: 1m}
      bridge_alerts: {receivers: [pager]}    # never the bridge itself
"""

from __future__ import annotations

from pydantic import Field

from qobserve.slo.config import Duration, StrictModel

__all__ = ["BridgeAlerts", "Heartbeat", "MetaMonitoring", "check_meta_receivers"]


class Heartbeat(StrictModel):
    """Route of ``QuantumAlertingHeartbeat`` to the dead-man's switch."""

    receiver: str = Field(description="receiver of the dead-man's switch (a ping URL)")
    group_wait: Duration = "10s"
    group_interval: Duration = "1m"
    # The switch's grace period must exceed this; 1m pings suit a 5m healthchecks.io grace.
    repeat_interval: Duration = "1m"


class BridgeAlerts(StrictModel):
    """Route of the bridge's own alerts, around the bridge; several receivers fan out."""

    receivers: list[str] = Field(
        min_length=1,
        description="receivers that do not post "
        "through the bridge (a paging service or heartbeat webhook)",
    )
    group_wait: Duration | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None


class MetaMonitoring(StrictModel):
    """Routing of the heartbeat and of the alert bridge's own alerts."""

    bridge_receiver: str = Field(
        description="the receiver whose webhook is `qobserve "
        "alert-bridge`; the bridge's alerts must avoid it"
    )
    heartbeat: Heartbeat
    bridge_alerts: BridgeAlerts


def check_meta_receivers(meta: MetaMonitoring, urls: dict[str, str]) -> None:
    """Check ``meta``'s receivers exist and avoid the bridge (``urls``: receiver → URL).

    Raises:
        ValueError: naming the ``meta_monitoring`` field and the fix.
    """
    declared = ", ".join(urls)
    uses = [
        ("bridge_receiver", meta.bridge_receiver),
        ("heartbeat.receiver", meta.heartbeat.receiver),
        *(("bridge_alerts.receivers", r) for r in meta.bridge_alerts.receivers),
    ]
    for field, name in uses:
        if name not in urls:
            raise ValueError(
                f"meta_monitoring.{field}: unknown receiver {name!r}; declare it "
                f"under receivers ({declared})"
            )
    bridge_url = urls[meta.bridge_receiver]
    for field, name in uses[1:]:
        if name == meta.bridge_receiver or urls[name] == bridge_url:
            raise ValueError(
                f"meta_monitoring.{field}: {name!r} posts through the alert bridge "
                f"({bridge_url}); use a receiver that does not (a paging service or "
                "heartbeat webhook), or the bridge's failures would be reported through it"
            )
