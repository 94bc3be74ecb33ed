"""State shared by the Qiskit wrappers: the instruments, caches, and the per-job tag."""

from __future__ import annotations

import logging
from typing import Any

from qobserve.instrumentation._job import JobRecord, JobTelemetry
from qobserve.instrumentation.qiskit import device
from qobserve.semconv import Provider

__all__ = ["QISKIT", "State", "Tracked", "log"]

log = logging.getLogger("qobserve.qiskit")

QISKIT = Provider.QISKIT.value


class Tracked:
    """What a tracked job carries: its record, and the backend and shots pricing needs."""

    __slots__ = ("backend", "expectations", "fidelity", "local", "record", "shots")

    def __init__(self, record: JobRecord, backend: str, shots: int | None, local: bool) -> None:
        self.record, self.backend, self.shots, self.local = record, backend, shots, local
        #: Circuits of a job sampled for output fidelity, else None.
        self.fidelity: list | None = None
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
