"""MLflow logging without a server: settings, result counts, and a server that never answers."""

from __future__ import annotations

import logging
import socket
import time

import mlflow
import numpy as np
import pytest

from qobserve.semconv import METRICS, Attr
from qobserve.training import MlflowSettings, track_training
from qobserve.training import _mlflow_util as util
from qobserve.training.mlflow_settings import settings_from


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((False, None, None), None),
        ((True, None, None), MlflowSettings()),
        ((False, "http://h:1", None), MlflowSettings(tracking_uri="http://h:1")),
        ((False, None, "exp"), MlflowSettings(experiment="exp")),
        (
            (MlflowSettings(run_name="r"), "http://h:1", None),
            MlflowSettings(run_name="r", tracking_uri="http://h:1"),
        ),
    ],
)
def test_settings_from_track_training_options(args, expected):
    """mlflow=True, a tracking URI or an experiment name each turn MLflow logging on."""
    assert settings_from(*args) == expected


def test_counts_of_a_qiskit_result():
    """A Qiskit backend.run result gives one counts dict per circuit."""
    from qiskit import QuantumCircuit
    from qiskit_aer import AerSimulator

    qc = QuantumCircuit(1)
    qc.x(0)
    qc.measure_all()
    result = AerSimulator(seed_simulator=1).run([qc, qc], shots=10).result()
    assert util.counts_of(result) == [{"1": 10}, {"1": 10}]
    assert util.counts_of(object()) is None


