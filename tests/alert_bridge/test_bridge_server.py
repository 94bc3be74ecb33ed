"""The bridge end to end against the Slack stand-in: threading, auth, retries, restarts."""

from __future__ import annotations

import json
import logging
import time

import pytest

from tests.alert_bridge.helpers import (
    BEARER,
    TOKEN,
    eventually,
    get,
    metrics,
    numbered,
    payload,
    post,
)


def _posts(slack) -> list[dict]:
    return [c for c in slack.calls if c["method"] == "chat.postMessage"]


def test_firing_then_resolved_threads_under_the_firing_message(bridge_factory, slack):
    """A resolved alert is posted in the thread of its firing message, in the page channel."""
    bridge = bridge_factory()
    assert post(bridge.url, payload("firing"))[0] == 200
    assert post(bridge.url, payload("resolved"))[0] == 200
    firing, resolved = slack.wait_for(2)
    assert firing.channel_name == "#oncall" and firing.thread_ts is None
    assert firing.blocks[0]["text"]["text"] == "FIRING: QuantumBackendDown"
    assert resolved.blocks[0]["text"]["text"] == "RESOLVED: QuantumBackendDown"
    assert resolved.thread_ts == firing.ts
    assert firing.metadata["event_type"] == "qobserve_alert" and firing.delivery_id


def test_ticket_severity_goes_to_ticket_channel(bridge_factory, slack):
    """severity=ticket alerts land in the ticket channel."""
    bridge = bridge_factory()
    post(bridge.url, numbered(1, severity="ticket"))
    assert slack.wait_for(1)[0].channel_name == "#alerts"


def test_repeated_notification_is_posted_once(bridge_factory, slack):
    """Alertmanager's repeat of the same firing alert does not post a second message."""
    bridge = bridge_factory()
    assert post(bridge.url, payload("firing"))[1]["queued"] == 1
    assert post(bridge.url, payload("firing"))[1]["queued"] == 0
    post(bridge.url, numbered(2))
    slack.wait_for(2)
    time.sleep(0.3)
    assert len(slack.messages()) == 2


def test_rate_limit_retry_after_is_honoured(bridge_factory, slack):
    """A 429 with Retry-After: 1 delays the retry by at least one second, then delivers."""
    slack.rate_limit(1, retry_after=1)
    bridge = bridge_factory()
    post(bridge.url, payload("firing"))
    slack.wait_for(1)
    refused, accepted = _posts(slack)[:2]
    assert refused["status"] == 429 and accepted["status"] == 200
    assert accepted["time"] - refused["time"] >= 1.0
    m = metrics(bridge.url)
    assert m[("qobserve_alert_bridge_delivery_failures_total", (("reason", "rate_limited"),))] == 1
    assert m[("qobserve_alert_bridge_messages_spooled_total", ())] == 1


def test_slack_5xx_is_retried(bridge_factory, slack):
    """HTTP 503 from Slack is retried until it succeeds."""
    slack.outage(True)
    bridge = bridge_factory()
    post(bridge.url, payload("firing"))
    eventually(lambda: any(c.get("status") == 503 for c in slack.calls), what="a refused call")
    slack.outage(False)
    assert len(slack.wait_for(1)) == 1


def test_slack_down_then_back_delivers_all_in_order_once(bridge_factory, slack):
    """Alerts received while Slack refuses connections are all delivered in order, none twice."""
    slack.stop()
    bridge = bridge_factory()
    for i in range(5):
        assert post(bridge.url, numbered(i))[0] == 200
    time.sleep(0.5)
    assert bridge.spool.pending_count() == 5
    assert metrics(bridge.url)[("qobserve_alert_bridge_oldest_pending_timestamp_seconds", ())] > 0
    slack.start()
    slack.wait_for(5)
    time.sleep(0.3)
    fps = [m.blocks[-2]["elements"][0]["text"].split("`")[1] for m in slack.messages()]
    assert fps == [f"fp{i:04d}" for i in range(5)]
    m = metrics(bridge.url)
    assert m[("qobserve_alert_bridge_spool_pending", ())] == 0
    assert m[("qobserve_alert_bridge_oldest_pending_timestamp_seconds", ())] == 0


