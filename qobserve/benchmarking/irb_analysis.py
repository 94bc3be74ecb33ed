"""Interleaved RB, the analysis half: the gate's error from two decays.

Magesan et al., "Efficient measurement of quantum gate error by interleaved
randomized benchmarking", PRL 109, 080505 (2012), as qiskit-experiments'
``InterleavedRBAnalysis`` reports it. Both curves are fitted as standard RB
(:func:`~qobserve.benchmarking.rb_analysis.analyze`): the reference gives α,
the interleaved gives α_int = α·α_c, and for d = 2ⁿ

* ``gate_error`` r_gate = (d − 1)/d · (1 − α_int/α)  (Eq. 4, an average gate
  infidelity like ``epc``), with a percentile bootstrap interval: whole samples
  are resampled with replacement, the same indices for both curves, since the
  two share their random Cliffords, and both are refitted;
* ``systematic_bounds`` = r_gate ∓ E, with E the smaller of Eq. 5's two bounds,
  E₁ = (d − 1)/d · (|α − α_c| + 1 − α) and
  E₂ = 2(d² − 1)(1 − α)/(α d²) + 4 √(1 − α) √(d² − 1)/α.
  The estimate assumes the reference Cliffords' errors compose with the gate's
  as depolarizing channels would; E bounds how wrong that can be for other
  noise and does not shrink with more data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qobserve.benchmarking.rb_analysis import (
    _BOOTSTRAP,
    RBData,
    RBFit,
    _grid_fit,
    analyze,
    expansion,
)

__all__ = ["InterleavedFit", "analyze_interleaved", "systematic_error"]


@dataclass(frozen=True)
class InterleavedFit:
    """Both fits and the gate's error. Gate numbers are None unless ``ok``.

    Attributes:
        reference / interleaved: the two standard-RB fits.
        alpha_c: α_int/α, the gate's depolarizing parameter.
        gate_error: (d − 1)/d · (1 − α_c).
        gate_error_ci: bootstrap interval of ``gate_error``.
        systematic_bounds: gate_error ∓ E (Magesan et al. 2012, Eq. 5).
    """

    gate: str
    reference: RBFit
    interleaved: RBFit
    message: str = ""
    alpha_c: float | None = None
    gate_error: float | None = None
    gate_error_ci: tuple[float, float] | None = None
    systematic_bounds: tuple[float, float] | None = None

    @property
    def ok(self) -> bool:
        return self.gate_error is not None


def systematic_error(alpha: float, alpha_c: float, dimension: int) -> float:
    """E = min(E₁, E₂) of Magesan et al. 2012, Eq. 5 (see the module docstring)."""
    d, d2 = dimension, dimension * dimension
    e1 = (d - 1) / d * (abs(alpha - alpha_c) + 1 - alpha)
    e2 = (
        2 * (d2 - 1) * (1 - alpha) / (alpha * d2) + 4 * np.sqrt(1 - alpha) * np.sqrt(d2 - 1) / alpha
    )
    return float(min(e1, e2))


def _sorted(data: RBData) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(data.lengths)
    return np.asarray(data.lengths, dtype=float)[order], np.asarray(data.survival, dtype=float)[
        :, order
    ]


def analyze_interleaved(
    reference: RBData,
    interleaved: RBData,
    *,
    gate: str,
    bootstrap: int = _BOOTSTRAP,
    confidence: float = 0.95,
    seed: int | None = None,
    asymptote: float | None = None,
) -> InterleavedFit:
    """Fit reference and interleaved RB and estimate the interleaved gate's error.

    Args:
        reference / interleaved: survival per sample and length; same lengths and
            samples, row i of both from the same random Cliffords.
        gate: the interleaved gate's name (reported only).
        bootstrap: resamples over sequence pairs for the interval.
        confidence: two-sided level of ``gate_error_ci``.
        seed: seeds both fits' and the pair bootstrap's resampling.
        asymptote: fix both fits' B at this value (see :func:`analyze`).

    Returns:
        An :class:`InterleavedFit`; ``ok`` is false, with a ``message``, when
        either fit has no numbers.
    """
    ref = analyze(reference, seed=seed, asymptote=asymptote)
    inter = analyze(interleaved, seed=seed, asymptote=asymptote)
    for name, fit in (("reference", ref), ("interleaved", inter)):
        if not fit.ok:
            return InterleavedFit(
                gate, ref, inter, f"{name} RB fit {fit.status.value}: {fit.message}"
            )
    assert ref.alpha is not None and inter.alpha is not None  # both fits are ok
    m, s_ref = _sorted(reference)
    m_int, s_int = _sorted(interleaved)
    if s_ref.shape != s_int.shape or not np.array_equal(m, m_int):
        raise ValueError(
            "interleaved: reference and interleaved data need the same lengths and samples"
        )
    d = reference.dimension
    scale = (d - 1) / d
    alpha_c = inter.alpha / ref.alpha
    gate_error = scale * (1 - alpha_c)
    rng = np.random.default_rng(None if seed is None else seed + 1)
    idx = rng.integers(len(s_ref), size=(bootstrap, len(s_ref)))
    boot_ref = _grid_fit(m, s_ref[idx].mean(1), ref.b if ref.b_fixed else None)[0]
    boot_int = _grid_fit(m, s_int[idx].mean(1), inter.b if inter.b_fixed else None)[0]
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(scale * (1 - boot_int / boot_ref), [tail, 100 - tail])
    widen = expansion(len(s_ref), confidence)  # as in analyze()
    lo, hi = gate_error - (gate_error - lo) * widen, gate_error + (hi - gate_error) * widen
    e = systematic_error(ref.alpha, alpha_c, d)
    return InterleavedFit(
        gate,
        ref,
        inter,
        "",
        alpha_c=float(alpha_c),
        gate_error=float(gate_error),
        gate_error_ci=(float(lo), float(hi)),
        systematic_bounds=(float(gate_error - e), float(gate_error + e)),
    )
