"""Randomized benchmarking: fidelity probes for any backend qobserve can load.

Standard Clifford RB (Magesan et al., PRL 106, 180504 (2011)) for one or two
qubits, split as qiskit-experiments splits it: :class:`RBExperiment` draws
seeded Clifford sequences and builds SDK-neutral circuits; runners turn them
into native Qiskit, Braket, Cirq or stim circuits and submit them in as few
jobs as the provider allows; :func:`analyze` fits A·αᵐ + B and reports the error
per Clifford (average gate infidelity, (1 − α)(d − 1)/d) with a bootstrap
confidence interval, or a :class:`FitStatus` saying why there is no number.

Quick start::

    from qobserve.benchmarking import run_rb

    result = run_rb("qiskit:aer", qubits=(0,), noise="depolarizing:0.01", seed=7)
    if result.fit.ok:
        print(result.fit.epc, result.fit.epc_ci)   # ≈ 0.005 = λ(d − 1)/d

    run_rb("stim", qubits=(0, 1), noise="depolarizing:0.02")   # sub-second what-if

On the command line: ``qobserve rb --backend qiskit:aer --qubits 0 --json``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qobserve.benchmarking.irb_analysis import InterleavedFit, analyze_interleaved
    from qobserve.benchmarking.irb_experiment import InterleavedRBExperiment
    from qobserve.benchmarking.probe import STIM, RBResult, run_rb
    from qobserve.benchmarking.rb_analysis import FitStatus, RBData, RBFit, analyze, epc_from_alpha
    from qobserve.benchmarking.rb_experiment import DEFAULT_LENGTHS, RBCircuit, RBExperiment

# Imported on first use (PEP 562), so ``qobserve rb`` can reject a bad argument before
# loading scipy and OpenTelemetry.
_HOMES = {
    "STIM": "probe",
    "RBResult": "probe",
    "run_rb": "probe",
    "FitStatus": "rb_analysis",
    "RBData": "rb_analysis",
    "RBFit": "rb_analysis",
    "analyze": "rb_analysis",
    "epc_from_alpha": "rb_analysis",
    "DEFAULT_LENGTHS": "rb_experiment",
    "RBCircuit": "rb_experiment",
    "RBExperiment": "rb_experiment",
    "InterleavedFit": "irb_analysis",
    "analyze_interleaved": "irb_analysis",
    "InterleavedRBExperiment": "irb_experiment",
}

__all__ = [
    "DEFAULT_LENGTHS",
    "STIM",
    "FitStatus",
    "InterleavedFit",
    "InterleavedRBExperiment",
    "RBCircuit",
    "RBData",
    "RBExperiment",
    "RBFit",
    "RBResult",
    "analyze",
    "analyze_interleaved",
    "epc_from_alpha",
    "run_rb",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
