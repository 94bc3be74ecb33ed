"""Two numerical helpers of the RB fit, without scipy.

Importing ``scipy.optimize`` costs about 0.5 s of CPU per process, a third of a
``qobserve rb`` run's start-up; Aer does not need scipy, so the RB path does not
either. Both helpers are checked against scipy in the tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from statistics import NormalDist

__all__ = ["golden_minimum", "normal_quantile", "t_quantile"]

_INV_PHI = (math.sqrt(5) - 1) / 2


def golden_minimum(
    f: Callable[[float], float], lo: float, hi: float, xatol: float
) -> tuple[float, float]:
    """(x, f(x)) at the minimum of a unimodal ``f`` on [lo, hi], to within ``xatol``
    (golden-section search; Kiefer 1953)."""
    a, b = lo, hi
    c, d = b - _INV_PHI * (b - a), a + _INV_PHI * (b - a)
    fc, fd = f(c), f(d)
    while b - a > xatol:
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - _INV_PHI * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + _INV_PHI * (b - a)
            fd = f(d)
    return (c, fc) if fc <= fd else (d, fd)


def normal_quantile(q: float) -> float:
    """The standard normal quantile Φ⁻¹(q)."""
    return NormalDist().inv_cdf(q)


def _t_central(t: float, nu: int) -> float:
    """P(|T| ≤ t) for Student's t with ``nu`` degrees of freedom: the finite
    trigonometric series of Abramowitz & Stegun 26.7.3-26.7.4, θ = atan(t/√ν)."""
    theta = math.atan(t / math.sqrt(nu))
    c2, s, c = math.cos(theta) ** 2, math.sin(theta), math.cos(theta)
    if nu % 2 == 0:
        term = total = 1.0
        for k in range(2, nu - 1, 2):
            term *= (k - 1) / k * c2
            total += term
        return s * total
    term = total = c
    for k in range(3, nu - 1, 2):
        term *= (k - 1) / k * c2
        total += term
    return 2 / math.pi * (theta + (s * total if nu > 1 else 0.0))


@lru_cache(maxsize=256)
def t_quantile(q: float, nu: int) -> float:
    """Student's t quantile t_ν(q) for q in (0.5, 1), by bisection on the exact CDF."""
    central = 2 * q - 1
    hi = 1.0
    while _t_central(hi, nu) < central:
        hi *= 2
    lo = 0.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if _t_central(mid, nu) < central:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * hi:
            break
    return (lo + hi) / 2
