"""Slack Block Kit messages for Alertmanager alerts: pure functions, no I/O.

One message per alert (not per notification group) so that the resolved
message can be threaded under exactly the firing message of the same alert
fingerprint. Limits enforced here are Slack's: header text 150 characters,
section text 3000, at most 10 section fields, button text 75.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from qobserve.alert_bridge.payload import Alert
from qobserve.semconv import LABEL, Attr

__all__ = ["KEY_LABELS", "alert_message", "silence_url"]

#: Labels shown as fields, in this order, when present on the alert.
KEY_LABELS: tuple[str, ...] = (
    "severity",
    LABEL[Attr.PROVIDER],
    LABEL[Attr.BACKEND],
    LABEL[Attr.EXPERIMENT],
    LABEL[Attr.QUBITS],
    "slo",
    "service",
    Attr.PROBE.value,
    Attr.BUDGET.value,
    LABEL[Attr.ERROR_TYPE],
)

# Labels that identify the alert for a silence; scrape-target labels are left
# out so the silence still matches after a pod restart moves the instance.
_SILENCE_SKIP = frozenset({"instance", "pod", "job", "endpoint"})
_EMOJI = {"firing": ":rotating_light:", "resolved": ":white_check_mark:"}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} UTC"


def silence_url(external_url: str, labels: dict[str, str]) -> str | None:
    """Alertmanager UI link that opens a new silence pre-filled with the alert's labels."""
    if not external_url:
        return None
    matchers = ", ".join(
        f'{k}="{v}"' for k, v in sorted(labels.items()) if k not in _SILENCE_SKIP
    )
    return f"{external_url.rstrip('/')}/#/silences/new?filter={quote('{' + matchers + '}', safe='')}"


def _button(text: str, url: str, action_id: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "url": url,
        "action_id": action_id,
    }
    if style:
        button["style"] = style
    return button


def _buttons(alert: Alert, external_url: str) -> list[dict[str, Any]]:
    buttons = []
    if runbook := alert.annotations.get("runbook_url"):
        buttons.append(_button("Runbook", runbook, "runbook", "primary"))
    if dashboard := alert.annotations.get("dashboard_url"):
        buttons.append(_button("Dashboard", dashboard, "dashboard"))
    if alert.status == "firing" and (silence := silence_url(external_url, alert.labels)):
        buttons.append(_button("Silence", silence, "silence", "danger"))
    return buttons


def alert_message(alert: Alert, *, external_url: str = "") -> dict[str, Any]:
    """Build ``{"text", "blocks"}`` for one alert, ready for ``chat.postMessage``.

    Args:
        alert: the alert, firing or resolved.
        external_url: Alertmanager's ``externalURL``, for the silence button.

    Returns:
        ``text`` is the notification fallback (what phones show); ``blocks`` the message.
    """
    state = alert.status.upper()
    summary = alert.annotations.get("summary") or alert.name
    text = f"[{state}] {alert.name}: {summary}"
    blocks: list[dict[str, Any]] = [
        {"type": "header",
         "text": {"type": "plain_text", "text": _clip(f"{state}: {alert.name}", 150),
                  "emoji": True}},
        {"type": "section",
         "text": {"type": "mrkdwn", "text": _clip(f"{_EMOJI[alert.status]} *{summary}*", 3000)}},
    ]
    if alert.status == "firing" and (description := alert.annotations.get("description")):
        blocks.append({"type": "section",
                       "text": {"type": "mrkdwn", "text": _clip(description, 3000)}})
    fields = [{"type": "mrkdwn", "text": _clip(f"*{k}*\n{alert.labels[k]}", 2000)}
              for k in KEY_LABELS if alert.labels.get(k)][:10]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    when = (f"started {_utc(alert.startsAt)}" if alert.status == "firing"
            else f"resolved {_utc(alert.endsAt)}")
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": f"{when} · fingerprint `{alert.fingerprint}`"}]})
    if buttons := _buttons(alert, external_url):
        blocks.append({"type": "actions", "elements": buttons})
    return {"text": _clip(text, 3000), "blocks": blocks}
