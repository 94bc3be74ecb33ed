"""The Clifford group tables: complete, correctly decomposed, and invertible by lookup."""

from __future__ import annotations

import numpy as np
import pytest
import stim

from qobserve.benchmarking.cliffords import GATES, clifford_group


@pytest.mark.parametrize(("n", "size"), [(1, 24), (2, 11520)])
def test_group_is_complete_and_distinct(n, size):
    """The group has 24 / 11,520 distinct elements, matching stim's own enumeration."""
    group = clifford_group(n)
    assert len(group) == size
    assert {str(t) for t in group.tableaus} == {str(t) for t in stim.Tableau.iter_all(n)}


@pytest.mark.parametrize("n", [1, 2])
def test_decompositions_implement_their_tableau(n):
    """Every element's neutral gate list, run through stim, gives exactly its tableau."""
    group = clifford_group(n)
    for index in range(0, len(group), 7 if n == 2 else 1):
        circuit = stim.Circuit()
        circuit.append("I", list(range(n)))
        for name, qubits in group.gates[index]:
            circuit.append(GATES[name], list(qubits))
        assert stim.Tableau.from_circuit(circuit) == group.tableaus[index]


def test_two_qubit_decompositions_use_few_cx():
    """Canonical classes: at most 3 CX and 1.5 on average (Corcoles et al. 2013)."""
    cx = [sum(name == "cx" for name, _ in g) for g in clifford_group(2).gates]
    assert max(cx) == 3
    assert np.mean(cx) == pytest.approx(1.5)


def test_one_qubit_decompositions_need_at_most_one_pulse():
    """Single-qubit Cliffords are Z rotations around at most one x/sx pulse (IBM-friendly)."""
    pulses = [sum(name in ("x", "sx") for name, _ in g) for g in clifford_group(1).gates]
    assert max(pulses) == 1


@pytest.mark.parametrize("n", [1, 2])
def test_recovery_inverts_each_prefix(n):
    """Each prefix followed by its recovery Clifford composes to the identity."""
    group = clifford_group(n)
    seq = np.random.default_rng(5).integers(len(group), size=40).tolist()
    lengths = [0, 1, 7, 40]
    for m, rec in zip(lengths, group.recoveries(seq, lengths), strict=False):
        acc = stim.Tableau(n)
        for i in [*seq[:m], rec]:
            acc = acc.then(group.tableaus[i])
        assert acc == stim.Tableau(n)


def test_group_rejects_three_qubits():
    """Only 1- and 2-qubit RB is supported, and the error says so."""
    from qobserve.benchmarking.cliffords import CliffordGroup

    with pytest.raises(ValueError, match="qubits: RB supports 1 or 2 qubits"):
        CliffordGroup(3)
