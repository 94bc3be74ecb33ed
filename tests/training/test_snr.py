"""Shot SNR, landscape variance and shot suggestions against known truths."""

from __future__ import annotations

import numpy as np
import pytest

from qobserve.training import landscape_variance, suggest_shots
from qobserve.training.snr import gradient_stats, shot_snr

MU = np.array([1.0, -2.0, 0.5, 3.0, -1.5, 0.8, 2.5, -0.6])
SIGMA = np.array([1.0, 1.0, 0.25, 1.5, 0.5, 0.4, 1.0, 0.3])  # true SNR between 1 and 4


def test_snr_from_samples_within_10_percent_of_truth():
    """Median and per-parameter SNR from k=2000 synthetic estimates are within 10% of |μ|/σ."""
    # Relative error of |ĝ|/σ̂: ≈ √(1/(k·SNR²) + 1/(2k)) ≤ 2.8% for SNR ≥ 1, k = 2000; 10% is > 3σ.
    rng = np.random.default_rng(1234)
    samples = rng.normal(MU, SIGMA, size=(2000, MU.size))
    stats = gradient_stats(samples)
    truth = np.abs(MU) / SIGMA
    assert np.all(np.abs(stats.snr / truth - 1) < 0.10)
    assert abs(stats.snr_median / np.median(truth) - 1) < 0.10
    assert stats.samples == 2000


@pytest.mark.parametrize("k", [5, 50, 5000])
def test_sample_snr_is_per_estimate_and_does_not_grow_with_k(k):
    """σ is the per-sample std (ddof=1): the SNR estimates one estimate's SNR whatever k is."""
    rng = np.random.default_rng(k)
    # Average 400 independent draws so the check is about the estimator's centre, not its noise.
    snrs = [np.median(shot_snr(rng.normal(2.0, 1.0, size=(k, 4)))[2]) for _ in range(400)]
    # Finite-k bias of |ĝ|/s is O(1/k) (≈ +15% at k=5 for SNR 2 incl. median-of-4); √k growth
    # would give ≥ 4.5 at k=5 and 141 at k=5000.
    assert 1.8 < np.mean(snrs) < 2.5


def test_stderr_form_matches_sample_form_of_the_mean():
    """gradient=mean, gradient_stderr=std/√k gives √k times the per-sample SNR, as documented."""
    rng = np.random.default_rng(7)
    samples = rng.normal(MU, SIGMA, size=(100, MU.size))
    _, sigma, per_sample = shot_snr(samples)
    g, _, of_mean = shot_snr(gradient=samples.mean(axis=0), stderr=sigma / 10.0)
    np.testing.assert_allclose(of_mean, per_sample * 10.0)
    np.testing.assert_allclose(g, samples.mean(axis=0))


def test_zero_noise_gives_infinite_snr_and_zero_over_zero_is_skipped():
    """σ = 0 with ĝ ≠ 0 is SNR ∞; 0/0 components are left out of the median."""
    stats = gradient_stats(gradient=[1.0, 0.0, 2.0], stderr=[0.0, 0.0, 1.0])
    assert np.isinf(stats.snr[0]) and np.isnan(stats.snr[1])
    assert stats.snr_median == np.inf  # median of [inf, 2.0] is inf (mean of the two middles)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"samples": np.ones((1, 3))}, "k >= 2"),
        ({"samples": np.ones(3)}, "gradient_samples: expected shape (k, P)"),
        ({"samples": [[1.0, np.nan], [1.0, 2.0]]}, "gradient_samples: contains 1 NaN"),
        ({"gradient": [1.0, 2.0], "stderr": [0.1]}, "gradient_stderr: shape (1,) does not match"),
        (
            {"gradient": [1.0, 2.0], "stderr": [0.1, -0.1]},
            "gradient_stderr: standard errors must be >= 0",
        ),
        ({"samples": np.ones((2, 2)), "gradient": [1.0, 1.0]}, "not both"),
        ({"gradient": [1.0]}, "needs gradient_samples"),
    ],
)
def test_bad_inputs_name_the_field(kwargs, field):
    """Malformed gradients raise ValueError naming the field and the fix."""
    with pytest.raises(ValueError, match=field.replace("(", r"\(").replace(")", r"\)")):
        shot_snr(kwargs.pop("samples", None), **kwargs)


def test_landscape_variance_recovers_known_variance():
    """Per-component variance over 4000 inits is within 10% of the true variance."""
    # Relative std of a sample variance is √(2/(n−1)) ≈ 2.2% at n = 4000.
    rng = np.random.default_rng(3)
    var = landscape_variance(rng.normal(0.0, [0.1, 0.01], size=(4000, 2)))
    np.testing.assert_allclose(var, [1e-2, 1e-4], rtol=0.10)


def test_suggest_shots_scales_with_snr_squared():
    """Quadrupling the shots doubles the SNR, so SNR 1 → target 2 needs 4× the shots."""
    assert suggest_shots(1000, 1.0, target_snr=2.0) == 4000
    assert suggest_shots(1000, 4.0, target_snr=2.0) == 250
    assert suggest_shots(1000, 0.1, target_snr=2.0, max_shots=10_000) == 10_000
    with pytest.raises(ValueError, match="snr_median"):
        suggest_shots(1000, 0.0)
