"""Adaptive RB: choose lengths where they say most about α, add sequences until precise enough.

A fixed design (10 lengths × 30 sequences × 1,024 shots) spends most of its shots
where the survival says little about α: lengths still near 1 or already at the
asymptote. Which lengths and how many sequences are worth running is discussed
by Epstein, Cross, Magesan & Gambetta, PRA 89, 062321 (2014), Wallman &
Flammia, NJP 16, 103032 (2014) (who also bound the sequence-to-sequence
variance) and, as an optimal-design problem, Kwiatkowski et al.,
arXiv:2312.15836 (2023); the bootstrap over sequences follows Harper, Hincks,
Ferrie, Flammia & Wallman, PRA 99, 052350 (2019). A run goes in rounds:

1. **Pilot** (round 1): a few sequences at geometric lengths (1, 4, 16, …) and at
   most 256 shots each give a rough α̂, and say whether the curve's asymptote B
   sits at the unital value 1/d.
2. **Design**: with p = A·αᵐ + B and binomial shots, the information a shot
   at length m carries about α is ∝ m²α^(2m)/(p(1 − p)), largest near
   m* = 1/(1 − α) (αᵐ ≈ 1/e … 0.45). The design is length 1 (pins A) plus
   0.8·m*, m*, 1.2·m*. When the pilot's asymptote differs from 1/d (non-unital
   noise, e.g. amplitude damping) B is fitted instead, pinned by a long length
   8·m*, with 0.6·m* and 0.8·m* for α. Per shot, against the default design (for
   one qubit, least squares on the means as :func:`analyze` fits them), the
   asymptotic variance of α̂ is 3×, 17× and 6× smaller at λ = 0.002, 0.01 and
   0.03 with B at 1/d, and 1.2×, 7× and 2.5× with B fitted. With interleaving,
   m* is the geometric mean of both curves' 1/(1 − α).
3. **Rounds**: sequences are added at the design's lengths and all of them are
   re-fitted (:func:`~qobserve.benchmarking.rb_analysis.analyze`, bootstrap over
   sequences); the run stops when the 95 % interval's relative half-width on EPC
   (or on the gate error, interleaving) is at most the target, when the shot
   budget cannot pay for another round, or after :data:`MAX_ROUNDS`. The next
   round's size comes from the precision so far (half-width ∝ expansion(n)/√n
   for n sequences, :func:`~qobserve.benchmarking.rb_analysis.expansion`).

The pilot's shots count towards the total but its data, at other lengths, are
not pooled into the fit. Assuming B = 1/d is analyze()'s own fallback for short
designs; here it is checked against the pilot's decayed tail first.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from qobserve.benchmarking.irb_analysis import InterleavedFit
    from qobserve.benchmarking.rb_analysis import RBFit

__all__ = [
    "MAX_ROUNDS",
    "AdaptiveRun",
    "design_lengths",
    "minimum_shots",
    "pilot_design",
    "relative_precision",
    "run_adaptive",
]

#: ``measure(lengths, samples, shots, seed)`` → (reference survival, interleaved survival
#: or None), each shaped (samples, len(lengths)).
Measure = Callable[[tuple[int, ...], int, int, int], tuple[np.ndarray, np.ndarray | None]]

PILOT_LENGTHS = {1: (1, 4, 16, 64, 256, 1024), 2: (1, 4, 16, 64, 256)}
PILOT_SAMPLES = 5
PILOT_SHOTS = 256
FIRST_SAMPLES = 10  # enough sequences for the bootstrap interval to mean something
MAX_ROUNDS = 12
MAX_LENGTH = {1: 5000, 2: 1500}  # longest design length: α ≥ 0.9998 cannot be resolved anyway
_DESIGN_LENGTHS = 4


@dataclass(frozen=True)
class AdaptiveRun:
    """How an adaptive run went: its design, its cost and the precision it reached.

    Attributes:
        target: the relative half-width asked for.
        precision: the relative half-width reached (None when the fit has no numbers).
        rounds: submission rounds, the pilot included.
        total_shots: shots of every round, the pilot included.
        pilot_lengths: the pilot's lengths (their data are not in the fit).
        asymptote: B as fixed by the design (1/d), or None when B was fitted.
    """

    target: float
    precision: float | None
    rounds: int
    total_shots: int
    pilot_lengths: tuple[int, ...]
    asymptote: float | None

    @property
    def reached(self) -> bool:
        return self.precision is not None and self.precision <= self.target


def pilot_design(num_qubits: int, shots: int) -> tuple[int, int]:
    """(shots per circuit, circuits) of the pilot of one RB curve."""
    return min(shots, PILOT_SHOTS), len(PILOT_LENGTHS[num_qubits]) * PILOT_SAMPLES


def minimum_shots(num_qubits: int, shots: int, *, interleave: bool = False) -> int:
    """Shots the pilot and the first design round need, the least ``max_shots`` can be."""
    pilot_shots, pilot_circuits = pilot_design(num_qubits, shots)
    sets = 2 if interleave else 1
    return sets * (pilot_shots * pilot_circuits + _DESIGN_LENGTHS * FIRST_SAMPLES * shots)


def _increasing(values: list[float], low: int) -> tuple[int, ...]:
    """Rounded lengths from ``low`` up, each bumped past its predecessor where they collide."""
    out: list[int] = []
    for v in values:
        out.append(max(round(v), out[-1] + 1 if out else low))
    return tuple(out)


def design_lengths(alpha: float, num_qubits: int, *, fit_b: bool) -> tuple[int, ...]:
    """The design's lengths for decay parameter ``alpha`` (see the module docstring).

    Returns:
        Four increasing lengths: 1 and three around m* = 1/(1 − α), or 1, two
        below m* and a long one at 8·m* when B is to be fitted.
    """
    mults = (0.6, 0.8, 8.0) if fit_b else (0.8, 1.0, 1.2)
    star = min(1.0 / max(1.0 - alpha, 1e-12), MAX_LENGTH[num_qubits] / mults[-1])
    return (1, *_increasing([k * star for k in mults], 2))


def _pilot_alpha(m: np.ndarray, s: np.ndarray, shots: int, d: int) -> tuple[float, bool]:
    """α̂ from pilot data and whether the asymptote agrees with 1/d.

    With B pinned at 1/d, the fitted curve must meet the longest length's mean within 3
    standard errors (sequence spread or binomial, whichever is larger) plus 0.01; a
    non-unital asymptote shows there once the decay is over. If the pinned curve has
    not decayed by then (α̂^Δm ≥ 0.1), B cannot be told apart and 1/d is assumed.
    """
    from qobserve.benchmarking.rb_analysis import _grid_fit

    mean = s.mean(0)[None, :]
    pinned, a, _ = (float(v[0]) for v in _grid_fit(m, mean, 1.0 / d))
    left = pinned ** (m[-1] - m[0])
    if left >= 0.1:
        return pinned, True
    tail = s[:, -1]
    binomial = math.sqrt(max(tail.mean() * (1 - tail.mean()), 1e-4) / (len(tail) * shots))
    spread = float(tail.std(ddof=1) / math.sqrt(len(tail))) if len(tail) > 1 else 0.0
    predicted = 1.0 / d + a * pinned ** m[-1]
    if abs(float(tail.mean()) - predicted) <= 3 * max(binomial, spread) + 0.01:
        return pinned, True
    return float(_grid_fit(m, mean, None)[0][0]), False


def _more_samples(n: int, precision: float | None, target: float) -> int:
    """Sequences to add so the next fit should reach ``target``: the half-width scales as
    expansion(n)/√n (:func:`~qobserve.benchmarking.rb_analysis.expansion`); 5 % margin,
    at least 2, at most n at once (an estimate from 10 sequences is rough: doubling
    first keeps an overshoot small)."""
    from qobserve.benchmarking.rb_analysis import expansion

    if precision is None:
        return n
    total = n
    for _ in range(4):  # fixed point: expansion(total) depends on total
        ratio = precision / target * expansion(total, 0.95) / expansion(n, 0.95)
        total = max(n, math.ceil(n * ratio**2 * 1.05))
    return min(max(total - n, 2), n)


def relative_precision(value: float | None, ci: tuple[float, float] | None) -> float | None:
    """Relative half-width of ``ci`` around ``value``; None without a positive value."""
    if value is None or ci is None or value <= 0:
        return None
    return (ci[1] - ci[0]) / 2 / value


@dataclass(frozen=True)
class AdaptiveOutcome:
    """Everything an adaptive run measured: the design's data, both fits and the run."""

    lengths: tuple[int, ...]
    survival: np.ndarray
    interleaved_survival: np.ndarray | None
    fit: RBFit
    interleaved: InterleavedFit | None
    run: AdaptiveRun


