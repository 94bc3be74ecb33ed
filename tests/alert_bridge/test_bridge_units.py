"""Pure parts of the bridge: config, payload parsing, Block Kit and the spool."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

import pytest

from qobserve.alert_bridge.blocks import alert_message, plain_text, silence_url
from qobserve.alert_bridge.config import ConfigError, load_config, resolve_secret
from qobserve.alert_bridge.payload import PayloadError, parse_payload
from qobserve.alert_bridge.server import spool_entries
from qobserve.alert_bridge.spool import Spool, SpoolEntry
from tests.alert_bridge.helpers import CHANNELS, payload


def _write(tmp_path, text: str):
    path = tmp_path / "bridge.yaml"
    path.write_text(text)
    return path


def test_config_example_loads(tmp_path):
    """The documented config shape loads with host and port split out."""
    cfg = load_config(
        _write(
            tmp_path,
            """
listen: 127.0.0.1:9095
slack: {token_env: SLACK_BOT_TOKEN, channels: {page: "#p", ticket: "#t"}}
spool_dir: /tmp/spool
auth: {bearer_token_env: BRIDGE_TOKEN}
""",
        )
    )
    assert (cfg.host, cfg.port, cfg.slack.channels.page) == ("127.0.0.1", 9095, "#p")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("slack: {channels: {page: a, ticket: b}}\nspool_dir: x", "slack: set exactly one"),
        ("slack: {token_env: T, channels: {page: a}}\nspool_dir: x", "slack.channels.ticket"),
        (
            "slack: {token_env: T, channels: {page: a, ticket: b}}\nspool_dir: x\nlisten: nope",
            "listen must be host:port",
        ),
        (
            "slack: {token_env: T, channels: {page: a, ticket: b}, colour: red}\nspool_dir: x",
            "slack.colour: unknown key",
        ),
        (
            "slack: {token_env: T, channels: {page: a, ticket: b}}\ndelivery: {backoff_max: 0s}",
            "delivery.backoff_max",
        ),
        (
            "slack: {token_env: T, channels: {page: a, ticket: b}}\nhttp: {max_connections: 0}",
            "http.max_connections",
        ),
    ],
    ids=["no-transport", "no-ticket", "bad-listen", "unknown-key", "bad-backoff", "bad-http"],
)
def test_config_errors_name_the_field(tmp_path, text, field):
    """Invalid configs raise ConfigError naming the field at fault."""
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load_config(_write(tmp_path, text))


def test_missing_secret_names_variable_not_value(monkeypatch):
    """An unset secret variable is reported by name."""
    monkeypatch.delenv("NOPE_TOKEN", raising=False)
    with pytest.raises(
        ConfigError, match=re.escape("slack.token_env: environment variable NOPE_TOKEN")
    ):
        resolve_secret("NOPE_TOKEN", "slack.token_env")


def test_captured_payload_parses():
    """The payload captured from Alertmanager 0.25 validates."""
    p = parse_payload(json.dumps(payload("firing")).encode())
    assert p.alerts[0].name == "QuantumBackendDown" and p.alerts[0].severity == "page"


def test_bad_timestamp_is_rejected_with_field():
    """A malformed startsAt names the field."""
    body = payload("firing")
    body["alerts"][0]["startsAt"] = "yesterday"
    with pytest.raises(PayloadError, match=r"alerts\.0\.startsAt"):
        parse_payload(json.dumps(body).encode())


def test_firing_message_blocks():
    """A firing alert becomes header, summary, description, label fields, context and buttons."""
    p = parse_payload(json.dumps(payload("firing")).encode())
    msg = alert_message(p.alerts[0], external_url=p.externalURL)
    assert msg["text"] == "[FIRING] QuantumBackendDown: Backend ibm_brisbane (qiskit) is down"
    kinds = [b["type"] for b in msg["blocks"]]
    assert kinds == ["header", "section", "section", "section", "context", "actions"]
    fields = [f["text"] for f in msg["blocks"][3]["fields"]]
    assert fields == [
        "*severity*\npage",
        "*quantum_provider*\nqiskit",
        "*quantum_backend*\nibm_brisbane",
    ]
    buttons = {b["action_id"]: b["url"] for b in msg["blocks"][-1]["elements"]}
    assert buttons["runbook"].endswith("runbooks/QuantumBackendDown.md")
    assert buttons["dashboard"].startswith("http://grafana.local/d/qobserve-oncall")
    assert 'alertname="QuantumBackendDown"' in unquote(buttons["silence"])
    assert "2026-11-25 18:27:20 UTC" in msg["blocks"][4]["elements"][0]["text"]


def test_resolved_message_has_no_silence_button():
    """A resolved alert shows when it resolved and offers no silence."""
    p = parse_payload(json.dumps(payload("resolved")).encode())
    msg = alert_message(p.alerts[0], external_url=p.externalURL)
    assert msg["blocks"][0]["text"]["text"] == "RESOLVED: QuantumBackendDown"
    assert "resolved 2026-11-25 18:27:21 UTC" in msg["blocks"][-2]["elements"][0]["text"]
    assert {b["action_id"] for b in msg["blocks"][-1]["elements"]} == {"runbook", "dashboard"}


def test_long_summary_is_clipped_to_slack_limits():
    """Header and section texts respect Slack's length limits."""
    body = payload("firing")
    body["alerts"][0]["labels"]["alertname"] = "X" * 300
    body["alerts"][0]["annotations"]["summary"] = "y" * 5000
    msg = alert_message(parse_payload(json.dumps(body).encode()).alerts[0])
    assert len(msg["blocks"][0]["text"]["text"]) == 150
    assert len(msg["blocks"][1]["text"]["text"]) == 3000


