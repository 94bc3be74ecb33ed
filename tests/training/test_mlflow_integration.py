"""MLflow end to end: a short Qiskit Aer training run logged to a real ``mlflow server``.

One run (module fixture) is checked through MLflow's REST API, its traces through
MLflow's trace search, its page through headless Chromium; the last test kills
the shared server in the middle of another run, so it must stay last.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
import urllib.request

import numpy as np
import pytest
import requests
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

import qobserve
from qobserve.semconv import Attr
from qobserve.training import (
    MlflowSettings,
    mlflow_trace_env,
    parameter_shift,
    qiskit_expectation,
    track_training,
)

pytestmark = pytest.mark.integration

EXPERIMENT = "qobserve-it"
RUN_NAME = "qobserve-it-run"
STEPS = 5
STEP_KEYS = (
    "loss",
    "gradient_norm",
    "gradient_snr",
    "gradient_variance",
    "shot_variance",
    "step_time",
)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _rest(server, endpoint: str, /, **params) -> dict:
    r = requests.get(f"{server.url}/api/2.0/mlflow/{endpoint}", params=params, timeout=10)
    r.raise_for_status()
    return r.json()


def _training(run, steps: int, *, shots: int = 200, on_step=None) -> None:
    """A 2-parameter Aer Estimator loop plus one measured Bell job per step.

    Aer's Estimator primitive is not instrumented, so the Bell jobs (AerSimulator.run,
    instrumented) are the run's jobs: spans, job ids and histograms.
    """
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_aer import AerSimulator
    from qiskit_aer.primitives import EstimatorV2

    theta_p = ParameterVector("t", 2)
    ansatz = QuantumCircuit(2)
    ansatz.ry(theta_p[0], 0)
    ansatz.ry(theta_p[1], 1)
    ansatz.cz(0, 1)
    cost = qiskit_expectation(
        EstimatorV2(options={"run_options": {"seed": 3}}),
        ansatz,
        SparsePauliOp("ZZ"),
        precision=0.05,
    )
    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    bell.measure_all()
    sim = AerSimulator(seed_simulator=5)
    theta = np.array([0.4, -0.3])
    for i in range(steps):
        est = parameter_shift(cost, theta, include_value=True)
        sim.run(bell, shots=shots).result()
        run.record_step(loss=est.value, estimate=est)
        theta = theta - 0.2 * est.gradient
        if on_step is not None:
            on_step(i + 1)


@pytest.fixture
def instrumented(monkeypatch, mlflow_server):
    """configure() with traces to the server's /v1/traces (experiment header from the env),
    Prometheus on a free port, and Qiskit instrumented on those providers."""
    from qobserve.instrumentation.qiskit import QiskitInstrumentor

    for key, value in mlflow_trace_env(EXPERIMENT, tracking_uri=mlflow_server.url).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    telemetry = qobserve.configure(
        "qobserve-it", prometheus_port=0, registry=CollectorRegistry(), set_global=False
    )
    instrumentor = QiskitInstrumentor()
    instrumentor.instrument(
        tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider
    )
    yield telemetry
    instrumentor.uninstrument()
    telemetry.shutdown()


@pytest.fixture(scope="module")
def logged(mlflow_server):
    """The run: (run id, experiment id, trace id) after a 5-step Aer training run."""
    mp = pytest.MonkeyPatch()
    gen = instrumented.__wrapped__(mp, mlflow_server)
    telemetry = next(gen)
    settings = MlflowSettings(tracking_uri=mlflow_server.url, run_name=RUN_NAME, flush_interval=0.2)
    with track_training(
        EXPERIMENT,
        seed=7,
        ansatz="ry-cz",
        depth=2,
        qubits=2,
        backend="aer_simulator",
        shots=200,
        params={"optimizer": "sgd", "learning_rate": 0.2, "noise": "none"},
        mlflow=settings,
        tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
    ) as run:
        _training(run, STEPS)
        run.record_validation(accuracy=0.75)
    trace_id = f"{run.span.get_span_context().trace_id:032x}"
    next(gen, None)  # uninstrument, flush and shut down: the spans reach MLflow
    mp.undo()
    exp_id = _rest(mlflow_server, "experiments/get-by-name", experiment_name=EXPERIMENT)[
        "experiment"
    ]["experiment_id"]
    return run.mlflow.run_id, exp_id, trace_id


def test_run_has_params_and_tags(mlflow_server, logged):
    """The REST API returns the run, finished, with its params and the run span's trace id."""
    run_id, exp_id, trace_id = logged
    run = _rest(mlflow_server, "runs/get", run_id=run_id)["run"]
    assert run["info"]["status"] == "FINISHED"
    assert run["info"]["experiment_id"] == exp_id
    assert run["info"]["run_name"] == RUN_NAME
    params = {p["key"]: p["value"] for p in run["data"]["params"]}
    assert {
        k: params[k]
        for k in (
            "seed",
            "backend",
            "shots",
            "qubits",
            "depth",
            "ansatz",
            "optimizer",
            "learning_rate",
            "noise",
        )
    } == {
        "seed": "7",
        "backend": "aer_simulator",
        "shots": "200",
        "qubits": "2",
        "depth": "2",
        "ansatz": "ry-cz",
        "optimizer": "sgd",
        "learning_rate": "0.2",
        "noise": "none",
    }
    assert params["version.qobserve"] == qobserve.__version__
    assert params["version.qiskit"] and params["version.qiskit-aer"]
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["otel.trace_id"] == trace_id and len(trace_id) == 32
    assert tags[Attr.EXPERIMENT.value] == EXPERIMENT
    # Aer's Estimator primitive is not instrumented: the jobs are the Bell jobs.
    assert tags["qobserve.job_count"] == str(STEPS)
    assert len(tags["qobserve.job_ids"].split(",")) == STEPS
    assert tags["qobserve.detectors.firing"] == "none"


