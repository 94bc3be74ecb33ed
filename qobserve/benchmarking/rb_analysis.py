"""Standard RB, the analysis half: fit A·αᵐ + B, error per Clifford, bootstrap CI.

Model (Magesan, Gambetta & Emerson, PRL 106, 180504 (2011); qiskit-experiments'
``RBAnalysis``): the mean survival probability of |0…0⟩ after m random
Cliffords plus the recovery is ``A·α^m + B`` with A, B ∈ [0, 1] absorbing state
preparation and measurement errors. Reported figures, for d = 2ⁿ:

* ``epc`` = (1 − α)(d − 1)/d, the *average gate infidelity* per Clifford (the
  convention of qiskit-experiments and of the ``quantum_rb_error_per_clifford``
  metric); ``fidelity`` = 1 − epc.
* ``pauli_error`` = (1 − α)(d² − 1)/d², the Pauli (process) error per Clifford,
  which is what Cirq reports; it is (d + 1)/d times ``epc``.

The confidence interval is a percentile bootstrap over sequences: whole samples
(each a nested family of lengths) are resampled with replacement and refitted,
and the percentile distances are expanded for small samples (:func:`expansion`).
The naive curve-fit standard error treats the per-length means as independent
and Gaussian and under-covers the truth, so it is not used for the interval.

When the data show no significant decay (a noiseless backend), B is not
identifiable; the fit then fixes B = 1/d, the asymptote for unital noise, which
gives α = 1 (epc = 0) for flat data above 1/d. Data that cannot give an
estimate (too few lengths, NaN, survival already at 1/d, survival rising with
length, a decay over before the second length) produce a :class:`FitStatus` other than ``ok`` and no numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from qobserve.benchmarking.numeric import golden_minimum, normal_quantile, t_quantile
from qobserve.benchmarking.options import MIN_LENGTHS

__all__ = ["FitStatus", "RBData", "RBFit", "analyze", "epc_from_alpha", "expansion"]

# 1 − α on a coarse log grid from 1e-8 to 1 plus α = 1 exactly (steps of x1.13),
# then 48 points between a row's neighbouring coarse points: steps of 0.5% in
# 1 − α, fine enough for bootstrap percentiles; the point estimate is refined further.
_R_COARSE = np.concatenate([[0.0], np.logspace(-8, 0, 150)])
_FINE = 48
_BOOTSTRAP = 500
_DECAY_LEFT = 0.1  # a length is on the decay while α^(m − m_min) is at least this
_HALF_SPAN = 0.5  # above this α^(m_max − m_min) the lengths saw less than half the decay


class FitStatus(StrEnum):
    """Outcome of the fit; only ``ok`` carries numbers."""

    OK = "ok"
    TOO_FEW_LENGTHS = "too_few_lengths"
    INVALID_DATA = "invalid_data"
    NO_DECAY = "no_decay"
    DECAY_TOO_FAST = "decay_too_fast"


@dataclass(frozen=True)
class RBData:
    """Survival probabilities of |0…0⟩, shape (num_samples, len(lengths))."""

    num_qubits: int
    lengths: tuple[int, ...]
    survival: np.ndarray
    shots: int

    @property
    def dimension(self) -> int:
        return 2**self.num_qubits


@dataclass(frozen=True)
class RBFit:
    """Fit result. Numbers are None unless ``status`` is ``ok``."""

    status: FitStatus
    message: str = ""
    alpha: float | None = None
    a: float | None = None
    b: float | None = None
    epc: float | None = None
    epc_ci: tuple[float, float] | None = None
    pauli_error: float | None = None
    fidelity: float | None = None
    b_fixed: bool = False

    @property
    def ok(self) -> bool:
        return self.status is FitStatus.OK


def epc_from_alpha(alpha, dimension: int):
    """Average-gate-infidelity error per Clifford, (1 − α)(d − 1)/d."""
    return (1.0 - np.asarray(alpha)) * (dimension - 1) / dimension


def _solve(u: np.ndarray, y: np.ndarray, b_fixed: float | None):
    """Least-squares A, B and RSS, shaped (K, R), for data rows ``y`` (R×n) and the
    α candidates in ``u`` = α^m: shared (K×n) or per row (R×K×n).

    Enforces A ≥ 0 and B ∈ [0, 1] by also trying each bound active and keeping the
    best feasible candidate (exact when at most one constraint binds).
    """
    n = u.shape[-1]
    if u.ndim == 2:
        suu, su, suy = (u * u).sum(1)[:, None], u.sum(1)[:, None], u @ y.T
    else:
        suu, su, suy = (u * u).sum(2).T, u.sum(2).T, np.einsum("rkn,rn->kr", u, y)
    sy, syy = y.sum(1)[None, :], (y * y).sum(1)[None, :]

    def rss(a, b):
        return syy - 2 * a * suy - 2 * b * sy + a * a * suu + 2 * a * b * su + n * b * b

    with np.errstate(divide="ignore", invalid="ignore"):
        if b_fixed is not None:
            a = np.nan_to_num(np.clip((suy - b_fixed * su) / suu, 0.0, None))
            b = np.full_like(a, b_fixed)
            return a, b, rss(a, b)
        det = n * suu - su * su
        a_free = np.where(det > 1e-12, (n * suy - su * sy) / det, 0.0)
        cands = [(a_free, (sy - a_free * su) / n)]
        cands += [
            (np.clip((suy - edge * su) / suu, 0.0, None), np.full_like(a_free, edge))
            for edge in (0.0, 1.0)
        ]
    cands.append((np.zeros_like(a_free), np.broadcast_to(sy / n, a_free.shape)))
    best_a, best_b, best_rss = cands[0][0], cands[0][1], np.full_like(a_free, np.inf)
    for a, b in cands:
        r = np.where((a >= 0) & (b >= -1e-12) & (b <= 1 + 1e-12), rss(a, b), np.inf)
        take = r < best_rss
        best_a, best_b, best_rss = (
            np.where(take, a, best_a),
            np.where(take, b, best_b),
            np.where(take, r, best_rss),
        )
    return best_a, best_b, best_rss


def _grid_fit(m: np.ndarray, y: np.ndarray, b_fixed: float | None):
    """Best α, A, B per data row: a coarse log grid in 1 − α, then a fine one around
    each row's optimum. Ties go to the largest α (α = 1 for flat data)."""
    cols = np.arange(y.shape[0])
    _, _, rss = _solve((1.0 - _R_COARSE)[:, None] ** m[None, :], y, b_fixed)
    k = np.argmin(rss, axis=0)  # first minimum: α = 1 wins exact ties
    lo = _R_COARSE[np.maximum(k - 1, 0)]
    hi = _R_COARSE[np.minimum(k + 1, len(_R_COARSE) - 1)]
    r = np.where(k[:, None] == 0, 0.0, np.geomspace(np.maximum(lo, 1e-9), hi, _FINE, axis=1))
    alphas = 1.0 - r  # (R, K)
    a, b, rss = _solve(alphas[:, :, None] ** m[None, None, :], y, b_fixed)
    j = np.argmin(rss, axis=0)
    return alphas[cols, j], a[j, cols], b[j, cols]


