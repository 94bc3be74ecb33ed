"""Provider-neutral calibration and status snapshots of a backend.

Each SDK's instrumentation package has a ``device`` module with
``calibration(device) -> Calibration`` and ``status(device) -> BackendStatus``
that read the SDK's own objects; instrumentation, the exporter's probes and the
executor's calibration gate all go through :func:`read_calibration` and
:func:`read_status` so the three agree on what "calibrated at" means.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from qobserve.backends import BackendSpec

__all__ = ["BackendStatus", "Calibration", "QubitCalibration", "read_calibration", "read_status"]


@dataclass(frozen=True)
class QubitCalibration:
    """Per-qubit figures in base units (seconds, ratios); None where not reported."""

    t1_seconds: float | None = None
    t2_seconds: float | None = None
    readout_error: float | None = None


@dataclass(frozen=True)
class Calibration:
    """When the backend was last calibrated (Unix seconds) and what it reported.

    ``gate_errors`` maps (gate name, qubits) to the provider's error ratio of that
    gate, e.g. ``("cx", (0, 1)) -> 0.008``; gates reported with error 0 (virtual
    ``rz``) are left out.
    """

    timestamp: float | None
    qubits: dict[int, QubitCalibration] = field(default_factory=dict)
    gate_errors: dict[tuple[str, tuple[int, ...]], float] = field(default_factory=dict)


@dataclass(frozen=True)
class BackendStatus:
    """Whether the backend accepts work and how many jobs wait in its queue."""

    operational: bool | None
    pending_jobs: int | None = None


def _device_module(spec: BackendSpec):
    return importlib.import_module(f"qobserve.instrumentation.{spec.provider.value}.device")


def read_calibration(spec: BackendSpec, device: Any) -> Calibration:
    """Calibration snapshot of ``device`` (the object ``spec.load()`` returned)."""
    return _device_module(spec).calibration(device)


def read_status(spec: BackendSpec, device: Any) -> BackendStatus:
    """Operational state and queue length of ``device``."""
    return _device_module(spec).status(device)