@pytest.mark.parametrize("key", STEP_KEYS)
def test_metric_history_has_one_value_per_step(mlflow_server, logged, key):
    """Each per-step metric has exactly one value for each step 1..N."""
    history = _rest(mlflow_server, "metrics/get-history", run_id=logged[0], metric_key=key)
    assert sorted(m["step"] for m in history["metrics"]) == list(range(1, STEPS + 1))


def test_validation_score_is_a_metric(mlflow_server, logged):
    """record_validation(accuracy=...) becomes validation_accuracy at the last step."""
    history = _rest(
        mlflow_server, "metrics/get-history", run_id=logged[0], metric_key="validation_accuracy"
    )["metrics"]
    assert [(m["step"], m["value"]) for m in history] == [(STEPS, 0.75)]


def test_histogram_and_plot_artifacts(mlflow_server, logged):
    """Histograms of the measured jobs, the job list and the loss/SNR plot are stored."""
    run_id = logged[0]
    files = {f["path"] for f in _rest(mlflow_server, "artifacts/list", run_id=run_id)["files"]}
    assert {"histograms", "jobs.json", "loss_snr.png"} <= files
    hist = _rest(mlflow_server, "artifacts/list", run_id=run_id, path="histograms")["files"]
    assert len(hist) == STEPS
    r = requests.get(
        f"{mlflow_server.url}/get-artifact",
        params={"run_uuid": run_id, "path": hist[0]["path"]},
        timeout=10,
    )
    r.raise_for_status()
    body = r.json()
    assert body["backend"] == "aer_simulator" and body["job_id"]
    (counts,) = body["counts"]
    assert sum(counts.values()) == 200 and set(counts) <= {"00", "11"}


def test_traces_land_in_the_experiment_with_job_attributes(mlflow_server, logged):
    """MLflow's trace search finds the run's trace: run, step and job spans, attributes intact."""
    from mlflow import MlflowClient

    run_id, exp_id, trace_id = logged
    client = MlflowClient(tracking_uri=mlflow_server.url)
    deadline, trace = time.monotonic() + 30, None
    while trace is None and time.monotonic() < deadline:
        found = [
            t
            for t in client.search_traces(locations=[exp_id], max_results=50)
            if t.info.trace_id == f"tr-{trace_id}"
        ]
        trace = found[0] if found else time.sleep(0.5)
    assert trace is not None, "the run's trace never reached MLflow"
    spans = trace.data.spans
    names = [s.name for s in spans]
    assert f"training {EXPERIMENT}" in names
    assert names.count("training step") == STEPS + 1
    jobs = [s for s in spans if s.attributes.get(Attr.PROVIDER.value) == "qiskit"]
    assert len(jobs) == STEPS
    for span in jobs:
        assert span.attributes[Attr.JOB_SHOTS.value] == 200
        assert span.attributes[Attr.BACKEND.value] == "aer_simulator"
        assert span.attributes[Attr.JOB_STATUS.value] == "completed"
        assert span.attributes[Attr.JOB_ID.value]
        assert span.attributes[Attr.CIRCUIT_QUBITS.value] == 2
    root = next(s for s in spans if s.name == f"training {EXPERIMENT}")
    assert root.attributes["mlflow.run_id"] == run_id
    deadline, linked = time.monotonic() + 30, []
    while not linked and time.monotonic() < deadline:  # linked from the run's side too
        linked = client.search_traces(locations=[exp_id], run_id=run_id) or time.sleep(0.5)
    assert [t.info.trace_id for t in linked] == [f"tr-{trace_id}"]


