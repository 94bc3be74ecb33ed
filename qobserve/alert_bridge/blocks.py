"""Slack Block Kit messages for Alertmanager alerts: pure functions, no I/O.

One message per alert (not per notification group) so that the resolved
message can be threaded under exactly the firing message of the same alert
fingerprint. Every field is trimmed with an ellipsis to Slack's documented
limits (api.slack.com/reference/block-kit/blocks and /methods/chat.postMessage):
header text 150 characters, section text 3,000, section field 2,000 (at most
10 fields), context element 3,000, button URL 3,000, 50 blocks, message text
40,000. The alert name, severity, summary and runbook link always survive; a
link too long for a button is shown as plain text instead. :func:`plain_text`
is the degraded form posted when Slack refuses the blocks for good.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from qobserve import semconv
from qobserve.alert_bridge.payload import Alert

__all__ = ["KEY_LABELS", "LIMITS", "alert_message", "plain_text", "silence_url"]

#: Slack's limits, in characters (blocks: count).
LIMITS = {
    "header": 150,
    "section_text": 3000,
    "field_text": 2000,
    "fields": 10,
    "context_text": 3000,
    "button_url": 3000,
    "blocks": 50,
    "text": 40000,
}
#: Degraded (plain-text) messages stay short enough to read on a phone.
PLAIN_MAX = 4000

#: Labels shown as fields, in this order, when present on the alert.
KEY_LABELS: tuple[str, ...] = (
    semconv.SEVERITY_LABEL,
    semconv.PROVIDER_LABEL,
    semconv.BACKEND_LABEL,
    semconv.EXPERIMENT_LABEL,
    semconv.QUBITS_LABEL,
    semconv.SLO_LABEL,
    semconv.SLO_SERVICE_LABEL,
    semconv.PROBE_LABEL,
    semconv.BUDGET_LABEL,
    semconv.ERROR_TYPE_LABEL,
)

# Labels that identify the alert for a silence; scrape-target labels are left
# out so the silence still matches after a pod restart moves the instance.
_SILENCE_SKIP = frozenset({"instance", "pod", "job", "endpoint"})
_EMOJI = {"firing": ":rotating_light:", "resolved": ":white_check_mark:"}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def silence_url(external_url: str, labels: dict[str, str]) -> str | None:
    """Alertmanager UI link that opens a new silence pre-filled with the alert's labels."""
    if not external_url:
        return None
    matchers = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k not in _SILENCE_SKIP)
    return (
        f"{external_url.rstrip('/')}/#/silences/new?filter={quote('{' + matchers + '}', safe='')}"
    )


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


def _links(alert: Alert, external_url: str) -> list[tuple[str, str, str, str | None]]:
    """(text, url, action_id, style) of the runbook, dashboard and silence links."""
    links: list[tuple[str, str, str, str | None]] = []
    if runbook := alert.annotations.get("runbook_url"):
        links.append(("Runbook", runbook, "runbook", "primary"))
    if dashboard := alert.annotations.get("dashboard_url"):
        links.append(("Dashboard", dashboard, "dashboard", None))
    if alert.status == "firing" and (silence := silence_url(external_url, alert.labels)):
        links.append(("Silence", silence, "silence", "danger"))
    return links


def _link_blocks(alert: Alert, external_url: str) -> list[dict[str, Any]]:
    """Buttons for the links that fit one; a section of plain text for those that do not."""
    links = _links(alert, external_url)
    buttons = [
        _button(text, url, action, style)
        for text, url, action, style in links
        if len(url) <= LIMITS["button_url"]
    ]
    long = "\n".join(
        f"*{text}:* {url}" for text, url, _, _ in links if len(url) > LIMITS["button_url"]
    )
    blocks: list[dict[str, Any]] = []
    if long:  # raw text, not <url|label> markup: a cut-off link must not look clickable
        blocks.append(
            {
                "type": "section",
                "text": {"type": "plain_text", "text": _clip(long, LIMITS["section_text"])},
            }
        )
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


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
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": _clip(f"{state}: {alert.name}", LIMITS["header"]),
                "emoji": True,
            },
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": _clip(f"{_EMOJI[alert.status]} *{summary}*", LIMITS["section_text"]),
            },
        },
    ]
    if alert.status == "firing" and (description := alert.annotations.get("description")):
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _clip(description, LIMITS["section_text"])},
            }
        )
    fields = [
        {"type": "mrkdwn", "text": _clip(f"*{k}*\n{alert.labels[k]}", LIMITS["field_text"])}
        for k in KEY_LABELS
        if alert.labels.get(k)
    ][: LIMITS["fields"]]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    when = (
        f"started {_utc(alert.startsAt)}"
        if alert.status == "firing"
        else f"resolved {_utc(alert.endsAt)}"
    )
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": _clip(
                        f"{when} · fingerprint `{alert.fingerprint}`", LIMITS["context_text"]
                    ),
                }
            ],
        }
    )
    blocks.extend(_link_blocks(alert, external_url))
    return {"text": _clip(text, LIMITS["section_text"]), "blocks": blocks[: LIMITS["blocks"]]}


def plain_text(alert: Alert) -> str:
    """The alert as plain text, no blocks: what is posted when Slack refuses the blocks.

    Keeps the state, alert name, severity, summary and runbook link; the
    description is cut first when the whole is over :data:`PLAIN_MAX`.
    """
    summary = alert.annotations.get("summary") or alert.name
    head = f"[{alert.status.upper()}] {alert.name}: {summary}"
    tail = [f"severity: {alert.severity or 'unset'}"]
    if runbook := alert.annotations.get("runbook_url"):
        tail.append(f"runbook: {runbook}")
    tail_text = "\n".join(tail)
    room = PLAIN_MAX - len(tail_text) - 2
    head = _clip(head, max(room // 2, 200))
    description = alert.annotations.get("description", "") if alert.status == "firing" else ""
    space = room - len(head) - 1
    body = head + (f"\n{_clip(description, space)}" if description and space > 20 else "")
    return _clip(f"{body}\n{tail_text}", PLAIN_MAX)
