"""MLflow logging without a server: settings, result counts, and a server that never answers."""

from __future__ import annotations

import logging
import socket
import time

import mlflow  # noqa: F401  (imported here so the worker's lazy import is instant)
import numpy as np
import pytest

from qobserve.semconv import METRICS, Attr
from qobserve.training import MlflowSettings, track_training
from qobserve.training import _mlflow_util as util
from qobserve.training.mlflow_log import settings_from


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(("args", "expected"), [
    ((False, None, None), None),
    ((True, None, None), MlflowSettings()),
    ((False, "http://h:1", None), MlflowSettings(tracking_uri="http://h:1")),
    ((False, None, "exp"), MlflowSettings(experiment="exp")),
    ((MlflowSettings(run_name="r"), "http://h:1", None),
     MlflowSettings(run_name="r", tracking_uri="http://h:1")),
])
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
    settings = MlflowSettings(tracking_uri=f"http://127.0.0.1:{_closed_port()}",
                              flush_interval=0.05, retry_budget=0.3, close_timeout=5)
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
    warnings = [r for r in caplog.records
                if r.name == "qobserve.training.mlflow" and r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "open run failed" in warnings[0].getMessage()
