"""Probes: what the exporter measures about a backend, as metric samples.

A probe is a callable ``(target) -> list[Sample]`` that raises on failure. The
scheduler times it, caches its samples and exports them; probes never run on
scrape. Names come from :mod:`qobserve.semconv`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from qobserve import semconv
from qobserve.backends import BackendSpec
from qobserve.calibration import read_calibration, read_status
from qobserve.semconv import (
    LABEL,
    QUANTUM_BACKEND_CALIBRATION_TIMESTAMP_SECONDS,
    QUANTUM_BACKEND_GATE_ERROR_RATIO,
    QUANTUM_BACKEND_PENDING_JOBS,
    QUANTUM_BACKEND_QUBIT_READOUT_ERROR_RATIO,
    QUANTUM_BACKEND_QUBIT_T1_SECONDS,
    QUANTUM_BACKEND_QUBIT_T2_SECONDS,
    QUANTUM_BACKEND_UP,
    Attr,
)

__all__ = ["Sample", "Target", "calibration_probe", "status_probe"]

_P, _B, _Q = LABEL[Attr.PROVIDER], LABEL[Attr.BACKEND], LABEL[Attr.QUBIT]
_GATE, _QUBITS, _SOURCE = LABEL[Attr.GATE], LABEL[Attr.QUBITS], LABEL[Attr.SOURCE]
_GATE_ERROR = semconv.metric(QUANTUM_BACKEND_GATE_ERROR_RATIO).prom_name


@dataclass(frozen=True)
class Sample:
    """One gauge value: Prometheus metric name, labels, value."""

    metric: str
    labels: tuple[tuple[str, str], ...]
    value: float


@dataclass
class Target:
    """A configured backend; the SDK object is built on first use, in a probe thread,
    so a slow or failing SDK constructor never blocks start-up or the scrape."""

    name: str
    spec: BackendSpec
    credentials: dict[str, str] = field(default_factory=dict, repr=False)  # never in a repr or log
    _device: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def labels(self) -> tuple[tuple[str, str], ...]:
        return ((_P, self.spec.provider.value), (_B, self.spec.name))

    def device(self) -> Any:
        with self._lock:
            if self._device is None:
                self._device = (
                    self.spec.load(credentials=self.credentials)
                    if self.credentials
                    else self.spec.load()
                )
            return self._device


def _gate_error(target: Target, gate: str, qubits: tuple[int, ...], value: float) -> Sample:
    labels = (
        *target.labels,
        (_GATE, gate),
        (_QUBITS, "_".join(map(str, qubits))),
        (_SOURCE, semconv.GATE_ERROR_PROVIDER),
    )
    return Sample(_GATE_ERROR, labels, value)


def calibration_probe(target: Target) -> list[Sample]:
    """Calibration timestamp, per-qubit T1, T2 and readout error, and the provider's gate
    errors as ``quantum_backend_gate_error_ratio{source="provider"}`` (readout as
    ``gate="measure"``), on the label set RB's measured ``source="rb"`` values use."""
    cal = read_calibration(target.spec, target.device())
    samples = []
    if cal.timestamp is not None:
        samples.append(
            Sample(QUANTUM_BACKEND_CALIBRATION_TIMESTAMP_SECONDS, target.labels, cal.timestamp)
        )
    for qubit, q in sorted(cal.qubits.items()):
        labels = (*target.labels, (_Q, str(qubit)))
        for name, value in (
            (QUANTUM_BACKEND_QUBIT_T1_SECONDS, q.t1_seconds),
            (QUANTUM_BACKEND_QUBIT_T2_SECONDS, q.t2_seconds),
            (QUANTUM_BACKEND_QUBIT_READOUT_ERROR_RATIO, q.readout_error),
        ):
            if value is not None:
                samples.append(Sample(name, labels, value))
        if q.readout_error:
            samples.append(_gate_error(target, semconv.READOUT_GATE, (qubit,), q.readout_error))
    for (gate, qubits), value in sorted(cal.gate_errors.items()):
        samples.append(_gate_error(target, gate, qubits, value))
    return samples


def status_probe(target: Target) -> list[Sample]:
    """Whether the backend is operational, and its queue length."""
    status = read_status(target.spec, target.device())
    samples = [Sample(QUANTUM_BACKEND_UP, target.labels, 1.0 if status.operational else 0.0)]
    if status.pending_jobs is not None:
        samples.append(
            Sample(QUANTUM_BACKEND_PENDING_JOBS, target.labels, float(status.pending_jobs))
        )
    return samples
