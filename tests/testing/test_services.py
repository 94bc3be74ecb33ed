"""The qobserve.testing fixtures start real services, answer, and leave nothing behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

import qobserve.testing
from qobserve.testing import MissingBinary, Service, find_binary, missing_packages
from qobserve.testing.services import PROMETHEUS, spawn, wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
#: Alertmanager routing everything to a receiver that never notifies.
AM_CONFIG = {
    "route": {"receiver": "null", "group_wait": "1s", "group_interval": "1s"},
    "receivers": [{"name": "null"}],
}
#: Services the tests below leave to their fixture's teardown; the last test checks them.
LEFT_TO_TEARDOWN: list = []


def _gone(service) -> bool:
    """The process has exited and been reaped, and its temp dir is removed."""
    return (
        not psutil.pid_exists(service.process.pid)
        or psutil.Process(service.process.pid).status() == psutil.STATUS_ZOMBIE
    ) and not service.log_path.parent.exists()


def test_plugin_is_this_checkout():
    """The plugin pytest loaded is the qobserve.testing of the code under test."""
    assert Path(qobserve.testing.__file__).is_relative_to(ROOT)


def test_prometheus_scrapes_evaluates_reloads_and_stops(prometheus, free_port, tmp_path):
    """Rules load, a reloaded config scrapes Prometheus itself, queries answer or say why not."""
    rules = tmp_path / "r.rules.yml"
    rules.write_text("groups: [{name: g, rules: [{record: test:one, expr: vector(1)}]}]\n")
    prom = prometheus(rule_files=[rules], scrape_targets={"self": "127.0.0.1:1"})
    prom.reload(prometheus_config_with_self(prom, rules))
    assert prom.wait_for('up{job="prom"} == 1', timeout=20)
    assert float(prom.wait_for("test:one", timeout=20)[0]["value"][1]) == 1.0
    assert [g["name"] for g in prom.rule_groups()] == ["g"]
    with pytest.raises(qobserve.testing.ServiceError, match="parse error"):
        prom.query("sum(")
    with pytest.raises(qobserve.testing.ServiceError, match=re.escape("not within 0.5 s")):
        prom.wait_for("absent_metric_xyz", timeout=0.5)
    LEFT_TO_TEARDOWN.append(prom)


def prometheus_config_with_self(prom, rules) -> dict:
    return qobserve.testing.prometheus_config(
        rule_files=[rules], scrape_targets={"prom": f"127.0.0.1:{prom.port}"}
    )


def test_alertmanager_takes_alerts_and_stops(alertmanager):
    """Posted alerts are listed; stop() ends the process and removes its directory."""
    am = alertmanager(AM_CONFIG)
    am.post_alerts({"labels": {"alertname": "TestAlert", "severity": "page"}})
    assert [a["labels"]["alertname"] for a in am.alerts(active=True)] == ["TestAlert"]
    am.stop()
    assert _gone(am)


def test_alertmanager_cluster_gossips_silences(alertmanager_cluster):
    """A silence created on one replica is visible on the other."""
    one, two = alertmanager_cluster(AM_CONFIG, replicas=2)
    assert len(one.peers()) == len(two.peers()) == 2
    silence = one.silence({"alertname": "TestAlert"})
    found = wait_until(
        lambda: [s for s in two.silences() if s["id"] == silence],
        timeout=10,
        what="the silence gossiped to the second replica",
    )
    assert found[0]["status"]["state"] == "active"
    two.kill()
    assert one.process.poll() is None
    LEFT_TO_TEARDOWN.extend([one, two])


def test_redis_server_answers_and_stops(redis_server):
    """redis-server answers SET/GET on its URL."""
    client = redis_server.client()
    client.set("k", "v")
    assert (
        client.get("k") == b"v" and redis_server.url == f"redis://127.0.0.1:{redis_server.port}/0"
    )
    client.close()
    LEFT_TO_TEARDOWN.append(redis_server)


def test_fixtures_left_nothing_running():
    """Teardown of the tests above stopped every process and removed every temp dir."""
    assert len(LEFT_TO_TEARDOWN) == 4
    assert [s.name for s in LEFT_TO_TEARDOWN if not _gone(s)] == []


def test_failed_start_names_the_cause():
    """Prometheus refusing its config fails at once with the tail of its output."""
    with pytest.raises(
        qobserve.testing.ServiceError,
        match=r"(?s)prometheus exited with 2 .*cannot unmarshal .*not-a-list",
    ):
        qobserve.testing.start_prometheus(config="scrape_configs: not-a-list\n", timeout=20)


def test_stop_kills_what_ignores_sigterm(tmp_path):
    """A process that ignores SIGTERM is killed once the stop timeout passes."""
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)"
    service = spawn(
        "stubborn", [sys.executable, "-c", code], "http://127.0.0.1:9", tmp_path, cls=Service
    )
    wait_until(lambda: "up" in service.log_tail(), timeout=10, what="the child up", service=service)
    service.stop(timeout=0.5)
    assert service.process.returncode == -signal.SIGKILL


def test_bogus_binary_variable_is_named(monkeypatch):
    """PROMETHEUS_BIN overrides PATH; a bogus one is reported with the Debian package."""
    monkeypatch.setenv("PROMETHEUS_BIN", "/nonexistent/prometheus")
    with pytest.raises(
        MissingBinary,
        match=r"PROMETHEUS_BIN=/nonexistent/prometheus .*"
        r"apt-get install prometheus",
    ):
        find_binary(PROMETHEUS)
    assert missing_packages() == ["prometheus"]


SAMPLE = textwrap.dedent("""
    def test_needs_prometheus(prometheus):
        prometheus()

    def test_runs():
        pass
""")


@pytest.mark.parametrize(
    ("env", "required"),
    [
        ({}, False),
        ({"CI": "true"}, True),
        ({"QOBSERVE_REQUIRE_SERVICES": "1"}, True),
        ({"CI": "true", "QOBSERVE_REQUIRE_SERVICES": "0"}, False),
        ({"CI": "false"}, False),
    ],
)
def test_services_required_in_ci(monkeypatch, env, required):
    """CI=true requires the services; QOBSERVE_REQUIRE_SERVICES, when set, decides instead."""
    from qobserve.testing._fixtures import services_required

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("QOBSERVE_REQUIRE_SERVICES", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert services_required() is required


@pytest.mark.parametrize(("ci", "outcome"), [("", "skipped"), ("true", "failed")])
def test_missing_binary_skips_or_fails(tmp_path, ci, outcome):
    """A missing prometheus skips with one line naming the package; with CI=true it fails."""
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    env = {k: v for k, v in os.environ.items() if k != "QOBSERVE_REQUIRE_SERVICES"}
    env.update(
        CI=ci, COLUMNS="400", PROMETHEUS_BIN=str(tmp_path / "no-prometheus"), PYTHONPATH=str(ROOT)
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "qobserve.testing",
            "-p",
            "no:cacheprovider",
            "-rsf",
            "-q",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = result.stdout
    assert f"1 {outcome}, 1 passed" in out or f"1 passed, 1 {outcome}" in out, out
    (line,) = [ln for ln in out.splitlines() if ln.startswith(outcome.upper())]
    assert "no-prometheus is not an executable" in line and "apt-get install prometheus" in line, (
        out
    )
    assert "During handling" not in out, out
