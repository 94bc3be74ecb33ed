"""The demo's workload: a small variational training loop whose jobs go through the
resilient executor to chaos-wrapped local simulators.

The primary backend is Qiskit's ``fake_manila`` (noisy Aer simulation) behind a
:class:`~qobserve.chaos.ChaosBackend` whose faults the scenario swaps; the
fallback is the ideal ``aer_simulator``. The loss is ⟨Z₁⟩ of RY(θ₀)⊗RY(θ₁)
followed by CX(0→1), i.e. cos θ₀ · cos θ₁, minimised by parameter-shift
gradient descent; a run restarts from fresh angles every few steps so the
gradient never vanishes (no barren-plateau signal in a healthy demo).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from opentelemetry import trace

from qobserve.chaos import ChaosBackend, Faults, Ledger
from qobserve.executor import (
    BreakerPolicy,
    GatePolicy,
    JobFailedError,
    ResilientExecutor,
    RetryPolicy,
)
from qobserve.training import Expectations, parameter_shift, track_training

__all__ = ["EXPERIMENT", "FALLBACK", "PRIMARY", "Workload"]

PRIMARY = "qiskit:fake_manila"
FALLBACK = "qiskit:aer"
EXPERIMENT = "demo-vqe"
SHOTS = 512
STEPS_PER_RUN = 12
LEARNING_RATE = 0.4


class _Submission:
    def __init__(self, inner: Any, span) -> None:
        self._inner, self._span = inner, span
        self.job_id = inner.job_id

    def wait(self, timeout: float | None) -> dict[str, int]:
        self._span.add_event("running")
        return self._inner.wait(timeout)

    def cancel(self) -> bool:
        return self._inner.cancel()


class _StateEvents:
    """Adds ``queued`` / ``running`` events to the executor's attempt span, as SDK
    instrumentation does for provider jobs; everything else is the wrapped backend's."""

    def __init__(self, inner: ChaosBackend) -> None:
        self.inner = inner
        self.provider, self.name, self.spec = inner.provider, inner.name, inner.spec

    def prepare(self, circuit: Any) -> Any:
        return self.inner.prepare(circuit)

    def submit(self, prepared: Any, shots: int, *, client_id: str) -> _Submission:
        span = trace.get_current_span()
        sub = self.inner.submit(prepared, shots, client_id=client_id)
        span.add_event("queued")
        return _Submission(sub, span)

    def calibration(self):
        return self.inner.calibration()

    def status(self):
        return self.inner.status()


def _circuit(theta: np.ndarray):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(2)
    qc.ry(float(theta[0]), 0)
    qc.ry(float(theta[1]), 1)
    qc.cx(0, 1)
    qc.measure_all()
    return qc


def _z1(counts: dict[str, int]) -> tuple[float, float]:
    """⟨Z₁⟩ and its standard error √((1 − ⟨Z⟩²)/N) from counts (bit 1 second from the right)."""
    n = sum(counts.values())
    z = sum(c * (1 if key[-2] == "0" else -1) for key, c in counts.items()) / n
    return z, float(np.sqrt(max(1 - z * z, 0.0) / n))


class Workload:
    """Training runs on a background thread until ``stop()``.

    Args:
        healthy: the primary's faults when nothing is injected.
        calibration_max_age: the executor's calibration gate (seconds), the
            same threshold as the ``QuantumCalibrationStale`` alert.
        pace: pause between optimizer steps, seconds.
        mlflow_tracking_uri: log each training run to this MLflow server (None: no MLflow).
        on_mlflow_run: called (on the workload's thread) with each run's MLflow UI URL
            once the run is open.
    """

    def __init__(
        self,
        telemetry,
        *,
        healthy: Faults,
        calibration_max_age: float,
        pace: float = 0.2,
        seed: int = 7,
        mlflow_tracking_uri: str | None = None,
        on_mlflow_run: Callable[[str], None] | None = None,
    ) -> None:
        providers = {
            "tracer_provider": telemetry.tracer_provider,
            "meter_provider": telemetry.meter_provider,
        }
        self.ledger = Ledger()
        self.primary = ChaosBackend(PRIMARY, healthy, ledger=self.ledger, seed=seed)
        self.fallback = ChaosBackend(FALLBACK, Faults(), ledger=self.ledger, seed=seed)
        # The breaker would stop sending work to the failing backend within a second,
        # leaving the compressed SLO windows too few failures to page on; the game day
        # (`qobserve gameday`) is where the breaker is shown.
        self.executor = ResilientExecutor(
            [_StateEvents(self.primary), _StateEvents(self.fallback)],
            retry=RetryPolicy(max_attempts=3, initial=0.05, maximum=0.2),
            breaker=BreakerPolicy(enabled=False),
            gates=GatePolicy(max_calibration_age=calibration_max_age),
            deadline=60,
            record_jobs=True,
            seed=seed,
            **providers,
        )
        self._providers = providers
        self._pace, self._seed = pace, seed
        self._mlflow_uri = mlflow_tracking_uri  # None: no MLflow logging
        self._on_mlflow_run = on_mlflow_run
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-workload", daemon=True)
        self.steps = 0
        self.jobs_failed = 0
        self.error: BaseException | None = None

    def set_faults(self, faults: Faults) -> None:
        """Swap what the primary backend suffers from (takes effect at its next submission)."""
        self.primary.faults = faults

    def start(self) -> Workload:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._thread.join(timeout)
        self.executor.close()

    def _expectation(self, batch: np.ndarray) -> Expectations:
        values, errors = [], []
        for theta in batch:
            result = self.executor.run(_circuit(theta), shots=SHOTS)
            z, se = _z1(result.counts)
            values.append(z)
            errors.append(se)
        return Expectations(np.array(values), np.array(errors))

    def _run(self) -> None:
        rng = np.random.default_rng(self._seed)
        try:
            while not self._stop.is_set():
                self._training_run(rng)
        except BaseException as exc:  # surfaced by the scenario, never silently lost
            self.error = exc

    def _training_run(self, rng: np.random.Generator) -> None:
        theta = rng.uniform(0.5, 1.1, size=2)  # away from the stationary point at 0
        with track_training(
            EXPERIMENT,
            seed=self._seed,
            ansatz="ry-cx",
            qubits=2,
            backend=self.primary.name,
            shots=SHOTS,
            mlflow_tracking_uri=self._mlflow_uri,
            **self._providers,
        ) as run:
            unannounced = run.mlflow  # the run opens on MLflow's thread, within a step or two
            for _ in range(STEPS_PER_RUN):
                if self._stop.is_set():
                    return
                if unannounced is not None and (url := unannounced.run_url) is not None:
                    unannounced = None
                    if self._on_mlflow_run is not None:
                        self._on_mlflow_run(url)
                try:
                    est = parameter_shift(self._expectation, theta, include_value=True)
                except JobFailedError:
                    self.jobs_failed += 1  # every backend refused: skip the step
                else:
                    run.record_step(loss=est.value, estimate=est)
                    theta = theta - LEARNING_RATE * est.gradient
                    self.steps += 1
                self._stop.wait(self._pace)