def test_silence_url_skips_target_labels():
    """Silences match the alert's identity, not the scrape target."""
    url = unquote(silence_url("http://am:9093/", {"alertname": "A", "instance": "x:1", "b": "c"}))
    assert url == 'http://am:9093/#/silences/new?filter={alertname="A", b="c"}'
    assert silence_url("", {"alertname": "A"}) is None


def test_spool_orders_dedupes_and_persists(tmp_path):
    """Appends are ordered, duplicates dropped, and state survives reopening."""
    p = parse_payload(json.dumps(payload("firing")).encode())
    spool = Spool(tmp_path)
    entries = spool_entries(p, CHANNELS)
    assert spool.append(entries) == 1 and spool.append(entries) == 0
    extra = SpoolEntry("k2", "d2", "fp2", "resolved", "#alerts", {"text": "t", "blocks": []})
    spool.append([extra])
    first = spool.pending()[0]
    spool.mark_delivered(first, "1.0001", "C1")
    spool.close()
    reopened = Spool(tmp_path)
    assert [m.fingerprint for m in reopened.pending()] == ["fp2"]
    assert reopened.pending("#oncall") == [] and reopened.lanes() == ["#alerts"]
    assert reopened.thread_ts(first.fingerprint, "C1") == "1.0001"
    reopened.close()


def test_spool_in_doubt_dead_letters_and_replay(tmp_path):
    """A begun attempt stays in doubt across reopening; dead letters leave pending until replayed."""
    spool = Spool(tmp_path)
    spool.append([SpoolEntry("k1", "d1", "fp1", "firing", "#a", {"text": "t", "blocks": []})])
    msg = spool.pending()[0]
    spool.begin_attempt(msg)
    spool.close()
    spool = Spool(tmp_path)
    msg = spool.pending()[0]
    assert msg.in_doubt and spool.oldest_pending() == msg.created
    spool.dead_letter(msg, "channel_not_found")
    assert spool.pending() == [] and spool.dead_count() == 1 and spool.oldest_pending() == 0
    assert [(d.id, d.error) for d in spool.dead_letters()] == [(msg.id, "channel_not_found")]
    assert spool.retry_dead_letters() == 1
    again = spool.pending()[0]
    assert (again.stage, again.in_doubt, spool.dead_count()) == (0, False, 0)
    spool.close()


