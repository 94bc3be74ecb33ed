"""The demo stack end to end: a real Prometheus and Alertmanager page through the bridge to Slack.

One module-scoped run of the scripted scenario (compressed windows, 1 s
scrapes and evaluations); the tests then check, through the Prometheus and
Alertmanager HTTP APIs and the Slack sink, what it did.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest
from rich.console import Console

from qobserve.semconv import LABEL, Attr
from qobserve.stack import Scenario, Stack, StackOptions, Timings, leftover_processes
from qobserve.stack.scenario import PAGE_ALERT, STALE_ALERT
from qobserve.stack.traces import job_tree, pick_job, read_spans
from qobserve.testing import find_binary
from qobserve.testing.services import ALERTMANAGER, PROMETHEUS

# Without Prometheus or Alertmanager, Stack.start() and find_binary raise MissingBinary, which
# the qobserve.testing plugin turns into a skip, or a failure in CI.
pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
_B = LABEL[Attr.BACKEND]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Run the whole scenario once; capture API answers at each phase end and at the end."""
    from qobserve.stack import view

    at_end_of: dict[str, dict] = {}
    # Other tests' session fixtures (a redis-server) may be children of pytest too.
    before = set(leftover_processes())
    stack = Stack(StackOptions(workdir=tmp_path_factory.mktemp("stack")))
    console = Console(record=True, width=160, file=io.StringIO())

    def on_phase_end(phase) -> None:
        at_end_of[phase.name] = {
            "alertmanager": stack.active_alerts(),
            "prometheus": stack.query('ALERTS{alertstate="firing"}'),
            "ended": phase.ended,
        }
        console.print(view.render(scenario))

    with stack:
        scenario = Scenario(
            stack,
            Timings(healthy=10, outage=12, hold=2, phase_timeout=120),
            on_phase_end=on_phase_end,
        )
        result = scenario.run()
        page_ever = stack.query(
            f'max_over_time(ALERTS{{alertname="{PAGE_ALERT}",alertstate="firing"}}[15m])'
        )
        final = SimpleNamespace(
            alertmanager=stack.active_alerts(),
            page_now=stack.query(f'ALERTS{{alertname="{PAGE_ALERT}"}}'),
            page_ever=page_ever,
            rules=stack.prometheus.get("/api/v1/rules"),
            targets=stack.targets_up(),
        )
        pids = [s.process.pid for s in stack.services.values()]
        messages = stack.messages()
    return SimpleNamespace(
        result=result,
        at_end_of=at_end_of,
        final=final,
        pids=pids,
        before=before,
        messages=messages,
        stack=stack,
        view=console.export_text(),
    )


def _names(alerts: list[dict]) -> set[str]:
    return {a["labels"]["alertname"] for a in alerts}


def test_every_phase_completes(run):
    """Each phase saw what it demonstrates before its timeout."""
    assert [(p.name, p.completed) for p in run.result.phases] == [
        ("healthy", True),
        ("outage", True),
        ("stale", True),
        ("recovery", True),
    ], "\n".join(f"{e.kind}: {e.text}" for e in run.result.timeline)