def _refine(
    m: np.ndarray, y: np.ndarray, alpha0: float, b_fixed: float | None
) -> tuple[float, float, float]:
    """Polish the grid optimum by a golden-section search over α around it."""

    def rss(alpha: float) -> float:
        return float(_solve(np.asarray([[alpha]]) ** m[None, :], y[None, :], b_fixed)[2][0, 0])

    r0 = 1.0 - alpha0
    if r0 == 0.0:
        _, a0, b0 = _grid_fit(m, y[None, :], b_fixed)
        return alpha0, float(a0[0]), float(b0[0])
    lo, hi = max(alpha0 - 0.02 * r0 - 1e-12, 0.0), min(alpha0 + 0.02 * r0, 1.0)
    best, best_rss = golden_minimum(rss, lo, hi, 1e-12 + 1e-6 * r0)
    alpha = best if best_rss <= rss(alpha0) else alpha0
    a, b, _ = _solve(np.asarray([[alpha]]) ** m[None, :], y[None, :], b_fixed)
    return alpha, float(a[0, 0]), float(b[0, 0])


def expansion(n: int, confidence: float) -> float:
    """Factor widening percentile-bootstrap distances over ``n`` sequences.

    Hesterberg's expanded percentile interval (The American Statistician 69, 371
    (2015)): resampling n sequences estimates the variance of their mean with the
    biased factor (n − 1)/n, and a normal quantile ignores that the spread itself is
    estimated from n values; √(n/(n − 1)) · t_{n−1}/z undoes both. It matters for the
    10-20 sequences an adaptive run may stop at (coverage ~85 % at 10 without it).
    """
    if n < 2:
        return 1.0
    q = 0.5 + confidence / 2
    return float(np.sqrt(n / (n - 1)) * t_quantile(q, n - 1) / normal_quantile(q))


def _check(data: RBData) -> RBFit | None:
    s = np.asarray(data.survival, dtype=float)
    if len(set(data.lengths)) < MIN_LENGTHS:
        return RBFit(
            FitStatus.TOO_FEW_LENGTHS,
            f"need at least {MIN_LENGTHS} distinct lengths to fit A·α^m + B, "
            f"got {len(set(data.lengths))}; pass more --lengths",
        )
    if s.ndim != 2 or s.shape[1] != len(data.lengths) or s.shape[0] < 1:
        return RBFit(
            FitStatus.INVALID_DATA,
            f"survival must have shape (samples, {len(data.lengths)}), got {s.shape}",
        )
    if not np.all(np.isfinite(s)) or s.min() < 0 or s.max() > 1:
        return RBFit(
            FitStatus.INVALID_DATA,
            "survival probabilities must be finite and in [0, 1] (NaN or out of range found)",
        )
    return None


