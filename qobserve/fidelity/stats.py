"""Distances between measured counts and an ideal output distribution.

The ideal distribution is given as a lookup (``ideal(keys) -> probabilities``)
so that a stabilizer state over 50+ qubits never has to be enumerated: every sum
runs over the observed outcomes only, and the ideal mass of the outcomes never
observed is ``1 - sum(q(observed))``.

Hellinger fidelity follows ``qiskit.quantum_info.hellinger_fidelity``:
``F = (sum_x sqrt(p(x) q(x)))**2`` (the squared Bhattacharyya coefficient).

Finite shots bias the plug-in estimate downward: with ``N`` shots and
``p̂ = counts / N``, a second-order expansion of ``sqrt(p̂)`` gives
``E[F̂] - F ≈ -BC * sum_x sqrt(q(x)) (1 - p(x)) / (4 N sqrt(p(x)))``, i.e.
``-(K - 1) / (4 N)`` when the device is perfect over ``K`` equally likely
outcomes; the delta method gives ``sd(F̂) ≈ sqrt(F (1 - F) / N)``.
:func:`bootstrap` reports a multinomial-bootstrap interval that corrects for it
(the basic, or pivotal, interval ``[2 F̂ - Q(0.975), 2 F̂ - Q(0.025)]``; Davison &
Hinkley 1997, eq. 5.6), so the interval is centred on the bias-corrected value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Comparison", "bootstrap", "compare", "hellinger_fidelity", "tvd"]

#: ``ideal(keys)`` → probabilities of those bitstrings under the ideal distribution.
Ideal = Callable[[Sequence[str]], np.ndarray]


def hellinger_fidelity(p: np.ndarray, q: np.ndarray) -> float:
    """``(sum sqrt(p q))**2`` over aligned outcome vectors (the rest contributes 0)."""
    return float(np.sum(np.sqrt(p * q)) ** 2)


def tvd(p: np.ndarray, q: np.ndarray) -> float:
    """Total variation distance; ``q``'s mass outside the aligned outcomes counts in full."""
    return float(0.5 * (np.sum(np.abs(p - q)) + max(0.0, 1.0 - float(np.sum(q)))))


@dataclass(frozen=True)
class Comparison:
    """Measured counts of one circuit against its ideal distribution."""

    fidelity: float
    tvd: float
    shots: int
    ci_low: float | None = None
    ci_high: float | None = None
    bias: float | None = None


def _aligned(counts: Mapping[str, int], ideal: Ideal) -> tuple[np.ndarray, np.ndarray, int]:
    keys = [k.replace(" ", "") for k in counts]
    n = np.array(list(counts.values()), dtype=float)
    shots = int(n.sum())
    if shots <= 0:
        raise ValueError("counts: no shots recorded")
    return n, np.asarray(ideal(keys), dtype=float), shots


def bootstrap(
    n: np.ndarray,
    q: np.ndarray,
    *,
    resamples: int = 200,
    level: float = 0.95,
    seed: int | None = None,
) -> tuple[float, float, float]:
    """Basic multinomial-bootstrap interval and bias estimate of the Hellinger fidelity.

    Args:
        n: observed counts per outcome.
        q: ideal probability of the same outcomes.
        resamples: bootstrap replicates (200 keep the interval's ends within ~0.2 sd).
        level: coverage of the two-sided interval.
        seed: random seed (tests fix it).

    Returns:
        ``(low, high, bias)`` with ``bias = mean(F*) - F̂``, the estimate of ``E[F̂] - F``.
    """
    shots = int(n.sum())
    f_hat = hellinger_fidelity(n / shots, q)
    rng = np.random.default_rng(seed)
    star = rng.multinomial(shots, n / shots, size=resamples) / shots
    f_star = np.sum(np.sqrt(star * q), axis=1) ** 2
    alpha = (1.0 - level) / 2
    lo_q, hi_q = np.quantile(f_star, [alpha, 1 - alpha])
    low, high = 2 * f_hat - hi_q, 2 * f_hat - lo_q
    return max(0.0, float(low)), min(1.0, float(high)), float(np.mean(f_star) - f_hat)


def compare(
    counts: Mapping[str, int], ideal: Ideal, *, resamples: int = 200, seed: int | None = None
) -> Comparison:
    """Hellinger fidelity, TVD and the bootstrap interval of ``counts`` against ``ideal``.

    Args:
        counts: bitstring → count, Qiskit's key order (clbit 0 rightmost; spaces between
            registers are ignored).
        ideal: probabilities of given bitstrings under the ideal distribution.
        resamples: bootstrap replicates; 0 skips the interval.
        seed: random seed of the bootstrap.

    Raises:
        ValueError: when ``counts`` holds no shots.
    """
    n, q, shots = _aligned(counts, ideal)
    p = n / shots
    fid, dist = hellinger_fidelity(p, q), tvd(p, q)
    if not resamples:
        return Comparison(fid, dist, shots)
    low, high, bias = bootstrap(n, q, resamples=resamples, seed=seed)
    return Comparison(fid, dist, shots, low, high, bias)