def test_generated_rules_loaded_and_targets_scraped(run):
    """Prometheus loaded the demo's generated rule groups without errors and scraped every target."""
    groups = run.final.rules["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    assert {r["name"] for r in rules} >= {PAGE_ALERT, STALE_ALERT}
    assert all(r["health"] == "ok" for r in rules), [r for r in rules if r["health"] != "ok"]
    assert run.final.targets and all(run.final.targets.values()), run.final.targets


def test_stale_calibration_seen_by_alertmanager(run):
    """At the end of the stale phase Alertmanager held the calibration ticket for fake_manila."""
    stale = [
        a for a in run.at_end_of["stale"]["alertmanager"] if a["labels"]["alertname"] == STALE_ALERT
    ]
    assert stale and stale[0]["labels"]["severity"] == "ticket"
    assert stale[0]["labels"][_B] == "fake_manila"


def test_page_fired_in_prometheus_and_alertmanager(run):
    """At the end of the outage the page was firing in Prometheus and active in Alertmanager."""
    outage = run.at_end_of["outage"]
    assert PAGE_ALERT in {r["metric"]["alertname"] for r in outage["prometheus"]}
    page = [a for a in outage["alertmanager"] if a["labels"]["alertname"] == PAGE_ALERT]
    assert page, outage["alertmanager"]
    assert page[0]["labels"]["severity"] == "page"
    assert page[0]["labels"][_B] == "fake_manila"
    assert run.final.page_ever and float(run.final.page_ever[0]["value"][1]) == 1.0


def test_page_reached_slack_with_runbook(run):
    """The firing page went to the page channel with the alert's runbook button."""
    firing = [m for m in run.messages if m.alertname == PAGE_ALERT and m.alert_status == "firing"]
    assert firing, [m.text for m in run.messages]
    assert firing[0].channel_name == "#quantum-oncall"
    runbook = firing[0].button_urls()["runbook"]
    assert runbook == run.stack.spec.links.runbook(PAGE_ALERT)
    assert runbook.endswith(f"/runbooks/{PAGE_ALERT}.md")
    assert (REPO / "runbooks" / f"{PAGE_ALERT}.md").is_file()


def test_page_resolved_after_recovery(run):
    """The resolved page was posted after the outage ended, threaded under the firing one,
    and neither Prometheus nor Alertmanager still has it."""
    firing = next(
        m for m in run.messages if m.alertname == PAGE_ALERT and m.alert_status == "firing"
    )
    resolved = [
        m for m in run.messages if m.alertname == PAGE_ALERT and m.alert_status == "resolved"
    ]
    assert resolved, [m.text for m in run.messages]
    assert resolved[0].received >= run.at_end_of["outage"]["ended"]
    assert resolved[0].thread_ts == firing.ts
    assert PAGE_ALERT not in _names(run.final.alertmanager)
    assert not run.final.page_now


@pytest.mark.parametrize("alertname", [STALE_ALERT, "QuantumRetryRateHigh"])
def test_tickets_fired_and_resolved(run, alertname):
    """Stale calibration and the outage's retries opened tickets (not pages) that resolved."""
    tickets = [m for m in run.messages if m.alertname == alertname]
    assert [m.alert_status for m in tickets] == ["firing", "resolved"], [
        m.text for m in run.messages
    ]
    assert {m.channel_name for m in tickets} == {"#quantum-alerts"}


def test_no_process_left_running(run):
    """Every service process is gone once the stack is closed, and no child is left."""
    deadline = time.monotonic() + 10
    while any(psutil.pid_exists(p) for p in run.pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [
        p
        for p in run.pids
        if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
    ]
    assert not alive
    assert set(leftover_processes()) <= run.before


def test_traces_written_as_otlp_json_with_a_fallback_job(run):
    """Traces are OTLP JSON lines; one job shows failed attempts then a fallback that completed."""
    lines = run.stack.traces_file.read_text().splitlines()
    first = json.loads(lines[0])
    span = first["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert len(span["traceId"]) == 32 and len(span["spanId"]) == 16
    int(span["traceId"], 16)  # hex, as OTLP/JSON requires (not protobuf's base64)
    job = pick_job(read_spans(run.stack.traces_file), "qobserve executor job")
    backends = [c.attributes[Attr.BACKEND.value] for c in job.children]
    assert backends[0] == "fake_manila" and backends[-1] == "aer_simulator"
    assert job.children[0].error and not job.children[-1].error
    assert job.children[-1].events == ["queued", "running", "completed"]
    text = Console(record=True, width=200, file=io.StringIO())
    text.print(job_tree(job))
    assert "ServiceUnavailableException" in text.export_text()


def test_live_view_shows_slis_alerts_and_messages(run):
    """The live view rendered per-backend SLIs, the firing page and delivered messages."""
    assert "fake_manila" in run.view and "aer_simulator" in run.view
    assert PAGE_ALERT in run.view and "#quantum-oncall" in run.view


def test_ctrl_c_stops_every_service(tmp_path):
    """SIGINT mid-run (Ctrl-C) exits 130 after stopping every process the command started."""
    find_binary(PROMETHEUS), find_binary(ALERTMANAGER)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qobserve.cli",
            "demo",
            "--stack",
            "--no-live",
            "--workdir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "Healthy training" in line:
                break
        children = psutil.Process(proc.pid).children(recursive=True)
        names = {c.name() for c in children}
        proc.send_signal(signal.SIGINT)
        lines.append(proc.stdout.read())
        code = proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = "".join(lines)
    assert code == 130, output
    assert names >= {"prometheus", "prometheus-alertmanager"}
    assert not [c.pid for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert "no processes left running" in output