def _decay_significant(s: np.ndarray) -> tuple[bool, float, float]:
    """Whether mean survival falls from the shortest to the longest length beyond 3σ."""
    first, last = s[:, 0], s[:, -1]
    se = np.sqrt((first.var(ddof=1) + last.var(ddof=1)) / len(s)) if len(s) > 1 else 0.0
    drop = float(first.mean() - last.mean())
    return drop > 3 * se and drop > 0, drop, float(se)


def analyze(
    data: RBData,
    *,
    bootstrap: int = _BOOTSTRAP,
    confidence: float = 0.95,
    seed: int | None = None,
    asymptote: float | None = None,
) -> RBFit:
    """Fit the RB decay and estimate the error per Clifford with a bootstrap interval.

    Args:
        data: survival probabilities per sample and length.
        bootstrap: resamples over sequences for the interval.
        confidence: two-sided level of ``epc_ci``.
        seed: seeds the bootstrap resampling.
        asymptote: fix B at this value (the adaptive design passes 1/d once its pilot
            found the asymptote there) instead of deciding from the data.

    Returns:
        An :class:`RBFit`; check ``status`` before reading numbers.
    """
    bad = _check(data)
    if bad is not None:
        return bad
    order = np.argsort(data.lengths)
    m = np.asarray(data.lengths, dtype=float)[order]
    s = np.asarray(data.survival, dtype=float)[:, order]
    d = data.dimension
    mean = s.mean(0)
    signal_floor = 3 * np.sqrt(0.25 / max(data.shots, 1) / len(s)) + 0.01
    if mean[0] - 1.0 / d < signal_floor:
        return RBFit(
            FitStatus.NO_DECAY,
            f"survival {mean[0]:.3f} at the shortest length {int(m[0])} is already at the "
            f"fully mixed value 1/d = {1 / d:.3f}: no decay to fit; use shorter lengths",
        )
    significant, drop, se = _decay_significant(s)
    if drop < -3 * se - 0.01:
        return RBFit(
            FitStatus.NO_DECAY,
            f"survival rises with length ({mean[0]:.3f} → {mean[-1]:.3f}): not an RB decay",
        )
    b_fixed = asymptote if asymptote is not None else None if significant else 1.0 / d
    alpha, a, b = _refine(m, mean, float(_grid_fit(m, mean[None, :], b_fixed)[0][0]), b_fixed)
    short = False
    if b_fixed is None:
        pinned = _refine(m, mean, float(_grid_fit(m, mean[None, :], 1.0 / d)[0][0]), 1.0 / d)
        # The lengths cover less than half the decay, so A and B trade off freely and a
        # free B drifts (to its bound, or up with a steep α on a noisy tail); pin it at the
        # unital asymptote 1/d. Judged by either fit: a free B that drifted up makes the
        # free α look steep although the pinned fit sees a shallow decay.
        if max(alpha, pinned[0]) ** (m[-1] - m[0]) > _HALF_SPAN:
            b_fixed, short = 1.0 / d, True
            alpha, a, b = pinned
    if a <= 0:
        return RBFit(
            FitStatus.NO_DECAY, "fitted amplitude A is 0: survival does not decay with length"
        )
    informative = int(np.sum(alpha ** (m - m[0]) >= _DECAY_LEFT))
    if informative < MIN_LENGTHS:
        # Three parameters need three points on the decay, not on the asymptote.
        return RBFit(
            FitStatus.DECAY_TOO_FAST,
            f"the fitted decay (alpha={alpha:.3g}) is over after {informative} of the lengths; "
            f"need {MIN_LENGTHS} before it flattens: use shorter lengths or more samples",
        )
    rng = np.random.default_rng(seed)
    idx = rng.integers(len(s), size=(bootstrap, len(s)))
    boot_alpha = _grid_fit(m, s[idx].mean(1), b_fixed)[0]
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(epc_from_alpha(boot_alpha, d), [tail, 100 - tail])
    epc = float(epc_from_alpha(alpha, d))
    widen = expansion(len(s), confidence)
    lo, hi = max(epc - (epc - lo) * widen, 0.0), epc + (hi - epc) * widen
    note = (
        f"B fixed at {asymptote:.4g} as requested"
        if asymptote is not None
        else "B fixed at 1/d: lengths cover less than half the decay; longer lengths "
        f"(up to ~{1 / max(1 - alpha, 1e-9):.0f}) would fit B too"
        if short
        else "B fixed at 1/d: no significant decay"
        if b_fixed
        else ""
    )
    return RBFit(
        FitStatus.OK,
        note,
        alpha=alpha,
        a=a,
        b=b,
        epc=epc,
        epc_ci=(float(lo), float(hi)),
        pauli_error=float((1 - alpha) * (d * d - 1) / (d * d)),
        fidelity=1.0 - epc,
        b_fixed=b_fixed is not None,
    )
