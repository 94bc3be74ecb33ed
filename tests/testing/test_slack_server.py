"""The Slack Web API stand-in answers slack-sdk the way Slack does, faults included."""

from __future__ import annotations

import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from qobserve.testing.slack import LIMITS, block_errors


@pytest.fixture
def client(slack_server):
    return WebClient(token=slack_server.token, base_url=slack_server.api_url, timeout=5)


def test_post_then_history_returns_metadata_newest_first(slack_server, client):
    """Posts by name are stored under an ID; history pages newest first with metadata."""
    meta = {"event_type": "qobserve_alert", "event_payload": {"delivery_id": "d1"}}
    client.chat_postMessage(channel="#c", text="[FIRING] QuantumX: broken", metadata=meta)
    client.chat_postMessage(channel="#c", text="second")
    cid = slack_server.channel_id("#c")
    page = client.conversations_history(channel=cid, include_all_metadata=True, limit=1)
    assert page["messages"][0]["text"] == "second" and page["has_more"]
    rest = client.conversations_history(
        channel=cid,
        include_all_metadata=True,
        limit=1,
        cursor=page["response_metadata"]["next_cursor"],
    )
    assert rest["messages"][0]["metadata"] == meta and not rest["has_more"]
    plain = client.conversations_history(channel=cid)
    assert "metadata" not in plain["messages"][1]
    assert slack_server.messages("#c")[0].delivery_id == "d1"
    assert slack_server.messages()[0].alertname == "QuantumX"


def test_thread_replies_and_update(slack_server, client):
    """A reply is in conversations.replies, not in history; chat.update edits in place."""
    first = client.chat_postMessage(channel="#c", text="parent")
    client.chat_postMessage(channel="#c", text="reply", thread_ts=first["ts"])
    cid = first["channel"]
    assert [m["text"] for m in client.conversations_history(channel=cid)["messages"]] == ["parent"]
    replies = client.conversations_replies(channel=cid, ts=first["ts"])["messages"]
    assert [m["text"] for m in replies] == ["parent", "reply"]
    client.chat_update(channel=cid, ts=first["ts"], text="edited")
    assert slack_server.messages()[0].text == "edited"


def test_conversations_list_pages_and_missing_scope(slack_server, client):
    """conversations.list pages with a cursor, or answers missing_scope."""
    for name in ("a", "b", "c"):
        slack_server.channel_id(name)
    first = client.conversations_list(limit=2)
    rest = client.conversations_list(limit=2, cursor=first["response_metadata"]["next_cursor"])
    assert [c["name"] for c in first["channels"] + rest["channels"]] == ["a", "b", "c"]
    slack_server.missing_scopes = True
    with pytest.raises(SlackApiError, match="missing_scope"):
        client.conversations_list()


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (lambda s: s.refuse_channel("#c", "is_archived"), "is_archived"),
        (lambda s: s.refuse_messages(lambda body: "bad" in body["text"]), "invalid_blocks"),
    ],
)
def test_permanent_refusals(slack_server, client, fault, error):
    """Refused posts answer ok=false with the configured error and store nothing."""
    fault(slack_server)
    with pytest.raises(SlackApiError, match=error):
        client.chat_postMessage(channel="#c", text="bad")
    assert slack_server.messages() == []


def test_limits_are_enforced():
    """Blocks over Block Kit's limits are listed."""
    url = "https://x/" + "a" * LIMITS["button_url"]
    blocks = [
        {
            "type": "actions",
            "elements": [
                {"type": "button", "url": url, "text": {"type": "plain_text", "text": "x"}}
            ],
        }
    ]
    assert block_errors(blocks) == ["[0] button url over 3000"]
    assert block_errors([{"type": "divider"}] * 51) == ["more than 50 blocks"]


def test_oversized_post_is_refused(slack_server, client):
    """Slack refuses an over-long button URL with invalid_blocks and truncates long text."""
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Runbook"},
        "url": "https://x/" + "a" * 3500,
    }
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        client.chat_postMessage(
            channel="#c", text="t", blocks=[{"type": "actions", "elements": [button]}]
        )
    reply = client.chat_postMessage(channel="#c", text="x" * 40001)
    assert reply["response_metadata"]["warnings"] == ["message_truncated"]
    assert len(slack_server.messages()[0].text) == 40000


def test_slow_answer_stores_first(slack_server):
    """In slow mode the message is stored although the client times out."""
    slack_server.slow(2)
    impatient = WebClient(token=slack_server.token, base_url=slack_server.api_url, timeout=1)
    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel="#c", text="late")
    assert [m.text for m in slack_server.messages()] == ["late"]


def test_outage_rate_limit_and_auth(slack_server, client):
    """Outage answers 503, rate limits 429 with Retry-After, a wrong token invalid_auth."""
    slack_server.outage(True)
    with pytest.raises(SlackApiError) as err:
        client.auth_test()
    assert err.value.response.status_code == 503
    slack_server.outage(False)
    slack_server.rate_limit(1, retry_after=3)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="#c", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "3"
    assert client.api_test()["ok"] and client.auth_test()["ok"]
    with pytest.raises(SlackApiError, match="invalid_auth"):
        WebClient(token="xoxb-wrong", base_url=slack_server.api_url).chat_postMessage(
            channel="#c", text="x"
        )
    assert slack_server.rejected == 1


def test_stop_start_keeps_port(slack_server, client):
    """After stop() connections are refused; start() serves on the same port again."""
    slack_server.stop()
    with pytest.raises(OSError):
        client.auth_test()
    slack_server.start()
    t0 = time.monotonic()
    assert client.auth_test()["ok"] and time.monotonic() - t0 < 5
