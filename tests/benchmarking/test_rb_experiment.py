"""Sequence generation: seeded, nested prefixes, validated input."""

from __future__ import annotations

import pytest

from qobserve.benchmarking.rb_experiment import DEFAULT_LENGTHS, RBExperiment, qubits_label


def test_same_seed_same_sequences_and_different_seed_differs():
    """A seed fixes the circuits; another seed draws other sequences."""
    a = RBExperiment((0,), (1, 5, 9), num_samples=4, seed=11).sequences()
    b = RBExperiment((0,), (1, 5, 9), num_samples=4, seed=11).sequences()
    c = RBExperiment((0,), (1, 5, 9), num_samples=4, seed=12).sequences()
    assert a == b
    assert a != c


def test_circuits_are_nested_prefixes_per_sample_with_recovery_last():
    """Within a sample, the length-m circuit is the first m Cliffords of the longest plus a recovery."""
    exp = RBExperiment((0, 1), (2, 6, 10), num_samples=3, seed=1)
    circuits = exp.circuits()
    assert [(c.sample, c.length) for c in circuits] == [
        (s, m) for s in range(3) for m in (2, 6, 10)
    ]
    for s in range(3):
        longest = circuits[3 * s + 2].cliffords[:-1]
        for c in circuits[3 * s : 3 * s + 3]:
            assert c.cliffords[:-1] == longest[: c.length]
            assert len(c.layers) == c.length + 1


def test_defaults_and_label():
    """Default lengths depend on the qubit count; the label joins qubits with underscores."""
    assert RBExperiment((3,)).lengths == DEFAULT_LENGTHS[1]
    assert RBExperiment((0, 1)).lengths == DEFAULT_LENGTHS[2]
    assert RBExperiment((4, 2)).label == qubits_label((4, 2)) == "4_2"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"qubits": (0, 1, 2)}, "qubits"),
        ({"qubits": (1, 1)}, "qubits"),
        ({"qubits": (0,), "lengths": (1, 1, 5)}, "lengths"),
        ({"qubits": (0,), "lengths": (-1, 5)}, "lengths"),
        ({"qubits": (0,), "num_samples": 0}, "samples"),
    ],
)
def test_bad_input_names_the_field(kwargs, field):
    """Invalid qubits, lengths or sample counts raise a ValueError naming the field."""
    with pytest.raises(ValueError, match=f"^{field}:"):
        RBExperiment(**kwargs)
