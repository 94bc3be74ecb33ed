"""Estimator jobs: absolute error of each expectation value against the ideal one.

With precision ε the estimator takes N = 1/ε² shots; a Pauli expectation ⟨P⟩ estimated
from N shots has sd = sqrt((1 − ⟨P⟩²)/N) ≤ ε, so on a noiseless simulator every error is
below 4ε (a 4-sigma band; seeds fixed by the simulator's seed_simulator).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("qiskit_ibm_runtime")

from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.quantum_info import SparsePauliOp
from qiskit_aer import AerSimulator
from qiskit_ibm_runtime import EstimatorV2

from qobserve.semconv import METRICS, Attr

ERROR = METRICS["quantum_job_expectation_error"].otel_name
PRECISION = 0.02


def test_estimator_errors_are_recorded_per_value(qiskit_fidelity):
    """A GHZ-3 PUB with 3 observables and a 4-point parameter sweep: 3 + 4 errors, each < 4ε."""
    otel, recorder = qiskit_fidelity
    ghz = QuantumCircuit(3)
    ghz.h(0)
    ghz.cx(0, 1)
    ghz.cx(1, 2)
    theta = Parameter("θ")
    rot = QuantumCircuit(1)
    rot.ry(theta, 0)
    observables = [SparsePauliOp("ZZI"), SparsePauliOp("XXX"), SparsePauliOp("IIZ")]
    sweep = np.linspace(0, np.pi, 4).reshape(4, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # EstimatorV2's deprecation in favour of the executor one
        EstimatorV2(mode=AerSimulator(seed_simulator=5)).run(
            [(ghz, observables), (rot, SparsePauliOp("Z"), sweep)], precision=PRECISION
        ).result()
    assert recorder.flush(30)
    [span] = [s for s in otel.spans() if s.name == "qiskit aer_simulator expectation_error"]
    assert span.attributes[Attr.EXPECTATION_COUNT.value] == 7
    assert 0 <= span.attributes[Attr.EXPECTATION_ERROR_MAX.value] < 4 * PRECISION
    [point] = otel.points(ERROR)
    assert point.count == 7 and point.max < 4 * PRECISION
