"""Parameter-shift and SPSA estimators on real SDK simulators."""

from __future__ import annotations

import numpy as np
import pytest

from qobserve.training import Expectations, parameter_shift, spsa
from qobserve.training.snr import gradient_stats

THETA = np.array([0.7, 0.4])


@pytest.mark.parametrize("sdk", ["qiskit", "braket"])
def test_exact_simulators_give_the_analytic_gradient(sdk, circuits):
    """Without shots, parameter shift reproduces ∂(cos a cos b) exactly and reports zero noise."""
    est = parameter_shift(circuits.costs[sdk](0, seed=1), THETA, include_value=True)
    np.testing.assert_allclose(est.gradient, circuits.exact_gradient(THETA), atol=1e-9)
    assert est.value == pytest.approx(circuits.exact(THETA))
    np.testing.assert_allclose(est.stderr, 0.0)
    assert est.evaluations == 5


@pytest.mark.parametrize("shift", [np.pi / 2, np.pi / 4])
def test_general_shift_rule_is_exact(shift, circuits):
    """[C(θ+s) − C(θ−s)] / (2 sin s) is exact for any s on a Pauli-rotation cost."""

    def cost(batch):
        return Expectations(np.cos(batch[:, 0]) * np.cos(batch[:, 1]), np.zeros(len(batch)))

    est = parameter_shift(cost, THETA, shift=shift, indices=[1])
    np.testing.assert_allclose(est.gradient, circuits.exact_gradient(THETA)[[1]])


def test_parameter_shift_noise_matches_analytic_shot_noise_cirq(circuits):
    """Cirq sampling: reported stderr and the spread over repeats match Var = Σ(1−C±²)/(4N) ≤ 1/(2N)."""
    shots, repeats = 500, 200
    cost = circuits.costs["cirq"](shots, seed=11)
    estimates = [parameter_shift(cost, THETA) for _ in range(repeats)]
    grads = np.array([e.gradient for e in estimates])
    reported = np.array([e.stderr for e in estimates])
    eye = np.eye(2) * np.pi / 2
    c_plus = np.array([circuits.exact(THETA + e) for e in eye])
    c_minus = np.array([circuits.exact(THETA - e) for e in eye])
    analytic = ((1 - c_plus**2) + (1 - c_minus**2)) / (4 * shots)
    assert np.all(analytic <= 1 / (2 * shots))
    # Sample variance of 200 repeats has relative std √(2/199) ≈ 10%: allow 3σ = 30%.
    np.testing.assert_allclose(grads.var(axis=0, ddof=1), analytic, rtol=0.30)
    # The reported stderr² is a plug-in estimate, biased by O(1/N); its mean over repeats is within 5%.
    np.testing.assert_allclose((reported**2).mean(axis=0), analytic, rtol=0.05)
    # Mean gradient within 4 standard errors of the mean of the truth.
    np.testing.assert_allclose(
        grads.mean(axis=0),
        circuits.exact_gradient(THETA),
        atol=4 * np.sqrt(analytic.max() / repeats),
    )
    # Shot SNR as recorded by a run agrees with the analytic |∂C| / σ within 10%.
    snr = np.array([gradient_stats(gradient=e.gradient, stderr=e.stderr).snr for e in estimates])
    truth = np.abs(circuits.exact_gradient(THETA)) / np.sqrt(analytic)
    # Per repeat SNR fluctuates by 1/SNR_true (≈ 6-12%); the median over 200 repeats is within 10%.
    np.testing.assert_allclose(np.median(snr, axis=0), truth, rtol=0.10)


def test_braket_stderr_matches_its_spread(circuits):
    """Braket LocalSimulator sampling: reported stderr agrees with the spread of 30 repeats."""
    shots, repeats = 400, 30
    cost = circuits.costs["braket"](shots, seed=0)
    estimates = [parameter_shift(cost, THETA) for _ in range(repeats)]
    spread = np.array([e.gradient for e in estimates]).std(axis=0, ddof=1)
    reported = np.sqrt(np.mean([e.stderr**2 for e in estimates], axis=0))
    # Sample std of 30 values has relative std 1/√(2·29) ≈ 13%: allow 3σ = 40%.
    np.testing.assert_allclose(spread, reported, rtol=0.40)
    assert np.all(reported**2 <= 1 / (2 * shots) * 1.01)


def test_spsa_is_unbiased_on_a_smooth_cost(circuits):
    """SPSA samples average to the true gradient; each step costs 2 evaluations per sample."""

    def cost(batch):
        return Expectations(np.cos(batch[:, 0]) * np.cos(batch[:, 1]), np.zeros(len(batch)))

    est = spsa(cost, THETA, c=0.01, samples=4000, rng=5)
    assert est.samples.shape == (4000, 2) and est.evaluations == 8000
    # Off-diagonal terms ±∂ⱼC have mean 0 and std ≤ 0.6: the mean's std is ≤ 0.01; allow 4σ.
    np.testing.assert_allclose(est.gradient, circuits.exact_gradient(THETA), atol=0.04)
    np.testing.assert_allclose(est.stderr, est.samples.std(axis=0, ddof=1) / np.sqrt(4000))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda c: parameter_shift(c, [[0.1, 0.2]]), "params: expected a non-empty 1-D"),
        (lambda c: parameter_shift(c, THETA, shift=np.pi), "shift"),
        (lambda c: parameter_shift(c, THETA, indices=[2]), "indices"),
        (lambda c: spsa(c, THETA, samples=1), "samples"),
        (
            lambda c: parameter_shift(lambda b: (np.zeros(1), np.zeros(1)), THETA),
            "expectation: returned",
        ),
    ],
)
def test_estimator_input_errors(call, match):
    """Bad estimator arguments raise ValueError naming the argument."""

    def cost(batch):
        return np.zeros(len(batch)), np.zeros(len(batch))

    with pytest.raises(ValueError, match=match):
        call(cost)
