"""State shared by the Qiskit wrappers: the instruments, caches, and the per-job tag."""

from __future__ import annotations

import logging
from typing import Any

from qobserve.instrumentation._job import JobRecord, JobTelemetry
from qobserve.instrumentation.qiskit import device
from qobserve.semconv import JobStatus, Provider

__all__ = ["QISKIT", "State", "Tracked", "log"]

log = logging.getLogger("qobserve.qiskit")

QISKIT = Provider.QISKIT.value


class Tracked:
    """What a tracked job carries: its record and what pricing needs."""

    __slots__ = ("backend", "expectations", "fidelity", "local", "record", "shots")

    def __init__(
        self,
        record: JobRecord,
        backend: str,
        shots: int | None,
        local: bool,
        fidelity: list | None = None,
    ) -> None:
        self.record, self.backend, self.shots, self.local = record, backend, shots, local
        #: Circuits of a job sampled for output fidelity, else None.
        self.fidelity = fidelity
        #: PUBs of an estimator job sampled for expectation error, else None.
        self.expectations: list | None = None

    def __reduce__(self):
        # Jobs are picklable (PrimitiveJob.__getstate__); a span and its lock
        # are not. An unpickled job is simply untracked.
        return _untracked, ()


def _untracked() -> None:
    return None


class State:
    """Per-instrumentation state: the instruments and the calibration cache."""

    def __init__(self, telemetry: JobTelemetry, fidelity=None) -> None:
        self.telemetry = telemetry
        #: :class:`~qobserve.fidelity.FidelityRecorder` (per-job output fidelity).
        self.fidelity = fidelity
        self.calibrations: dict[str, float | None] = {}
        self._job_cost = None
        self._costs: dict[tuple, float | None] = {}

    def calibration(self, backend: Any, name: str) -> float | None:
        """Last calibration time of ``backend``, read once per backend name and exported."""
        try:
            return self.calibrations[name]
        except KeyError:
            pass
        try:
            ts = device.calibration_timestamp(backend) if backend is not None else None
        except Exception as exc:  # properties() over the network failed: try no more
            log.debug("qobserve: no calibration for %s (%s)", name, type(exc).__name__)
            ts = None
        self.calibrations[name] = ts
        if ts is not None:
            self.telemetry.record_calibration(QISKIT, name, ts)
        return ts

    def cost(
        self, tracked: Tracked, status: JobStatus, billed_seconds: float | None
    ) -> float | None:
        """Estimated cost from :mod:`qobserve.cost` when it is installed, else None."""
        if self._job_cost is None:
            try:
                from qobserve.cost import job_cost
            except ImportError:
                job_cost = False
            self._job_cost = job_cost
        if not self._job_cost:
            return None
        key = (tracked.backend, tracked.shots, status, billed_seconds)
        try:
            return self._costs[key]
        except KeyError:
            pass
        try:
            cost = float(
                self._job_cost(
                    QISKIT,
                    tracked.backend,
                    shots=tracked.shots or 0,
                    tasks=1,
                    status=status.value,
                    billed_seconds=billed_seconds,
                )
            )
        except Exception as exc:  # unpriced backend: leave cost unset
            log.debug("qobserve: no price for %s (%s)", tracked.backend, exc)
            cost = None
        if len(self._costs) >= 512:  # a job_cost() is a pure function of the key
            self._costs.clear()
        self._costs[key] = cost
        return cost
