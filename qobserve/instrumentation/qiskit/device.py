"""Calibration and status snapshots of Qiskit backends (fake, Aer, IBM Quantum).

``backend.properties()`` is the one place every IBM-style backend reports when
it was calibrated (``last_update_date``) and its per-qubit T1/T2/readout error,
already converted to seconds by the SDK. Ideal simulators have no properties:
they report no calibration time and are always operational with an empty queue.
"""

from __future__ import annotations

from typing import Any

from qobserve.calibration import BackendStatus, Calibration, QubitCalibration

__all__ = ["calibration", "calibration_timestamp", "status"]


def _properties(device: Any):
    props = getattr(device, "properties", None)
    if props is None:
        return None
    try:
        return props()
    except (NotImplementedError, AttributeError):
        return None


def calibration_timestamp(device: Any) -> float | None:
    """Unix time of the backend's last calibration, or None for ideal simulators."""
    props = _properties(device)
    when = getattr(props, "last_update_date", None)
    return when.timestamp() if when is not None else None


def _qubit_value(props, method: str, qubit: int) -> float | None:
    try:
        value = getattr(props, method)(qubit)
    except Exception:  # BackendPropertyError: this qubit does not report it
        return None
    return float(value) if value is not None else None


def _gate_errors(props) -> dict[tuple[str, tuple[int, ...]], float]:
    """``gate_error`` of every gate in ``props.gates`` that reports one above 0."""
    errors = {}
    for gate in getattr(props, "gates", None) or ():
        for param in getattr(gate, "parameters", None) or ():
            if getattr(param, "name", None) == "gate_error" and param.value:
                errors[(str(gate.gate), tuple(int(q) for q in gate.qubits))] = float(param.value)
    return errors


def calibration(device: Any) -> Calibration:
    """Calibration snapshot: last update time, per-qubit T1, T2 (s) and readout error,
    and each gate's reported error."""
    props = _properties(device)
    if props is None:
        return Calibration(timestamp=None)
    qubits = {
        q: QubitCalibration(
            t1_seconds=_qubit_value(props, "t1", q),
            t2_seconds=_qubit_value(props, "t2", q),
            readout_error=_qubit_value(props, "readout_error", q),
        )
        for q in range(len(getattr(props, "qubits", ())))
    }
    when = getattr(props, "last_update_date", None)
    return Calibration(
        timestamp=when.timestamp() if when is not None else None,
        qubits=qubits,
        gate_errors=_gate_errors(props),
    )


def status(device: Any) -> BackendStatus:
    """Operational flag and queue length from ``backend.status()``; local simulators are up, empty."""
    get = getattr(device, "status", None)
    if get is None:
        return BackendStatus(operational=True, pending_jobs=0)
    st = get()
    return BackendStatus(
        operational=bool(getattr(st, "operational", True)),
        pending_jobs=int(getattr(st, "pending_jobs", 0) or 0),
    )