def _chromium(*args: str, profile, timeout: float = 120) -> subprocess.CompletedProcess:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    assert binary, "chromium not found: apt-get install chromium (scripts/test.sh does)"
    return subprocess.run(
        [
            binary,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--window-size=1400,1000",
            "--virtual-time-budget=15000",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_run_page_renders_in_chromium(mlflow_server, logged, tmp_path):
    """Headless Chromium renders the run's page: the run name in the DOM, a non-blank PNG."""
    from matplotlib.image import imread

    run_id, exp_id, _ = logged
    url = f"{mlflow_server.url}/#/experiments/{exp_id}/runs/{run_id}"
    dom = _chromium("--dump-dom", url, profile=tmp_path / "dom")
    assert RUN_NAME in dom.stdout, dom.stderr[-2000:]
    png = tmp_path / "mlflow-run.png"
    shot = _chromium(f"--screenshot={png}", url, profile=tmp_path / "shot")
    assert png.exists(), shot.stderr[-2000:]
    pixels = (imread(png)[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    colours = np.unique(pixels, axis=0)
    # A blank or error page has a handful of colours; the run page (text, icons,
    # status badge) has hundreds. Half the pixels are background white.
    assert len(colours) > 200, len(colours)
    assert (pixels.min(axis=1) < 200).mean() > 0.02
    print(f"screenshot: {png}")


def _artifact(server, run_id: str, path: str) -> requests.Response:
    r = requests.get(
        f"{server.url}/get-artifact", params={"run_uuid": run_id, "path": path}, timeout=10
    )
    r.raise_for_status()
    return r


def test_braket_cirq_histograms_and_rb_artifacts(mlflow_server, instrumented):
    """Braket and Cirq jobs of the run get histogram artifacts like Qiskit's, and an RB
    probe run inside the run leaves its result and decay plot on the run."""
    import cirq
    from braket.circuits import Circuit
    from braket.devices import LocalSimulator

    from qobserve.benchmarking.probe import run_rb
    from qobserve.instrumentation.braket import BraketInstrumentor
    from qobserve.instrumentation.cirq import CirqInstrumentor

    providers = {
        "tracer_provider": instrumented.tracer_provider,
        "meter_provider": instrumented.meter_provider,
    }
    instrumentors = [BraketInstrumentor(), CirqInstrumentor()]
    for i in instrumentors:
        i.instrument(**providers)
    q = cirq.LineQubit(0)
    try:
        with track_training(
            "sdk-histograms", mlflow=MlflowSettings(tracking_uri=mlflow_server.url), **providers
        ) as run:
            LocalSimulator().run(Circuit().x(0), shots=40).result()
            run.record_step(loss=1.0)
            cirq.Simulator(seed=1).run(
                cirq.Circuit(cirq.X(q), cirq.measure(q, key="m")), repetitions=30
            )
            run.record_step(loss=0.5)
            rb = run_rb(
                "stim", (0,), lengths=(1, 20, 60), num_samples=5, shots=200, seed=2, **providers
            )
    finally:
        for i in instrumentors:
            i.uninstrument()
    run_id = run.mlflow.run_id
    listed = _rest(mlflow_server, "artifacts/list", run_id=run_id, path="histograms")["files"]
    bodies = [_artifact(mlflow_server, run_id, f["path"]).json() for f in listed]
    # X then measure: every shot reads 1, whatever the SDK.
    assert sorted((b["backend"], b["counts"][0]["1"]) for b in bodies) == [
        ("braket_sv", 40),
        ("cirq_simulator", 30),
    ]
    doc = _artifact(mlflow_server, run_id, "rb/result.json").json()
    assert doc["backend"] == "stim" and doc["epc"] == rb.fit.epc
    png = _artifact(mlflow_server, run_id, "rb/decay.png").content
    assert png.startswith(b"\x89PNG")


def _scrape(address) -> dict[str, float]:
    with urllib.request.urlopen(f"http://{address[0]}:{address[1]}/metrics", timeout=10) as r:
        text = r.read().decode()
    return {
        f"{s.name}{sorted(s.labels.items())}": s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def test_server_killed_mid_run(mlflow_server, instrumented, caplog):
    """MLflow dies at step 5 of 15: training finishes, Prometheus has every step, the
    failure is counted and logged once. Kills the shared server: keep this test last."""
    caplog.set_level(logging.INFO, logger="qobserve.training.mlflow")
    settings = MlflowSettings(
        tracking_uri=mlflow_server.url, flush_interval=0.1, retry_budget=1.0, close_timeout=5
    )
    steps = 15

    def kill_at_5(step: int) -> None:
        if step == 5:
            assert run.mlflow.wait_run_id(60), "the run never opened"
            time.sleep(0.3)  # let a batch or two through first
            mlflow_server.kill()

    t0 = time.monotonic()
    with track_training(
        "killed",
        mlflow=settings,
        tracer_provider=instrumented.tracer_provider,
        meter_provider=instrumented.meter_provider,
    ) as run:
        _training(run, steps, on_step=kill_at_5)
    assert time.monotonic() - t0 < 60
    assert not mlflow_server.alive()
    samples = _scrape(instrumented.prometheus_address)
    exp = ("quantum_experiment", "killed")
    assert samples[f"quantum_training_steps_total{[exp]}"] == steps
    failures = [
        v
        for k, v in samples.items()
        if k.startswith("qobserve_mlflow_log_failures_total") and str(exp) in k
    ]
    assert failures and sum(failures) >= 1
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name == "qobserve.training.mlflow" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1, warnings