def test_unreachable_server_never_breaks_training(otel, caplog):
    """Every request fails: the loop is not slowed, Prometheus metrics are complete,
    failures are counted and warned about once."""
    settings = MlflowSettings(
        tracking_uri=f"http://127.0.0.1:{_closed_port()}",
        flush_interval=0.05,
        retry_budget=0.3,
        close_timeout=5,
    )
    caplog.set_level(logging.DEBUG, logger="qobserve.training.mlflow")
    rng = np.random.default_rng(0)
    with track_training("offline", mlflow=settings, metrics_interval=0, **otel.providers) as run:
        t0 = time.perf_counter()
        for i in range(20):
            run.record_step(loss=1.0 / (i + 1), gradient_samples=rng.normal(size=(4, 3)))
            time.sleep(0.01)
        loop = time.perf_counter() - t0
    assert loop < 1.0  # 20 × 10 ms of sleep; the failing server adds nothing to the loop
    exp = {Attr.EXPERIMENT.value: "offline"}
    assert otel.value(METRICS["quantum_training_steps_total"].otel_name, **exp) == 20
    assert otel.value(METRICS["qobserve_mlflow_log_failures_total"].otel_name, **exp) >= 1
    warnings = [
        r
        for r in caplog.records
        if r.name == "qobserve.training.mlflow" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "open run failed" in warnings[0].getMessage()


class FakeClient:
    """Stands in for ``mlflow.MlflowClient``: records every call, sends nothing."""

    instances: list[FakeClient] = []

    def __init__(self, tracking_uri=None):
        self.calls: list[tuple] = []
        FakeClient.instances.append(self)

    def get_experiment_by_name(self, name):
        return None

    def create_experiment(self, name):
        return "7"

    def create_run(self, experiment_id, run_name=None):
        from types import SimpleNamespace

        self.calls.append(("create_run", experiment_id, run_name))
        return SimpleNamespace(info=SimpleNamespace(run_id="run-1"))

    def log_batch(self, run_id, metrics=(), params=(), tags=(), synchronous=None):
        self.calls.append(("log_batch", run_id, list(metrics), list(params), list(tags)))

    def log_dict(self, run_id, dictionary, artifact_file):
        self.calls.append(("log_dict", run_id, artifact_file, dictionary))

    def log_artifact(self, run_id, local_path, artifact_path=None):
        self.calls.append(("log_artifact", run_id, local_path.rsplit("/", 1)[-1]))

    def link_traces_to_run(self, trace_ids, run_id):
        self.calls.append(("link", run_id, trace_ids))

    def set_terminated(self, run_id, status=None):
        self.calls.append(("set_terminated", run_id, status))

    def tags(self) -> dict:
        return {t.key: t.value for c in self.calls if c[0] == "log_batch" for t in c[4]}

    def metrics(self, key: str) -> list[tuple[int, float]]:
        return [
            (m.step, m.value)
            for c in self.calls
            if c[0] == "log_batch"
            for m in c[2]
            if m.key == key
        ]


@pytest.fixture
def fake_mlflow(monkeypatch):
    """``mlflow.MlflowClient`` replaced by :class:`FakeClient`; yields the instances list."""
    monkeypatch.setattr(mlflow, "MlflowClient", FakeClient)
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    FakeClient.instances = []
    return FakeClient.instances


class FiresAtTwo:
    name, metric = "test_detector", None

    def observe(self, step):
        return "step two" if step.index >= 2 else None


class QiskitLikeResult:
    results = [object()]

    def get_counts(self):
        return {"00": 3, "11": 5}


def test_logs_steps_verdicts_jobs_and_ends_the_run(otel, fake_mlflow):
    """Steps, validation, detector verdicts, this run's jobs (not another trace's), the
    calibration tag, a histogram, the plot, and FINISHED at the end."""
    from qobserve.instrumentation._job import JobTelemetry
    from qobserve.semconv import JobStatus

    jobs = JobTelemetry(**otel.providers)
    settings = MlflowSettings(run_name="r", flush_interval=0.05)
    with track_training(
        "fake",
        seed=3,
        mlflow=settings,
        detectors=[FiresAtTwo()],
        params={"optimizer": "adam"},
        **otel.providers,
    ) as run:
        job = jobs.start(
            "qiskit",
            "fake_manila",
            "run",
            shots=8,
            job_id="j1",
            attributes={Attr.CALIBRATION_TIMESTAMP.value: 1.7e9},
        )
        job.finish(JobStatus.COMPLETED, result=QiskitLikeResult())
        for i in range(3):
            run.record_step(loss=float(i), gradient=[0.1, 0.2], gradient_stderr=[0.01, 0.01])
        run.record_validation(accuracy=0.5)
    with otel.tracer_provider.get_tracer("t").start_as_current_span("elsewhere"):
        jobs.start("qiskit", "fake_manila", "run", job_id="other").finish(JobStatus.COMPLETED)
    (client,) = fake_mlflow
    assert client.calls[0] == ("create_run", "7", "r")
    assert client.metrics("loss") == [(1, 0.0), (2, 1.0), (3, 2.0)]
    assert [s for s, _ in client.metrics("step_time")] == [1, 2, 3]
    assert client.metrics("validation_accuracy") == [(3, 0.5)]
    params = {p.key: p.value for c in client.calls if c[0] == "log_batch" for p in c[3]}
    assert params["seed"] == "3" and params["optimizer"] == "adam"
    tags = client.tags()
    assert tags["qobserve.detector.test_detector"] == "firing at step 2: step two"
    assert tags["qobserve.detectors.firing"] == "test_detector"
    assert tags["qobserve.job_ids"] == "j1" and tags["qobserve.job_count"] == "1"
    assert float(tags[Attr.CALIBRATION_TIMESTAMP.value]) == 1.7e9
    assert tags["otel.trace_id"] == f"{run.span.get_span_context().trace_id:032x}"
    (hist,) = [c for c in client.calls if c[0] == "log_dict" and c[2].startswith("histograms/")]
    assert hist[3]["counts"] == [{"00": 3, "11": 5}] and hist[3]["job_id"] == "j1"
    assert ("log_artifact", "run-1", "loss_snr.png") in client.calls
    assert client.calls[-1] == ("set_terminated", "run-1", "FINISHED")


def test_joins_a_run_and_leaves_it_open(otel, fake_mlflow, monkeypatch):
    """With MLFLOW_RUN_ID set the run is joined, not created, and not ended by qobserve."""
    monkeypatch.setenv("MLFLOW_RUN_ID", "theirs")
    with track_training("fake", mlflow=True, **otel.providers) as run:
        run.record_step(loss=1.0)
    (client,) = fake_mlflow
    assert not [c for c in client.calls if c[0] in ("create_run", "set_terminated")]
    assert {c[1] for c in client.calls if c[0] == "log_batch"} == {"theirs"}


def test_a_failing_block_ends_the_run_failed(otel, fake_mlflow):
    """An exception out of the with-block ends the MLflow run FAILED."""
    with pytest.raises(RuntimeError):
        with track_training("fake", mlflow=True, **otel.providers) as run:
            run.record_step(loss=1.0)
            raise RuntimeError("boom")
    assert fake_mlflow[0].calls[-1] == ("set_terminated", "run-1", "FAILED")


def test_a_full_queue_drops_and_counts(otel, fake_mlflow):
    """Past queue_size the loop drops items instead of waiting, and counts them."""
    settings = MlflowSettings(queue_size=5, flush_interval=30, plot=False)
    with track_training("fake", mlflow=settings, **otel.providers) as run:
        for i in range(20):
            run.record_step(loss=float(i))
    dropped = otel.value(
        METRICS["qobserve_mlflow_dropped_total"].otel_name, **{Attr.EXPERIMENT.value: "fake"}
    )
    assert dropped >= 15
    assert len(fake_mlflow[0].metrics("loss")) == 5  # the first five steps


def test_jobs_without_counts_leave_the_histogram_sample_alone(otel, fake_mlflow):
    """Estimator-like results (no counts) do not use up the histogram sample."""
    from qobserve.instrumentation._job import JobTelemetry
    from qobserve.semconv import JobStatus

    jobs = JobTelemetry(**otel.providers)
    with track_training(
        "fake", mlflow=MlflowSettings(histogram_jobs=1, plot=False), **otel.providers
    ):
        for i, result in enumerate([object(), object(), QiskitLikeResult(), QiskitLikeResult()]):
            jobs.start("qiskit", "aer", "run", job_id=f"j{i}").finish(
                JobStatus.COMPLETED, result=result
            )
    logged = [c for c in fake_mlflow[0].calls if c[0] == "log_dict" and "histograms/" in c[2]]
    assert [c[3]["job_id"] for c in logged] == ["j2"]
