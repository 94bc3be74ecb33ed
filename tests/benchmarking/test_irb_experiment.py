"""Interleaved RB sequences and the interleaved-gate analysis, without a simulator."""

from __future__ import annotations

import numpy as np
import pytest
import stim

from qobserve.benchmarking.cliffords import (
    INTERLEAVABLE,
    clifford_group,
    gate_tableau,
    neutral_word,
)
from qobserve.benchmarking.irb_analysis import analyze_interleaved, systematic_error
from qobserve.benchmarking.irb_experiment import GATE_INDEX, InterleavedRBExperiment
from qobserve.benchmarking.rb_analysis import RBData
from qobserve.benchmarking.rb_experiment import RBExperiment


@pytest.mark.parametrize("gate", list(INTERLEAVABLE))
def test_neutral_word_is_the_gate(gate):
    """The neutral-set word stim runs for a gate has the gate's own tableau."""
    n = INTERLEAVABLE[gate]
    circuit = stim.Circuit()
    circuit.append("I", list(range(n)))
    for name, qubits in neutral_word(gate):
        circuit.append(
            {"x": "X", "z": "Z", "s": "S", "sdg": "S_DAG", "sx": "SQRT_X", "cx": "CX"}[name],
            list(qubits),
        )
    assert stim.Tableau.from_circuit(circuit) == gate_tableau(gate)


def test_ecr_tableau_matches_qiskit():
    """ECR's tableau is built from the matrix Qiskit's ECRGate uses (little-endian)."""
    from qiskit.circuit.library import ECRGate

    assert stim.Tableau.from_unitary_matrix(ECRGate().to_matrix(), endian="little") == gate_tableau(
        "ecr"
    )


@pytest.mark.parametrize(
    ("qubits", "gate"), [((0,), "x"), ((0,), "sx"), ((0, 1), "cx"), ((0, 1), "ecr")]
)
def test_interleaved_sequences_share_cliffords_and_invert_to_identity(qubits, gate):
    """Same random Cliffords as the reference, G after each, and the whole product is the identity."""
    exp = InterleavedRBExperiment(RBExperiment(qubits, (0, 2, 5), num_samples=2, seed=4), gate)
    reference, interleaved = exp.circuits()
    group = clifford_group(len(qubits))
    for ref, inter in zip(reference, interleaved, strict=True):
        assert (ref.sample, ref.length) == (inter.sample, inter.length)
        assert inter.cliffords[:-1:2] == ref.cliffords[:-1] and set(inter.cliffords[1:-1:2]) <= {
            GATE_INDEX
        }
        assert len(inter.layers) == 2 * inter.length + 1
        acc = stim.Tableau(len(qubits))
        for idx in inter.cliffords:
            acc = acc.then(gate_tableau(gate) if idx == GATE_INDEX else group.tableaus[idx])
        assert acc == stim.Tableau(len(qubits))


@pytest.mark.parametrize(
    ("qubits", "gate", "hint"),
    [
        ((0,), "cx", "two coupled qubits"),
        ((0, 1), "x", "one qubit"),
        ((0,), "h", "expected one of"),
    ],
)
def test_gate_must_fit_the_rb_qubits(qubits, gate, hint):
    """A gate on the wrong number of qubits, or not interleavable, is refused naming interleave."""
    with pytest.raises(ValueError, match=f"interleave: .*{hint}"):
        InterleavedRBExperiment(RBExperiment(qubits, (1, 2, 3)), gate)


def test_exact_decays_give_the_exact_gate_error_and_bounds():
    """Noise-free decays α=0.99 and α·α_c with α_c=0.98: r = (1/2)(1 − 0.98) = 0.01 exactly."""
    m = np.array([1, 10, 30, 60, 100, 150])
    ref = 0.5 * 0.99**m + 0.5
    inter = 0.5 * (0.99 * 0.98) ** m + 0.5
    rows = 8
    fit = analyze_interleaved(
        RBData(1, tuple(m), np.tile(ref, (rows, 1)), 10**6),
        RBData(1, tuple(m), np.tile(inter, (rows, 1)), 10**6),
        gate="x",
        seed=1,
    )
    assert fit.ok and fit.gate_error == pytest.approx(0.01, rel=1e-3)
    e = systematic_error(0.99, 0.98, 2)
    # E₁ = (1/2)(|0.99 − 0.98| + 0.01) = 0.01; E₂ = 2·3·0.01/(0.99·4) + 4·0.1·√3/0.99 ≈ 0.715.
    assert e == pytest.approx(0.01, rel=1e-9)
    assert fit.systematic_bounds == pytest.approx((0.0, 0.02), abs=1e-6)
    assert fit.gate_error_ci == pytest.approx(
        (0.01, 0.01), rel=0.01
    )  # the bootstrap refits on a 0.5 % grid


def test_failed_interleaved_fit_has_no_gate_numbers():
    """An interleaved curve already at 1/d gives no gate error and says which fit failed."""
    m = (1, 10, 20)
    ref = np.tile(0.5 * 0.99 ** np.array(m) + 0.5, (4, 1))
    fit = analyze_interleaved(
        RBData(1, m, ref, 1000), RBData(1, m, np.full((4, 3), 0.5), 1000), gate="sx"
    )
    assert (
        not fit.ok
        and fit.gate_error is None
        and fit.message.startswith("interleaved RB fit no_decay")
    )
