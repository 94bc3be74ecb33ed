"""Calibration and status snapshots of Braket devices (``AwsDevice``, ``LocalSimulator``).

Read through :func:`qobserve.calibration.read_calibration` / ``read_status``.
An AWS device reports when its properties were refreshed in
``properties.service.updatedAt`` and, for QPUs with Braket standardized
properties, when they were measured in ``properties.standardized.updatedAt``,
which is the better "calibrated at" and wins when present. Local simulators
have no calibration (timestamp None) and are always up with an empty queue.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from qobserve.calibration import BackendStatus, Calibration, QubitCalibration

__all__ = ["calibration", "status"]

_UNIT_SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def _unix(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:  # Braket timestamps are UTC even when naive
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _seconds(duration: Any) -> float | None:
    if duration is None or getattr(duration, "value", None) is None:
        return None
    factor = _UNIT_SECONDS.get(str(getattr(duration, "unit", "s")))
    return None if factor is None else float(duration.value) * factor


def _readout_error(props: Any) -> float | None:
    for fid in getattr(props, "oneQubitFidelity", None) or ():
        if getattr(getattr(fid, "fidelityType", None), "name", "") == "READOUT":
            return 1.0 - float(fid.fidelity)
    return None


def _two_qubit_errors(standardized: Any) -> dict[tuple[str, tuple[int, ...]], float]:
    """1 - fidelity of each two-qubit gate in ``twoQubitProperties`` (keys such as ``"0-1"``)."""
    errors = {}
    for key, props in (getattr(standardized, "twoQubitProperties", None) or {}).items():
        try:
            pair = tuple(int(q) for q in str(key).split("-"))
        except ValueError:
            continue
        for fid in getattr(props, "twoQubitGateFidelity", None) or ():
            name, value = getattr(fid, "gateName", None), getattr(fid, "fidelity", None)
            if name and value is not None and value < 1:
                errors[(str(name).lower(), pair)] = 1.0 - float(value)
    return errors


def _qubits(standardized: Any) -> dict[int, QubitCalibration]:
    qubits: dict[int, QubitCalibration] = {}
    for key, props in (getattr(standardized, "oneQubitProperties", None) or {}).items():
        try:
            index = int(key)
        except ValueError:  # non-numeric qubit ids cannot key the per-qubit table
            continue
        qubits[index] = QubitCalibration(
            t1_seconds=_seconds(getattr(props, "T1", None)),
            t2_seconds=_seconds(getattr(props, "T2", None)),
            readout_error=_readout_error(props),
        )
    return qubits


def calibration(device: Any) -> Calibration:
    """When ``device`` was last calibrated and its per-qubit T1/T2/readout error.

    Args:
        device: an ``AwsDevice`` or a ``LocalSimulator``.

    Returns:
        A Calibration in Unix seconds; ``timestamp`` None for local simulators.
    """
    from braket.devices import LocalSimulator

    if isinstance(device, LocalSimulator):
        return Calibration(timestamp=None)
    props = device.properties
    standardized = getattr(props, "standardized", None)
    timestamp = _unix(getattr(standardized, "updatedAt", None))
    if timestamp is None:
        timestamp = _unix(getattr(getattr(props, "service", None), "updatedAt", None))
    return Calibration(
        timestamp=timestamp,
        qubits=_qubits(standardized),
        gate_errors=_two_qubit_errors(standardized),
    )


def _queue_size(value: Any) -> int:
    # Braket caps what it reports: ">4000" means at least 4000.
    text = str(value).lstrip(">").strip()
    return int(text) if text.isdigit() else 0


def status(device: Any) -> BackendStatus:
    """Whether ``device`` accepts tasks and how many quantum tasks wait in its queue.

    ``AwsDevice.status`` is ONLINE, OFFLINE or RETIRED; pending jobs are the
    normal plus priority quantum tasks of ``AwsDevice.queue_depth()``.
    """
    from braket.devices import LocalSimulator

    if isinstance(device, LocalSimulator):
        return BackendStatus(operational=True, pending_jobs=0)
    device.refresh_metadata()
    operational = device.status == "ONLINE"
    depth = device.queue_depth()
    pending = sum(_queue_size(v) for v in (depth.quantum_tasks or {}).values())
    return BackendStatus(operational=operational, pending_jobs=pending)
