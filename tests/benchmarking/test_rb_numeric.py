"""The RB fit's scipy-free numerics agree with scipy."""

from __future__ import annotations

import pytest
from scipy.special import ndtri
from scipy.stats import t

from qobserve.benchmarking.numeric import golden_minimum, normal_quantile, t_quantile


@pytest.mark.parametrize("nu", [*range(1, 40), 99, 500, 9999])
@pytest.mark.parametrize("q", [0.6, 0.9, 0.975, 0.995])
def test_t_quantile_matches_scipy(nu, q):
    """The exact-CDF bisection gives scipy's t quantile to 1e-9 relative."""
    assert t_quantile(q, nu) == pytest.approx(t.ppf(q, nu), rel=1e-9)


def test_normal_quantile_matches_scipy():
    """The standard library's inverse normal CDF is scipy's ndtri."""
    assert normal_quantile(0.975) == pytest.approx(ndtri(0.975), rel=1e-12)


def test_golden_minimum_finds_the_minimum_within_tolerance():
    """A parabola's minimum is found within xatol, with its value."""
    x, fx = golden_minimum(lambda v: (v - 0.3) ** 2, 0.0, 1.0, 1e-9)
    assert x == pytest.approx(0.3, abs=1e-9) and fx == pytest.approx(0.0, abs=1e-18)
