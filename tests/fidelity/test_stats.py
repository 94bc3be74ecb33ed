"""Hellinger fidelity, TVD and the bootstrap interval against Qiskit's definitions."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import hellinger_fidelity

from qobserve.fidelity.ideal import Unsupported, ideal_distribution
from qobserve.fidelity.stats import compare


def _ghz3():
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.measure_all()
    return qc


def test_matches_qiskit_hellinger_fidelity():
    """compare() gives qiskit.quantum_info.hellinger_fidelity against the exact ideal."""
    counts = {"000": 480, "111": 470, "010": 30, "101": 20}
    result = compare(counts, ideal_distribution(_ghz3()), resamples=0)
    assert result.fidelity == pytest.approx(hellinger_fidelity(counts, {"000": 0.5, "111": 0.5}))
    assert result.tvd == pytest.approx(0.5 * (0.02 + 0.03 + 0.03 + 0.02))


def test_bootstrap_interval_brackets_the_estimate():
    """The basic bootstrap interval contains the estimate and reports a downward bias."""
    counts = {"000": 4800, "111": 4700, "010": 300, "101": 200}
    result = compare(counts, ideal_distribution(_ghz3()), seed=1)
    assert result.ci_low < result.fidelity < result.ci_high
    assert result.bias < 0


def test_statevector_and_stim_agree_on_a_clifford_circuit():
    """Both methods give the same probabilities for a 4-qubit Clifford circuit with a partial read."""
    from qobserve.fidelity.ideal import _terminal, stabilizer_ideal

    qc = QuantumCircuit(4, 3)
    qc.h([0, 2])
    qc.cx(0, 1)
    qc.s(2)
    qc.sx(3)
    qc.cz(2, 3)
    qc.measure([3, 1, 0], [0, 1, 2])
    keys = [format(i, "03b") for i in range(8)]
    dense = ideal_distribution(qc)(keys)
    assert np.allclose(stabilizer_ideal(_terminal(qc))(keys), dense)


def test_mid_circuit_measurement_is_unsupported():
    """A gate after a measurement makes the distribution undefined by terminal reads."""
    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    qc.x(0)
    with pytest.raises(Unsupported):
        ideal_distribution(qc)


@pytest.mark.parametrize("shots", [100, 1000, 10000])
def test_ghz3_bias_matches_the_documented_table(shots):
    """Exact E[F̂] − 1 for a perfect GHZ-3 (p̂₀ ~ Binomial(N, ½)/N) is −1/(4N) within 2 %.

    F̂ = (√(k/2N) + √((N−k)/2N))² = ½ + √(k(N−k))/N; docs/instrumenting.md's table.
    """
    from scipy.stats import binom

    k = np.arange(shots + 1)
    bias = float(np.sum(binom.pmf(k, shots, 0.5) * (0.5 + np.sqrt(k * (shots - k)) / shots))) - 1
    assert bias == pytest.approx(-1 / (4 * shots), rel=0.02)


def test_wide_ecr_circuit_takes_the_stim_path():
    """A 30-qubit GHZ in IBM Eagle's basis (ecr, rz, sx, x) is Clifford: ½ on 0…0 and 1…1."""
    from qiskit import transpile

    qc = QuantumCircuit(30)
    qc.h(0)
    for i in range(29):
        qc.cx(i, i + 1)
    qc.measure_all()
    isa = transpile(qc, basis_gates=["ecr", "rz", "sx", "x"], optimization_level=1)
    assert "ecr" in isa.count_ops()
    ideal = ideal_distribution(isa, max_qubits=20)
    assert ideal.method == "stim"
    keys = ["0" * 30, "1" * 30, "0" * 29 + "1"]
    assert list(ideal(keys)) == pytest.approx([0.5, 0.5, 0.0])
