"""Training observability: one decorator around a variational training loop.

    import qobserve
    from qobserve.training import parameter_shift, qiskit_expectation

    cost = qiskit_expectation(estimator, ansatz, observable, precision=0.02)

    @qobserve.track_training("vqe-h2", seed=7, ansatz="ry-cz", depth=3, qubits=4,
                             backend="aer_simulator", shots=2500)
    def train(theta, run):
        for _ in range(100):
            est = parameter_shift(cost, theta, include_value=True)  # one job
            run.record_step(loss=est.value, estimate=est)
            theta = theta - 0.1 * est.gradient
        run.record_validation(accuracy=0.93)

or ``with qobserve.track_training("vqe-h2") as run: ...``. Any optimizer loop
works (numpy, a ``scipy.optimize`` callback, PyTorch): all it needs is a call to
``run.record_step`` per step, with either

* ``gradient_samples`` — ``(k, P)``, k ≥ 2 independent estimates of the gradient, or
* ``gradient`` and ``gradient_stderr`` — ``(P,)`` each (stderr optional).

What you get: a ``training {experiment}`` span with the run metadata (seed,
ansatz, depth, qubits, backend, shots, code version), a ``training step`` child
span per step holding the jobs the step ran (see :mod:`qobserve.training.run`),
and the ``quantum_training_*`` metrics of :mod:`qobserve.semconv`, labelled
``quantum_experiment``. Shot SNR versus landscape variance, and the exact
definition of σ, are in :mod:`qobserve.training.snr`; detectors (barren
plateau, divergence, stalled progress) with ``on_detection`` callbacks in
:mod:`qobserve.training.detectors`. Bad inputs are recorded as anomalies, never
raised in your loop, unless you pass ``strict=True``. ``mlflow=True`` also logs
the run to MLflow (params, per-step metrics, tags, artifacts), off the loop's
thread: :mod:`qobserve.training.mlflow_log`.
"""

from __future__ import annotations

from qobserve.training._mlflow_util import mlflow_trace_env
from qobserve.training.adapters import braket_expectation, cirq_expectation, qiskit_expectation
from qobserve.training.detectors import (
    BarrenPlateauDetector,
    Detection,
    DivergenceDetector,
    StallDetector,
)
from qobserve.training.gradients import (
    Expectations,
    GradientEstimate,
    parameter_shift,
    sample_landscape,
    spsa,
)
from qobserve.training.mlflow_settings import MlflowSettings
from qobserve.training.run import StopTraining, TrainingRun
from qobserve.training.snr import landscape_variance, suggest_shots
from qobserve.training.track import current_run, track_training

# What users import; the rest (custom detectors' Detector/StepView, gradient_stats,
# shot_snr, StepRecord, ...) stays in its module: qobserve.training.detectors, .snr, .run.
__all__ = [
    "BarrenPlateauDetector",
    "Detection",
    "DivergenceDetector",
    "Expectations",
    "GradientEstimate",
    "MlflowSettings",
    "StallDetector",
    "StopTraining",
    "TrainingRun",
    "braket_expectation",
    "cirq_expectation",
    "current_run",
    "landscape_variance",
    "mlflow_trace_env",
    "parameter_shift",
    "qiskit_expectation",
    "sample_landscape",
    "spsa",
    "suggest_shots",
    "track_training",
]