def test_delivery_ids_are_stable_and_distinct():
    """The same alert gets the same delivery id in every replica; firing and resolved differ."""
    firing = spool_entries(parse_payload(json.dumps(payload("firing")).encode()), CHANNELS)[0]
    again = spool_entries(parse_payload(json.dumps(payload("firing")).encode()), CHANNELS)[0]
    resolved = spool_entries(parse_payload(json.dumps(payload("resolved")).encode()), CHANNELS)[0]
    assert firing.delivery_id == again.delivery_id != resolved.delivery_id
    assert resolved.message["firing_delivery_id"] == firing.delivery_id


@pytest.mark.parametrize(
    "make_bad",
    [
        lambda tmp: (tmp / "file").write_text("x") and tmp / "file",
        lambda tmp: (tmp / "file").write_text("x") and tmp / "file" / "sub",
    ],
    ids=["a-file", "below-a-file"],
)
def test_unusable_spool_dir_is_one_line_naming_the_field(tmp_path, make_bad):
    """A spool_dir that is a file (or below one) is a ConfigError naming spool_dir."""
    cfg = load_config(
        _write(
            tmp_path,
            f"slack: {{token_env: T, channels: {{page: a, ticket: b}}}}"
            f"\nspool_dir: {make_bad(tmp_path)}\n",
        )
    )
    with pytest.raises(ConfigError, match=r"^spool_dir: .* is not a writable directory") as err:
        cfg.spool_path()
    assert "\n" not in str(err.value)


def test_spool_defaults_to_the_state_dir(tmp_path, monkeypatch):
    """Without spool_dir the spool lives in <state_dir>/alert-bridge ($QOBSERVE_STATE_DIR too)."""
    cfg = load_config(
        _write(
            tmp_path,
            "slack: {token_env: T, channels: {page: a, ticket: b}}\n"
            f"state_dir: {tmp_path / 'state'}\n",
        )
    )
    assert cfg.spool_path() == tmp_path / "state" / "alert-bridge"
    monkeypatch.setenv("QOBSERVE_STATE_DIR", str(tmp_path / "env"))
    cfg = load_config(_write(tmp_path, "slack: {token_env: T, channels: {page: a, ticket: b}}"))
    assert cfg.spool_path() == tmp_path / "env" / "alert-bridge"


def _oversized() -> dict:
    """An alert with a 5,000-character description, a 3,500-character runbook URL, 60 labels."""
    body = payload("firing")
    alert = body["alerts"][0]
    alert["annotations"]["description"] = "d" * 5000
    alert["annotations"]["runbook_url"] = "https://runbooks.example/" + "r" * 3475
    alert["labels"].update({f"label_{i:02d}": "v" * 40 for i in range(60)})
    return body


def test_oversized_alert_fits_slack_limits_keeping_essentials():
    """Trimmed to Block Kit's limits; name, severity, summary and runbook link survive."""
    from qobserve.testing.slack import block_errors

    alert = parse_payload(json.dumps(_oversized()).encode()).alerts[0]
    msg = alert_message(alert, external_url="http://am:9093")
    assert block_errors(msg["blocks"]) == []
    text = json.dumps(msg["blocks"])
    assert "QuantumBackendDown" in text and "*severity*\\npage" in text
    assert "Backend ibm_brisbane (qiskit) is down" in text
    long_links = next(
        b
        for b in msg["blocks"]
        if b["type"] == "section" and b.get("text", {}).get("type") == "plain_text"
    )["text"]["text"]
    assert long_links.startswith("*Runbook:* https://runbooks.example/rrr")
    assert {e["action_id"] for e in msg["blocks"][-1]["elements"]} == {"dashboard"}
    assert msg["blocks"][2]["text"]["text"].endswith("…")
    assert len(msg["blocks"][2]["text"]["text"]) == 3000


