"""Exact ground truth on the stim fast path: DEPOLARIZE1(p) → EPC 2p/3, DEPOLARIZE2(p) → 4p/5."""

from __future__ import annotations

import pytest

from qobserve.benchmarking import RBData, RBExperiment, analyze, run_rb
from qobserve.benchmarking.runners import run_stim


def _stim_fit(qubits, p, *, samples, seed, lengths=None, shots=1024, readout_error=0.0):
    exp = RBExperiment(qubits, lengths, samples, seed)
    s = run_stim(
        exp.circuits(),
        exp.num_qubits,
        shots=shots,
        depolarizing=p,
        readout_error=readout_error,
        seed=seed,
    )
    return analyze(RBData(exp.num_qubits, exp.lengths, s.reshape(samples, -1), shots), seed=seed)


@pytest.mark.parametrize("seed", [1, 2])
def test_one_qubit_depolarize1_gives_two_thirds_p(seed):
    """DEPOLARIZE1(p) after every Clifford: λ = 4p/3, so EPC = λ/2 = 2p/3; ±35% at 30 sequences."""
    p = 0.006
    fit = _stim_fit((0,), p, samples=30, seed=seed)
    assert fit.ok
    assert fit.epc == pytest.approx(2 * p / 3, rel=0.35)


@pytest.mark.parametrize("seed", [1, 2])
def test_two_qubit_depolarize2_gives_four_fifths_p(seed):
    """DEPOLARIZE2(p): λ = 16p/15, so EPC = 3λ/4 = 4p/5; ±40% at 60 sequences."""
    p = 0.02
    fit = _stim_fit((0, 1), p, samples=60, seed=seed, shots=512)
    assert fit.ok
    assert fit.epc == pytest.approx(4 * p / 5, rel=0.40)


def test_readout_flips_change_spam_not_epc():
    """Readout flips lower A·α^m + B uniformly, so the EPC still matches 2p/3 (±35%)."""
    p = 0.006
    fit = _stim_fit((0,), p, samples=30, seed=4, readout_error=0.05)
    assert fit.ok and fit.a < 0.47
    assert fit.epc == pytest.approx(2 * p / 3, rel=0.35)


def test_bootstrap_interval_covers_truth_in_at_least_17_of_20_seeds():
    """Coverage of the 95% bootstrap interval: binomial(20, 0.95) gives ≥17 with 98.4%
    probability, and percentile bootstrap at 30 sequences covers ~91-95%."""
    p = 0.009
    truth = 2 * p / 3
    hits = 0
    for seed in range(20):
        fit = _stim_fit(
            (0,), p, samples=30, seed=100 + seed, lengths=(1, 20, 50, 100, 150), shots=512
        )
        hits += fit.ok and fit.epc_ci[0] <= truth <= fit.epc_ci[1]
    assert hits >= 17


def test_noiseless_stim_gives_zero_with_interval_containing_zero():
    """Without noise every sequence returns to |0>: EPC 0 and an interval containing 0."""
    result = run_rb("stim", (0, 1), lengths=(1, 5, 10), num_samples=5, shots=64, seed=0)
    assert result.fit.ok and result.fit.epc == 0.0
    assert result.fit.epc_ci[0] <= 0.0 <= result.fit.epc_ci[1]


def test_noise_spec_on_stim_uses_the_contract_convention():
    """--noise depolarizing:λ on stim gives EPC λ(d-1)/d = λ/2 for one qubit (±35%)."""
    result = run_rb("stim", (0,), noise="depolarizing:0.01", num_samples=30, seed=9)
    assert result.fit.epc == pytest.approx(0.005, rel=0.35)
