"""How a job's comparisons are chosen among its PUBs and their bindings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("qiskit_ibm_runtime")

from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.primitives.containers.bit_array import BitArray
from qiskit.primitives.containers.sampler_pub import SamplerPub

from qobserve.fidelity.sweep import items
from qobserve.semconv import Attr


def _rotation() -> QuantumCircuit:
    qc = QuantumCircuit(1)
    qc.ry(Parameter("θ"), 0)
    qc.measure_all()
    return qc


def test_budget_is_shared_in_order_and_spread_over_each_sweep():
    """A plain circuit, then a 10-binding sweep, with 5 comparisons: 1 + 4 spread over 0…9."""
    from qobserve.fidelity.sweep import SweepCounts

    plain = QuantumCircuit(1)
    plain.measure_all()
    pub = SamplerPub.coerce((_rotation(), np.linspace(0, 1, 10).reshape(10, 1)))
    bits = BitArray.from_counts([{"0": 1 + k, "1": 19 - k} for k in range(10)])
    chosen = list(items([plain, pub], [{"0": 5}, SweepCounts(bits)], limit=5))
    assert [(i.index, i.binding) for i in chosen] == [(0, None), (1, 0), (1, 3), (1, 6), (1, 9)]
    # Each binding gets its own bound circuit and its own counts.
    assert [i.counts["0"] for i in chosen[1:]] == [1, 4, 7, 10]
    assert not any(i.circuit.parameters for i in chosen)


def test_single_binding_pub_is_one_comparison(qiskit_fidelity):
    """A PUB of shape () with a parameter is bound and compared once, without a binding index."""
    from qiskit_aer import AerSimulator
    from qiskit_ibm_runtime import SamplerV2

    otel, recorder = qiskit_fidelity
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SamplerV2(mode=AerSimulator(seed_simulator=1)).run(
            [(_rotation(), [0.7])], shots=500
        ).result()
    assert recorder.flush(30)
    [span] = [s for s in otel.spans() if s.name.endswith(" output_fidelity")]
    assert Attr.CIRCUIT_BINDING_INDEX.value not in span.attributes
    # Noiseless 2-outcome distribution, 500 shots: bias ≥ −1/(4·500), sd → 0 as F → 1.
    assert span.attributes[Attr.OUTPUT_FIDELITY.value] > 0.99