def test_plain_text_keeps_name_severity_summary_and_runbook():
    """The degraded form is short plain text with the essentials."""
    alert = parse_payload(json.dumps(_oversized()).encode()).alerts[0]
    text = plain_text(alert)
    assert len(text) <= 4000
    assert text.startswith("[FIRING] QuantumBackendDown: Backend ibm_brisbane (qiskit) is down")
    assert "severity: page" in text and "runbook: https://runbooks.example/" in text


def test_prune_forgets_only_old_delivered_messages(tmp_path):
    """Delivered messages past the retention go; pending and recent ones stay."""
    spool = Spool(tmp_path)
    spool.append(
        [SpoolEntry(f"k{i}", f"d{i}", f"fp{i}", "firing", "#a", {"text": "t"}) for i in range(3)]
    )
    first, second, _ = spool.pending()
    spool.mark_delivered(first, "1.1", "C1")
    spool.mark_delivered(second, "1.2", "C1")
    assert spool.prune(3600) == 0
    assert spool.prune(-1) == 2  # everything delivered counts as old
    assert [m.fingerprint for m in spool.pending()] == ["fp2"]
    assert spool.thread_ts("fp0", "C1") is None
    spool.close()


def test_spool_of_an_older_bridge_is_migrated(tmp_path):
    """A spool written before delivery ids and dead letters opens with its pending message."""
    import sqlite3

    db = sqlite3.connect(tmp_path / "spool.sqlite3")
    db.executescript(
        "CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, dedupe_key TEXT NOT NULL"
        " UNIQUE, fingerprint TEXT NOT NULL, status TEXT NOT NULL, channel TEXT NOT NULL,"
        " body TEXT NOT NULL, created REAL NOT NULL);"
        "CREATE TABLE deliveries (message_id INTEGER PRIMARY KEY, ts TEXT, delivered REAL NOT NULL);"
        "INSERT INTO messages (dedupe_key, fingerprint, status, channel, body, created)"
        " VALUES ('k', 'fp', 'firing', '#a', '{\"text\": \"t\", \"blocks\": []}', 1.0);"
    )
    db.commit()
    db.close()
    spool = Spool(tmp_path)
    (msg,) = spool.pending("#a")
    assert (msg.fingerprint, msg.delivery_id, msg.stage) == ("fp", "spool-1", 0)
    spool.close()


@pytest.mark.parametrize(("host", "index"), [("qobserve-alert-bridge-1", 1), ("bridge-0", 0)])
def test_replica_index_auto_from_the_host_name(monkeypatch, host, index):
    """replica.index: auto is the StatefulSet ordinal at the end of the host name."""
    from qobserve.alert_bridge.config import ReplicaConfig

    monkeypatch.setenv("HOSTNAME", host)
    assert ReplicaConfig(index="auto").position() == index
    monkeypatch.setenv("HOSTNAME", "laptop")
    with pytest.raises(
        ConfigError, match=re.escape("replica.index: auto needs a host name ending in -N")
    ):
        ReplicaConfig(index="auto").position()


def test_channel_names_resolve_once_and_again_only_when_missing(slack_server):
    """Names resolve with one conversations.list; an unknown name re-lists at most every 10 min."""
    from qobserve.alert_bridge.slack import WebApiSender

    slack_server.channel_id("#oncall")
    sender = WebApiSender(slack_server.token, base_url=slack_server.api_url, timeout=5)
    assert sender.resolve("#oncall") == slack_server.channel_id("#oncall")
    assert sender.resolve("oncall") == slack_server.channel_id("#oncall")
    assert sender.resolve("C0123ABCD9") == "C0123ABCD9"  # an ID needs no look-up
    assert sender.resolve("#later") == "#later"  # not (yet) a channel: the name is used
    lists = [c for c in slack_server.calls if c["method"] == "conversations.list"]
    assert len(lists) == 1
