"""The bridge end to end against a local Slack API server."""

from __future__ import annotations

import copy
import json
import logging
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.alert_bridge.local_slack import BEARER, TOKEN, payload


def post(bridge, body, *, token: str | None = BEARER, raw: bytes | None = None):
    """POST to /alerts; returns (status, json reply)."""
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(f"{bridge.url}/alerts", data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def numbered(i: int, status: str = "firing") -> dict:
    """The captured payload with a distinct alert (fingerprint and backend) number ``i``."""
    body = copy.deepcopy(payload(status))
    alert = body["alerts"][0]
    alert["fingerprint"] = f"fp{i:04d}"
    alert["labels"]["quantum_backend"] = f"backend_{i}"
    return body


def metrics(bridge) -> dict[tuple[str, tuple], float]:
    text = urllib.request.urlopen(f"{bridge.url}/metrics", timeout=5).read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def test_firing_then_resolved_threads_under_the_firing_message(bridge_factory, slack):
    """A resolved alert is posted in the thread of its firing message, in the page channel."""
    bridge = bridge_factory()
    assert post(bridge, payload("firing"))[0] == 200
    assert post(bridge, payload("resolved"))[0] == 200
    firing, resolved = slack.wait_for(2)
    assert firing["channel"] == "#oncall" and "thread_ts" not in firing
    assert firing["blocks"][0]["text"]["text"] == "FIRING: QuantumBackendDown"
    assert resolved["blocks"][0]["text"]["text"] == "RESOLVED: QuantumBackendDown"
    assert resolved["thread_ts"] == "1700000000.000001"  # the ts Slack gave the firing one
    assert slack.requests[0]["path"] == "/api/chat.postMessage"


def test_ticket_severity_goes_to_ticket_channel(bridge_factory, slack):
    """severity=ticket alerts land in the ticket channel."""
    bridge = bridge_factory()
    body = numbered(1)
    body["alerts"][0]["labels"]["severity"] = "ticket"
    post(bridge, body)
    assert slack.wait_for(1)[0]["channel"] == "#alerts"


def test_repeated_notification_is_posted_once(bridge_factory, slack):
    """Alertmanager's repeat of the same firing alert does not post a second message."""
    bridge = bridge_factory()
    assert post(bridge, payload("firing"))[1]["queued"] == 1
    assert post(bridge, payload("firing"))[1]["queued"] == 0
    post(bridge, numbered(2))
    slack.wait_for(2)
    time.sleep(0.3)
    assert len(slack.posted()) == 2


def test_rate_limit_retry_after_is_honoured(bridge_factory, slack):
    """A 429 with Retry-After: 1 delays the retry by at least one second, then delivers."""
    slack.script.append((429, {"Retry-After": "1"}))
    bridge = bridge_factory()
    post(bridge, payload("firing"))
    slack.wait_for(1)
    refused, accepted = slack.requests[0], slack.requests[1]
    assert refused["status"] == 429 and accepted["status"] == 200
    assert accepted["time"] - refused["time"] >= 1.0


def test_persistent_rate_limit_is_spooled_and_retried(bridge_factory, slack):
    """When 429s outlast slack-sdk's own retries the message waits in the spool, then goes."""
    slack.script.extend([(429, {"Retry-After": "0"})] * 4)
    bridge = bridge_factory()
    post(bridge, payload("firing"))
    assert len(slack.wait_for(1)) == 1
    m = metrics(bridge)
    assert m[("qobserve_alert_bridge_delivery_failures_total", (("reason", "rate_limited"),))] >= 1
    assert m[("qobserve_alert_bridge_messages_spooled_total", ())] == 1


def test_server_errors_are_retried(bridge_factory, slack):
    """HTTP 500 from Slack is retried until it succeeds."""
    slack.script.extend([(500, {}), (500, {})])
    bridge = bridge_factory()
    post(bridge, payload("firing"))
    slack.wait_for(1)
    assert [r["status"] for r in slack.requests] == [500, 500, 200]


def test_slack_down_then_back_delivers_all_in_order_once(bridge_factory, slack):
    """Alerts received while Slack is down are all delivered in order, none twice."""
    slack.stop()
    bridge = bridge_factory()
    for i in range(5):
        assert post(bridge, numbered(i))[0] == 200
    time.sleep(0.5)
    assert bridge.spool.pending_count() == 5
    slack.start()
    got = slack.wait_for(5)
    time.sleep(0.3)
    fps = [b["blocks"][-2]["elements"][0]["text"].split("`")[1] for b in slack.posted()]
    assert fps == [f"fp{i:04d}" for i in range(5)]
    assert len(got) == 5
    assert metrics(bridge)[("qobserve_alert_bridge_spool_pending", ())] == 0


def test_restart_while_slack_is_down_loses_nothing(bridge_factory, slack):
    """Spooled messages survive a bridge restart and the resolved one still threads."""
    slack.stop()
    first = bridge_factory()
    post(first, payload("firing"))
    post(first, numbered(1))
    post(first, payload("resolved"))
    first.close()
    slack.start()
    bridge_factory()
    got = slack.wait_for(3)
    time.sleep(0.3)
    assert len(slack.posted()) == 3
    assert [b["blocks"][0]["text"]["text"].split(":")[0] for b in got] == [
        "FIRING", "FIRING", "RESOLVED"]
    assert got[2]["thread_ts"] == "1700000000.000001"


def test_webhook_transport_delivers(bridge_factory, slack):
    """With an incoming webhook the message goes to the webhook URL."""
    bridge = bridge_factory(webhook=True)
    post(bridge, payload("firing"))
    body = slack.wait_for(1)[0]
    assert slack.requests[0]["path"] == "/services/T000/B000/WEBHOOKSECRET"
    assert body["text"].startswith("[FIRING] QuantumBackendDown")


@pytest.mark.parametrize(("raw", "reason"), [
    (b"{not json", "not valid JSON"),
    (json.dumps({"version": "4"}).encode(), "groupKey"),
    (json.dumps({**payload("firing"), "version": "3"}).encode(), "version"),
    (json.dumps({**payload("firing"), "alerts": [{"status": "burning"}]}).encode(),
     "alerts.0.status"),
], ids=["bad-json", "missing-fields", "version-3", "bad-status"])
def test_malformed_payloads_get_400_with_reason(bridge_factory, slack, raw, reason):
    """Bad JSON or a non-v4 shape is refused with 400 naming the problem; nothing is sent."""
    bridge = bridge_factory()
    status, reply = post(bridge, None, raw=raw)
    assert status == 400 and reason in reply["reason"]
    assert bridge.spool.pending_count() == 0 and slack.requests == []


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_unauthenticated_requests_get_401(bridge_factory, slack, token):
    """Without the configured bearer token the request is refused."""
    bridge = bridge_factory()
    status, _ = post(bridge, payload("firing"), token=token)
    assert status == 401
    assert bridge.spool.pending_count() == 0
    key = ("qobserve_alert_bridge_requests_rejected_total", (("reason", "unauthorized"),))
    assert metrics(bridge)[key] == 1


def test_no_auth_configured_accepts_without_token(bridge_factory, slack):
    """Without an auth section no token is needed."""
    bridge = bridge_factory(auth=False)
    assert post(bridge, payload("firing"), token=None)[0] == 200


def test_healthz_and_metrics(bridge_factory, slack):
    """/healthz answers ok and /metrics counts received and delivered alerts."""
    bridge = bridge_factory()
    assert urllib.request.urlopen(f"{bridge.url}/healthz").read() == b"ok\n"
    post(bridge, payload("firing"))
    slack.wait_for(1)
    time.sleep(0.1)
    m = metrics(bridge)
    assert m[("qobserve_alert_bridge_alerts_received_total", (("status", "firing"),))] == 1
    assert m[("qobserve_alert_bridge_messages_delivered_total", (("status", "firing"),))] == 1


@pytest.mark.parametrize("webhook", [False, True])
def test_secrets_never_logged(bridge_factory, slack, caplog, webhook):
    """Neither the bot token, the webhook URL nor the bearer token appears in any log record."""
    caplog.set_level(logging.DEBUG)
    slack.script.extend([(500, {}), (429, {"Retry-After": "0"})])
    bridge = bridge_factory(webhook=webhook)
    post(bridge, payload("firing"), token="wrong")
    post(bridge, payload("firing"))
    slack.wait_for(1)
    time.sleep(0.1)
    assert caplog.records, "the test must see the bridge's and slack-sdk's debug logs"
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "chat.postMessage" in text or "services" in text or "REDACTED" in text
    for secret in (TOKEN, BEARER, "WEBHOOKSECRET"):
        assert secret not in text
