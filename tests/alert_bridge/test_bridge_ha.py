"""Real processes: the bridge SIGKILLed mid-post, and two bridges behind two clustered Alertmanagers."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
import yaml

from qobserve.testing import Service
from qobserve.testing.services import free_port, spawn_python
from tests.alert_bridge.conftest import bridge_config
from tests.alert_bridge.helpers import BEARER, TOKEN, eventually, metrics, numbered, post
from tests.alert_bridge.test_bridge_e2e_alertmanager import alertmanager_config, page_alert

pytestmark = pytest.mark.integration


def start_bridge(server, workdir: Path, **options) -> Service:
    """``qobserve alert-bridge --config FILE`` as a real subprocess, ready."""
    port = free_port()
    config = bridge_config(server, workdir / "spool", **options)
    config["listen"] = f"127.0.0.1:{port}"
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "bridge.yaml").write_text(yaml.safe_dump(config))
    bridge = spawn_python(
        "alert-bridge",
        ["alert-bridge", "--config", str(workdir / "bridge.yaml")],
        port,
        workdir,
        env={"TEST_SLACK_TOKEN": TOKEN, "TEST_BRIDGE_BEARER": BEARER},
        stop_signal=signal.SIGINT,
    )
    return bridge.wait_ready("/healthz", timeout=30)


def _fingerprints(slack) -> list[str]:
    return [
        b["elements"][0]["text"].split("`")[1]
        for m in slack.messages()
        for b in m.blocks
        if b["type"] == "context"
    ]


def test_sigkill_mid_post_then_restart_posts_once(slack, tmp_path):
    """SIGKILL while Slack holds a post open (stored, not yet answered); the restarted bridge
    finds the message in the channel and does not post it again."""
    slack.slow(30)
    bridge = start_bridge(slack, tmp_path / "bridge", slack={"timeout": "20s"})
    try:
        assert post(bridge.url, numbered(1))[0] == 200
        slack.wait_for(1, timeout=15)  # stored by Slack; the bridge still waits for the answer
        bridge.process.send_signal(signal.SIGKILL)
        bridge.process.wait(10)
    finally:
        bridge.stop()
    slack.slow(0)
    again = start_bridge(slack, tmp_path / "bridge", slack={"timeout": "20s"})
    try:
        eventually(
            lambda: metrics(again.url)[("qobserve_alert_bridge_spool_pending", ())] == 0,
            timeout=20,
            what="the in-doubt message settled",
        )
        time.sleep(1.0)
        assert _fingerprints(slack) == ["fp0001"]
        assert any(c["method"] == "conversations.history" for c in slack.calls)
    finally:
        again.stop()


def test_two_alertmanagers_two_bridges_one_message_each(slack, tmp_path, alertmanager_cluster):
    """Two clustered Alertmanagers, each posting to its own bridge replica, both fed the same
    alerts: one Slack message per alert, also after one bridge is SIGKILLed."""
    bridges = [
        start_bridge(slack, tmp_path / f"bridge{i}", replica={"index": i, "stagger": "2s"})
        for i in range(2)
    ]
    try:
        # Returned once the two have formed a cluster.
        ams = alertmanager_cluster(
            [alertmanager_config(tmp_path, bridges[i].url, name=f"am{i}.yml") for i in range(2)],
            peer_timeout="3s",
        )
        first = page_alert(backend="backend_a")
        for am in ams:
            am.post("/api/v2/alerts", [first])
        slack.wait_for(1, timeout=30)
        time.sleep(7)  # peer timeout (3 s) + replica stagger (2 s) + margin: no second post
        assert [m.text for m in slack.messages()] == [
            "[FIRING] QuantumBackendDown: backend_a is down"
        ]

        bridges[0].process.send_signal(signal.SIGKILL)
        bridges[0].process.wait(10)
        second = page_alert(backend="backend_b")
        for am in ams:
            am.post("/api/v2/alerts", [second])
        slack.wait_for(2, timeout=40)
        time.sleep(7)
        texts = [m.text for m in slack.messages()]
        assert texts.count("[FIRING] QuantumBackendDown: backend_b is down") == 1, texts
        assert len(texts) == 2, texts
    finally:
        for svc in bridges:
            svc.stop()
