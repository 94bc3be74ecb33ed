"""The exact Hellinger fidelity of a noisy distribution and the check of a span against it.

With ``N`` shots and measured distribution ``p``, the plug-in Hellinger fidelity
``F̂ = (Σ sqrt(p̂ q))²`` has, by the delta method (``dF/dp_x = BC sqrt(q_x / p_x)``),
``sd(F̂) ≈ sqrt(F (1 - F) / N)``, and a downward bias
``b ≈ BC Σ_x sqrt(q_x) (1 - p_x) / (4 N sqrt(p_x))`` from the curvature of ``sqrt``
(second-order expansion). A span passes when ``|F̂ - F| ≤ b + 4 sd (+ extra)``
(a 4-sigma band: false failures ~6e-5 per assertion; the seeds are fixed anyway).
"""

from __future__ import annotations

import math

import numpy as np

from qobserve.semconv import Attr


def exact_and_bias(p: np.ndarray, q: np.ndarray, shots: int) -> tuple[float, float]:
    """(F, b) for the exact noisy distribution ``p`` against the ideal ``q`` (aligned outcomes)."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    bc = float(np.sum(np.sqrt(p * q)))
    nz = (p > 0) & (q > 0)
    bias = bc * float(np.sum(np.sqrt(q[nz]) * (1 - p[nz]) / (4 * shots * np.sqrt(p[nz]))))
    return bc**2, bias


def check_span(span, exact: float, bias: float, shots: int, *, extra: float = 0.0) -> None:
    """The span's F̂ is within b + 4 sd (+ ``extra``) of ``exact`` and reports ``shots``."""
    measured = span.attributes[Attr.OUTPUT_FIDELITY.value]
    tolerance = bias + 4 * math.sqrt(exact * (1 - exact) / shots) + extra
    assert abs(measured - exact) <= tolerance, (measured, exact, tolerance)
    assert span.attributes[Attr.JOB_SHOTS.value] == shots


def check_interval(span, exact: float) -> None:
    """The span's bootstrap interval covers ``exact``."""
    assert span.attributes[Attr.OUTPUT_FIDELITY_CI_LOW.value] <= exact
    assert exact <= span.attributes[Attr.OUTPUT_FIDELITY_CI_HIGH.value]