def test_restart_while_slack_is_down_loses_nothing(bridge_factory, slack):
    """Spooled messages survive a bridge restart and the resolved one still threads."""
    slack.stop()
    first = bridge_factory()
    post(first.url, payload("firing"))
    post(first.url, numbered(1))
    post(first.url, payload("resolved"))
    first.close()
    slack.start()
    bridge_factory()
    got = slack.wait_for(3)
    time.sleep(0.3)
    assert len(slack.messages()) == 3
    assert [m.alert_status for m in got] == ["firing", "firing", "resolved"]
    assert got[2].thread_ts == got[0].ts


def test_webhook_transport_delivers(bridge_factory, slack):
    """With an incoming webhook the message goes to the webhook URL."""
    bridge = bridge_factory(webhook=True)
    post(bridge.url, payload("firing"))
    msg = slack.wait_for(1)[0]
    assert msg.channel_name == "#webhook" and msg.text.startswith("[FIRING] QuantumBackendDown")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (json.dumps({"version": "4"}).encode(), "groupKey"),
        (json.dumps({**payload("firing"), "version": "3"}).encode(), "version"),
        (
            json.dumps({**payload("firing"), "alerts": [{"status": "burning"}]}).encode(),
            "alerts.0.status",
        ),
        (b"[" * 100_000, "nests deeper than 32"),
    ],
    ids=["bad-json", "missing-fields", "version-3", "bad-status", "deep-nesting"],
)
def test_malformed_payloads_get_400_with_reason(bridge_factory, slack, raw, reason, caplog):
    """Bad JSON, deep nesting or a non-v4 shape is refused with 400 naming the problem."""
    bridge = bridge_factory()
    status, reply = post(bridge.url, None, raw=raw)
    assert status == 400 and reason in reply["reason"]
    assert bridge.spool.pending_count() == 0 and slack.messages() == []
    assert not any(r.exc_info for r in caplog.records), "no traceback for a client's mistake"


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_unauthenticated_requests_get_401(bridge_factory, slack, token):
    """Without the configured bearer token the request is refused."""
    bridge = bridge_factory()
    status, _ = post(bridge.url, payload("firing"), token=token)
    assert status == 401
    assert bridge.spool.pending_count() == 0
    key = ("qobserve_alert_bridge_requests_rejected_total", (("reason", "unauthorized"),))
    assert metrics(bridge.url)[key] == 1


def test_no_auth_configured_accepts_without_token(bridge_factory, slack):
    """Without an auth section no token is needed."""
    bridge = bridge_factory(auth=False)
    assert post(bridge.url, payload("firing"), token=None)[0] == 200


def test_healthz_readyz_and_metrics(bridge_factory, slack):
    """/healthz and /readyz answer ok and /metrics counts received and delivered alerts."""
    bridge = bridge_factory()
    assert get(bridge.url, "/healthz") == (200, b"ok\n")
    assert get(bridge.url, "/readyz") == (200, b"ok\n")
    post(bridge.url, payload("firing"))
    slack.wait_for(1)
    time.sleep(0.1)
    m = metrics(bridge.url)
    assert m[("qobserve_alert_bridge_alerts_received_total", (("status", "firing"),))] == 1
    assert m[("qobserve_alert_bridge_messages_delivered_total", (("status", "firing"),))] == 1
    assert m[("qobserve_alert_bridge_dead_letters", ())] == 0


@pytest.mark.parametrize("webhook", [False, True])
def test_secrets_never_logged(bridge_factory, slack, caplog, webhook):
    """Neither the bot token, the webhook URL nor the bearer token appears in any log record."""
    caplog.set_level(logging.DEBUG)
    slack.rate_limit(1, retry_after=0)
    bridge = bridge_factory(webhook=webhook)
    post(bridge.url, payload("firing"), token="wrong")
    post(bridge.url, payload("firing"))
    slack.wait_for(1)
    time.sleep(0.1)
    assert caplog.records, "the test must see the bridge's and slack-sdk's debug logs"
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "chat.postMessage" in text or "services" in text or "REDACTED" in text
    for secret in (TOKEN, BEARER, "WEBHOOKSECRET"):
        assert secret not in text
    assert TOKEN not in get(bridge.url, "/metrics")[1].decode()
