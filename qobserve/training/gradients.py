"""Gradient estimators that return their own shot noise, from the same measurements.

Both estimators call an *expectation function* once per step with every
parameter set they need stacked in one ``(m, P)`` array, so an adapter that
batches (Qiskit Estimator PUBs, Cirq sweeps) turns one gradient into one job and
the noise estimate costs nothing extra. The function returns
:class:`Expectations`: the estimated values and their standard errors.
Adapters for Qiskit, Braket and Cirq are in :mod:`qobserve.training.adapters`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ExpectationFn",
    "Expectations",
    "GradientEstimate",
    "parameter_shift",
    "sample_landscape",
    "spsa",
]


@dataclass(frozen=True)
class Expectations:
    """Estimated expectation values and their standard errors, shape ``(m,)`` each.

    For a ±1-valued observable measured with N shots the standard error is
    √((1 − ⟨O⟩²) / N).
    """

    values: np.ndarray
    stderr: np.ndarray


ExpectationFn = Callable[[np.ndarray], Expectations]


@dataclass(frozen=True)
class GradientEstimate:
    """A gradient with its noise, ready for ``run.record_step(estimate=...)``.

    Attributes:
        gradient: ``(P,)`` estimate (mean of ``samples`` when there are samples).
        stderr: ``(P,)`` standard error of ``gradient``.
        samples: ``(k, P)`` individual estimates (SPSA), else None.
        value / value_stderr: cost at the unshifted parameters, if requested.
        shot_variance: mean variance (stderr²) of every expectation value behind it.
        evaluations: number of circuits evaluated.
    """

    gradient: np.ndarray
    stderr: np.ndarray
    samples: np.ndarray | None = None
    value: float | None = None
    value_stderr: float | None = None
    shot_variance: float = 0.0
    evaluations: int = 0


def _evaluate(expectation: ExpectationFn, batch: np.ndarray) -> Expectations:
    out = expectation(batch)
    if not isinstance(out, Expectations):
        values, stderr = out
        out = Expectations(np.asarray(values, float), np.asarray(stderr, float))
    values = np.asarray(out.values, float).reshape(-1)
    stderr = np.asarray(out.stderr, float).reshape(-1)
    if values.shape != (len(batch),) or stderr.shape != values.shape:
        raise ValueError(
            f"expectation: returned {values.shape} values and {stderr.shape} "
            f"stderr for {len(batch)} parameter sets; return one of each per row"
        )
    return Expectations(values, stderr)


def _params(params) -> np.ndarray:
    theta = np.asarray(params, dtype=float)
    if theta.ndim != 1 or theta.size == 0:
        raise ValueError(f"params: expected a non-empty 1-D array, got shape {theta.shape}")
    return theta


def parameter_shift(
    expectation: ExpectationFn,
    params,
    *,
    shift: float = np.pi / 2,
    include_value: bool = False,
    indices=None,
) -> GradientEstimate:
    """Parameter-shift gradient with its shot-noise standard error.

    For a parameter entering once as a Pauli rotation exp(−iθP/2),
    ∂C/∂θ = [C(θ+s) − C(θ−s)] / (2 sin s) exactly (Mitarai et al. 2018,
    Schuld et al. 2019); s = π/2 gives the familiar ½[C(θ+π/2) − C(θ−π/2)].
    The two terms are independent estimates, so the component's standard error
    is √(se₊² + se₋²) / (2 sin s). For ±1 observables with N shots and s = π/2,
    Var ≤ 1/(2N).

    Args:
        expectation: maps an ``(m, P)`` array of parameter sets to :class:`Expectations`.
        params: the current parameters θ, shape ``(P,)``.
        shift: the shift s (not a multiple of π).
        include_value: also evaluate C(θ) in the same batch (one more circuit).
        indices: differentiate only these parameters (a random subset is an
            unbiased sample of the components; the result has ``len(indices)`` entries).

    Returns:
        :class:`GradientEstimate` from ``2P`` (+1) evaluations in one call.
    """
    theta = _params(params)
    denom = 2.0 * np.sin(shift)
    if abs(denom) < 1e-9:
        raise ValueError(f"shift: sin(shift) must be non-zero, got shift={shift}")
    idx = np.arange(theta.size) if indices is None else np.asarray(indices, dtype=int).reshape(-1)
    if idx.size == 0 or idx.min() < 0 or idx.max() >= theta.size:
        raise ValueError(
            f"indices: must be non-empty and within [0, {theta.size}), got {idx.tolist()}"
        )
    p = idx.size
    eye = np.zeros((p, theta.size))
    eye[np.arange(p), idx] = shift
    batch = np.concatenate([theta + eye, theta - eye] + ([theta[None, :]] if include_value else []))
    ev = _evaluate(expectation, batch)
    plus, minus = ev.values[:p], ev.values[p : 2 * p]
    se_p, se_m = ev.stderr[:p], ev.stderr[p : 2 * p]
    return GradientEstimate(
        gradient=(plus - minus) / denom,
        stderr=np.sqrt(se_p**2 + se_m**2) / abs(denom),
        value=float(ev.values[-1]) if include_value else None,
        value_stderr=float(ev.stderr[-1]) if include_value else None,
        shot_variance=float(np.mean(ev.stderr**2)),
        evaluations=len(batch),
    )


def spsa(
    expectation: ExpectationFn,
    params,
    *,
    c: float = 0.1,
    samples: int = 4,
    rng: np.random.Generator | int | None = None,
) -> GradientEstimate:
    """Simultaneous-perturbation gradient estimates (Spall 1992), ``samples`` of them.

    Each estimate draws Δ ∈ {±1}^P and uses ĝ = [C(θ+cΔ) − C(θ−cΔ)] / (2c) · Δ
    (1/Δᵢ = Δᵢ), two circuits whatever P is. Its spread mixes shot noise with
    the random direction, so the reported SNR is the estimator's, not the
    shots' alone; ``stderr`` is the standard error of the mean of the samples.

    Returns:
        :class:`GradientEstimate` with ``samples`` of shape ``(samples, P)``.
    """
    theta = _params(params)
    if samples < 2:
        raise ValueError(
            f"samples: need >= 2 SPSA estimates to measure their spread, got {samples}"
        )
    if c <= 0:
        raise ValueError(f"c: perturbation size must be > 0, got {c}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    delta = gen.choice([-1.0, 1.0], size=(samples, theta.size))
    batch = np.concatenate([theta + c * delta, theta - c * delta])
    ev = _evaluate(expectation, batch)
    diff = (ev.values[:samples] - ev.values[samples:]) / (2.0 * c)
    rows = diff[:, None] * delta
    return GradientEstimate(
        gradient=rows.mean(axis=0),
        stderr=rows.std(axis=0, ddof=1) / np.sqrt(samples),
        samples=rows,
        shot_variance=float(np.mean(ev.stderr**2)),
        evaluations=len(batch),
    )


def sample_landscape(
    expectation: ExpectationFn,
    num_params: int,
    *,
    samples: int = 100,
    indices=(0,),
    low: float = 0.0,
    high: float = 2 * np.pi,
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """Parameter-shift gradients at ``samples`` uniformly random parameter settings.

    The pre-flight barren-plateau check: feed the result to
    :func:`~qobserve.training.snr.landscape_variance`. All ``2·samples·len(indices)``
    circuits go to ``expectation`` in one batch. Use exact expectation values
    (shot noise would add σ² to the variance).

    Returns:
        ``(samples, len(indices))`` gradient components.
    """
    if samples < 2:
        raise ValueError(f"samples: need >= 2 random settings for a variance, got {samples}")
    idx = np.asarray(indices, dtype=int).reshape(-1)
    if idx.size == 0 or idx.min() < 0 or idx.max() >= num_params:
        raise ValueError(
            f"indices: must be non-empty and within [0, {num_params}), got {idx.tolist()}"
        )
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    thetas = gen.uniform(low, high, size=(samples, num_params))
    shifts = np.zeros((idx.size, num_params))
    shifts[np.arange(idx.size), idx] = np.pi / 2
    plus = (thetas[:, None, :] + shifts[None]).reshape(-1, num_params)
    minus = (thetas[:, None, :] - shifts[None]).reshape(-1, num_params)
    ev = _evaluate(expectation, np.concatenate([plus, minus]))
    half = len(plus)
    return ((ev.values[:half] - ev.values[half:]) / 2.0).reshape(samples, idx.size)
