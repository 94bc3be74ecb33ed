"""Calibration and status snapshots of Cirq samplers and Cirq-Google processors.

``device`` is what ``BackendSpec.load`` returns: a ``cirq.Simulator`` /
``cirq.DensityMatrixSimulator`` (no calibration, always up, no queue) or a
``ProcessorSampler`` (its processor's current ``Calibration``). Calibration
time is ``Calibration.timestamp``, milliseconds since the epoch;
``Calibration.timestamp_str()`` mis-renders it and is not used.

Per-qubit figures come from the calibration metrics
``single_qubit_idle_t1_micros`` (T1) and the mean of ``single_qubit_p00_error``
and ``single_qubit_p11_error`` (readout error); Engine calibrations report no
T2. Grid qubits are keyed by their index in row-major order of the qubits the
calibration covers, since :class:`~qobserve.calibration.Calibration` keys by int.
"""

from __future__ import annotations

from typing import Any

from qobserve.calibration import BackendStatus, Calibration, QubitCalibration

__all__ = ["calibration", "status"]

_T1 = "single_qubit_idle_t1_micros"
_READOUT = ("single_qubit_p00_error", "single_qubit_p11_error")


def _processor(device: Any):
    return (
        getattr(device, "processor", None)
        if type(device).__name__ == "ProcessorSampler"
        else (device if hasattr(device, "get_current_calibration") else None)
    )


def _per_qubit(cal: Any, key: str) -> dict:
    if key not in cal:
        return {}
    return {
        targets[0]: float(values[0])
        for targets, values in cal[key].items()
        if len(targets) == 1 and values
    }


def _qubits(cal: Any) -> dict[int, QubitCalibration]:
    t1 = _per_qubit(cal, _T1)
    p00, p11 = (_per_qubit(cal, k) for k in _READOUT)
    qubits = sorted(set(t1) | set(p00) | set(p11))
    result = {}
    for index, q in enumerate(qubits):
        readout = (p00[q] + p11[q]) / 2 if q in p00 and q in p11 else None
        result[index] = QubitCalibration(
            t1_seconds=t1[q] * 1e-6 if q in t1 else None, readout_error=readout
        )
    return result


def calibration(device: Any) -> Calibration:
    """When the processor behind ``device`` was last calibrated, with per-qubit T1 and readout error.

    Returns:
        Calibration in Unix seconds; ``timestamp`` None for plain simulators.
    """
    processor = _processor(device)
    if processor is None:
        return Calibration(timestamp=None)
    cal = processor.get_current_calibration()
    if cal is None or cal.timestamp is None:
        return Calibration(timestamp=None)
    return Calibration(timestamp=cal.timestamp / 1000.0, qubits=_qubits(cal))


def status(device: Any) -> BackendStatus:
    """Operational state from ``processor.health()`` (``OK`` is up); simulators are always up.

    The Engine API does not expose a queue length: ``pending_jobs`` is None for
    real processors and 0 for simulators and virtual processors.
    """
    processor = _processor(device)
    if processor is None:
        return BackendStatus(operational=True, pending_jobs=0)
    operational = str(processor.health()).rsplit(".", 1)[-1] == "OK"
    virtual = type(processor).__name__.startswith("Simulated")
    return BackendStatus(operational=operational, pending_jobs=0 if virtual else None)
