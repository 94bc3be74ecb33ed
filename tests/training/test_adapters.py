"""SDK adapters evaluate the same circuit to the same expectation values."""

from __future__ import annotations

import numpy as np
import pytest

BATCH = np.array([[0.7, 0.4], [1.2, -0.3], [0.0, 0.0]])


@pytest.mark.parametrize("sdk", ["braket", "cirq", "qiskit"])
def test_adapter_values_agree_with_analytic_within_shot_noise(sdk, circuits):
    """Each SDK's sampled ⟨Z⟩ lies within 4 reported standard errors of cos a · cos b."""
    shots = 2000
    out = circuits.costs[sdk](shots, seed=3)(BATCH)
    truth = np.array([circuits.exact(row) for row in BATCH])
    assert out.values.shape == out.stderr.shape == (3,)
    # Binomial stderr √((1−C²)/N) vanishes at C = 1 (last row): floor the tolerance at 1e-9.
    assert np.all(np.abs(out.values - truth) <= 4 * out.stderr + 1e-9)
    assert np.all(out.stderr <= 1 / np.sqrt(shots) + 1e-12)


@pytest.mark.parametrize("sdk", ["braket", "cirq", "qiskit"])
def test_adapter_rejects_wrong_width(sdk, circuits):
    """A parameter set of the wrong width names the circuit's parameters."""
    with pytest.raises(ValueError, match="params: circuit has 2 parameters"):
        circuits.costs[sdk](100, seed=0)(np.zeros((1, 3)))
