"""Pure parts of the bridge: config, payload parsing, Block Kit and the spool."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

from qobserve.alert_bridge.blocks import alert_message, silence_url
from qobserve.alert_bridge.config import ConfigError, load_config, resolve_secret
from qobserve.alert_bridge.payload import PayloadError, parse_payload
from qobserve.alert_bridge.server import spool_entries
from qobserve.alert_bridge.spool import Spool, SpoolEntry
from tests.alert_bridge.local_slack import payload

CHANNELS = {"page": "#oncall", "ticket": "#alerts"}


def _write(tmp_path, text: str):
    path = tmp_path / "bridge.yaml"
    path.write_text(text)
    return path


def test_config_example_loads(tmp_path):
    """The documented config shape loads with host and port split out."""
    cfg = load_config(_write(tmp_path, """
listen: 127.0.0.1:9095
slack: {token_env: SLACK_BOT_TOKEN, channels: {page: "#p", ticket: "#t"}}
spool_dir: /tmp/spool
auth: {bearer_token_env: BRIDGE_TOKEN}
"""))
    assert (cfg.host, cfg.port, cfg.slack.channels.page) == ("127.0.0.1", 9095, "#p")


@pytest.mark.parametrize(("text", "field"), [
    ("slack: {channels: {page: a, ticket: b}}\nspool_dir: x", "slack: set exactly one"),
    ("slack: {token_env: T, channels: {page: a}}\nspool_dir: x", "slack.channels.ticket"),
    ("slack: {token_env: T, channels: {page: a, ticket: b}}\nspool_dir: x\nlisten: nope",
     "listen must be host:port"),
    ("slack: {token_env: T, channels: {page: a, ticket: b}, colour: red}\nspool_dir: x",
     "slack.colour: unknown key"),
    ("slack: {token_env: T, channels: {page: a, ticket: b}}", "spool_dir"),
], ids=["no-transport", "no-ticket", "bad-listen", "unknown-key", "no-spool"])
def test_config_errors_name_the_field(tmp_path, text, field):
    """Invalid configs raise ConfigError naming the field at fault."""
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load_config(_write(tmp_path, text))


def test_missing_secret_names_variable_not_value(monkeypatch):
    """An unset secret variable is reported by name."""
    monkeypatch.delenv("NOPE_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="slack.token_env: environment variable NOPE_TOKEN"):
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
    assert fields == ["*severity*\npage", "*quantum_provider*\nqiskit",
                      "*quantum_backend*\nibm_brisbane"]
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
    extra = SpoolEntry("k2", "fp2", "resolved", "#alerts", {"text": "t", "blocks": []})
    spool.append([extra])
    first = spool.pending()[0]
    spool.mark_delivered(first, "1.0001")
    spool.close()
    reopened = Spool(tmp_path)
    assert [m.fingerprint for m in reopened.pending()] == ["fp2"]
    assert reopened.thread_ts(first.fingerprint, "#oncall") == "1.0001"
    reopened.close()