def run_adaptive(
    measure: Measure,
    *,
    num_qubits: int,
    shots: int,
    target: float,
    max_shots: int,
    seed: int | None,
    gate: str | None = None,
) -> AdaptiveOutcome:
    """Run the pilot, choose the design and add rounds until ``target`` or the budget.

    Args:
        measure: runs one round (see :data:`Measure`).
        num_qubits: 1 or 2.
        shots: shots per circuit of the design rounds (the pilot uses at most 256).
        target: relative half-width of the 95 % interval to reach, in (0, 1).
        max_shots: budget for every round together, pilot included.
        seed: seeds every round's sequences and sampling and the bootstrap.
        gate: the interleaved gate, when interleaving; the target is then on its error.

    Raises:
        ValueError: ``max_shots:`` when the budget cannot pay the pilot and a first round.
    """
    from qobserve.benchmarking.irb_analysis import analyze_interleaved
    from qobserve.benchmarking.rb_analysis import RBData, analyze

    need = minimum_shots(num_qubits, shots, interleave=gate is not None)
    if max_shots < need:
        raise ValueError(
            f"max_shots: the pilot and a first round of {FIRST_SAMPLES} sequences need "
            f"{need:,} shots at {shots} per circuit, got {max_shots:,}; raise it or lower shots"
        )
    d, sets = 2**num_qubits, 1 if gate is None else 2
    rng = np.random.default_rng(seed)

    def next_seed() -> int:
        return int(rng.integers(2**62))

    pilot = PILOT_LENGTHS[num_qubits]
    pilot_shots, pilot_circuits = pilot_design(num_qubits, shots)
    ref, inter = measure(pilot, PILOT_SAMPLES, pilot_shots, next_seed())
    spent = sets * pilot_circuits * pilot_shots
    m = np.asarray(pilot, dtype=float)
    alpha, unital = _pilot_alpha(m, ref, pilot_shots, d)
    if inter is not None:
        alpha_int, unital_int = _pilot_alpha(m, inter, pilot_shots, d)
        # Geometric mean of both curves' 1/(1 − α): each sits within √(ratio) of its optimum.
        alpha = 1.0 - math.sqrt(max(1.0 - alpha, 1e-12) * max(1.0 - alpha_int, 1e-12))
        unital = unital and unital_int
    asymptote = 1.0 / d if unital else None
    lengths = design_lengths(alpha, num_qubits, fit_b=not unital)
    per_sample = sets * len(lengths) * shots
    ref_rows: list[np.ndarray] = []
    int_rows: list[np.ndarray] = []
    rounds, n, add = 1, 0, FIRST_SAMPLES
    irb: InterleavedFit | None = None
    precision: float | None = None
    while rounds < MAX_ROUNDS:
        add = min(add, (max_shots - spent) // per_sample)
        if add < 1:
            break
        ref, inter = measure(lengths, add, shots, next_seed())
        ref_rows.append(ref)
        if inter is not None:
            int_rows.append(inter)
        n, spent, rounds = n + add, spent + add * per_sample, rounds + 1
        data = RBData(num_qubits, lengths, np.vstack(ref_rows), shots)
        fit = analyze(data, seed=seed, asymptote=asymptote)
        if gate is None:
            precision = relative_precision(fit.epc, fit.epc_ci) if fit.ok else None
        else:
            irb = analyze_interleaved(
                data,
                RBData(num_qubits, lengths, np.vstack(int_rows), shots),
                gate=gate,
                seed=seed,
                asymptote=asymptote,
            )
            precision = relative_precision(irb.gate_error, irb.gate_error_ci) if irb.ok else None
        if precision is not None and precision <= target:
            break
        add = _more_samples(n, precision, target)
    run = AdaptiveRun(target, precision, rounds, spent, pilot, asymptote)
    return AdaptiveOutcome(
        lengths,
        np.vstack(ref_rows),
        np.vstack(int_rows) if int_rows else None,
        fit,
        irb,
        run,
    )
