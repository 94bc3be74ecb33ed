"""``qobserve demo --stack --mlflow`` end to end, as a user runs it: the printed run URL
opens that run (checked through MLflow's REST API) and the jobs' traces are in its experiment.

The command runs as a subprocess until its first training run has finished in
MLflow, then gets Ctrl-C (the full scenario takes minutes; its MLflow stage is
the first minute).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading

import pytest
import requests

from qobserve.semconv import Attr
from qobserve.stack.workload import EXPERIMENT
from qobserve.testing import find_binary
from qobserve.testing.services import ALERTMANAGER, PROMETHEUS
from tests.alert_bridge.helpers import eventually

pytestmark = pytest.mark.integration

RUN_URL = re.compile(
    r"mlflow run: (?P<server>http://127\.0\.0\.1:\d+)/#/experiments/(?P<exp>\w+)/runs/(?P<run>[0-9a-f]{32})\s*$"
)


def _get(server: str, endpoint: str, **params) -> dict:
    r = requests.get(f"{server}/api/2.0/mlflow/{endpoint}", params=params, timeout=10)
    r.raise_for_status()
    return r.json()


@pytest.fixture
def demo(tmp_path):
    """The running command and its output lines so far (read on a thread: the pipe never fills)."""
    find_binary(PROMETHEUS), find_binary(ALERTMANAGER)
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "qobserve.cli", "demo", "--stack", "--mlflow"),
            *("--no-live", "--workdir", str(tmp_path)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    yield proc, lines
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
    reader.join(10)


def test_printed_run_url_opens_the_run_and_its_traces(demo):
    """The URL the demo prints names a run of demo-vqe on the demo's server; after the run
    the experiment holds its trace with executor job spans (quantum attributes intact)."""
    from mlflow import MlflowClient

    proc, lines = demo
    match = eventually(
        lambda: (
            next((m for line in list(lines) if (m := RUN_URL.search(line))), None)
            or (proc.poll() is not None and pytest.fail("".join(lines)))
        ),
        timeout=240,  # the exporter, MLflow's start-up and migrations, then the first run
        what="the mlflow run line",
    )
    server, exp_id, run_id = match["server"], match["exp"], match["run"]
    run = _get(server, "runs/get", run_id=run_id)["run"]
    assert run["info"]["experiment_id"] == exp_id
    assert _get(server, "experiments/get", experiment_id=exp_id)["experiment"]["name"] == EXPERIMENT
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags[Attr.EXPERIMENT.value] == EXPERIMENT
    eventually(
        lambda: _get(server, "runs/get", run_id=run_id)["run"]["info"]["status"] == "FINISHED",
        timeout=120,
        what="the run to finish",
    )
    trace_id = f"tr-{tags['otel.trace_id']}"
    client = MlflowClient(tracking_uri=server)
    trace = eventually(
        lambda: next(
            (
                t
                for t in client.search_traces(locations=[exp_id], max_results=100)
                if t.info.trace_id == trace_id and len(t.data.spans) > 1
            ),
            None,
        ),
        timeout=60,
        what="the run's trace in the experiment",
    )
    jobs = [s for s in trace.data.spans if Attr.BACKEND.value in s.attributes]
    assert jobs, [s.name for s in trace.data.spans]
    backends = {s.attributes[Attr.BACKEND.value] for s in jobs}
    assert backends & {"fake_manila", "aer_simulator"}, backends
    proc.send_signal(signal.SIGINT)
    assert proc.wait(60) == 130, "".join(lines)
