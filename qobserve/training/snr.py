"""Gradient signal-to-noise: the two quantities the literature calls by that name.

*Shot SNR* (:func:`shot_snr`) is about the estimator at the current parameters:
how large the gradient is compared with the noise of one estimate of it. Below 1
the optimizer mostly follows noise; more shots fix it (:func:`suggest_shots`).

*Landscape variance* (:func:`landscape_variance`) is about the cost function:
the variance of a gradient component over random parameter settings. McClean et
al., "Barren plateaus in quantum neural network training landscapes", Nat.
Commun. 9, 4812 (2018), show it decays exponentially with qubit count for
random (2-design) circuits, whatever the shot budget. More shots do not fix it.

Definition of σ used everywhere here: the standard deviation of *one* gradient
estimate, i.e. of the gradient the optimizer consumes.

* From ``k`` repeated estimates (``samples``, shape ``(k, P)``): ĝ is the row
  mean and σ the per-sample standard deviation (``ddof=1``), so the SNR does not
  grow with ``k``; ``k`` only makes it more accurate. If your optimizer steps on
  the mean of the ``k`` rows, its gradient has SNR √k larger: pass
  ``gradient=mean, gradient_stderr=std/√k`` instead.
* From ``gradient`` and ``stderr``: σ is that standard error as given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "GradientStats",
    "gradient_stats",
    "landscape_variance",
    "shot_snr",
    "suggest_shots",
]


@dataclass(frozen=True)
class GradientStats:
    """Summary of one step's gradient.

    Attributes:
        gradient: mean gradient ĝ, shape ``(P,)``.
        sigma: standard deviation of one estimate per component, or None if unknown.
        snr: per-parameter |ĝ| / σ (``inf`` where σ = 0 and ĝ ≠ 0), or None.
        snr_median: median of ``snr`` over parameters (NaN entries, 0/0, skipped).
        norm: L2 norm of ĝ.
        variance: variance of ĝ's components across parameters (barren-plateau signal).
        samples: number of estimates ``k`` behind ĝ (1 for gradient + stderr).
    """

    gradient: np.ndarray
    sigma: np.ndarray | None
    snr: np.ndarray | None
    snr_median: float | None
    norm: float
    variance: float
    samples: int


def _as_float_array(value, field: str, ndim: int) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{field}: expected numbers, got {type(value).__name__} ({exc})") from None
    if arr.ndim != ndim:
        want = "(P,)" if ndim == 1 else "(k, P)"
        raise ValueError(f"{field}: expected shape {want}, got {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{field}: is empty; pass at least one gradient component")
    if not np.isfinite(arr.sum()):  # one reduction instead of an elementwise mask (hot path)
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"{field}: contains {bad} NaN/inf value(s); check the estimator's inputs")
    return arr


def shot_snr(
    samples=None, *, gradient=None, stderr=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-parameter shot SNR |ĝ| / σ at the current parameters.

    Args:
        samples: ``(k, P)`` array of ``k ≥ 2`` independent gradient estimates.
        gradient: ``(P,)`` gradient, with ``stderr`` its per-component standard error.
        stderr: ``(P,)`` non-negative standard errors.

    Returns:
        ``(gradient, sigma, snr)``, each of shape ``(P,)``.

    Raises:
        ValueError: naming the bad field (shape, NaN, negative stderr, both forms given).
    """
    if samples is not None:
        if gradient is not None or stderr is not None:
            raise ValueError(
                "gradient_samples: pass either gradient_samples or "
                "gradient/gradient_stderr, not both"
            )
        arr = _as_float_array(samples, "gradient_samples", 2)
        if arr.shape[0] < 2:
            raise ValueError(
                f"gradient_samples: need k >= 2 estimates to measure their spread, "
                f"got shape {arr.shape}; pass gradient= and gradient_stderr= instead"
            )
        g = arr.mean(axis=0)
        sigma = arr.std(axis=0, ddof=1)
    else:
        if gradient is None or stderr is None:
            raise ValueError(
                "gradient_stderr: shot SNR needs gradient_samples, or gradient "
                "together with gradient_stderr"
            )
        g = _as_float_array(gradient, "gradient", 1)
        sigma = _as_float_array(stderr, "gradient_stderr", 1)
        if sigma.shape != g.shape:
            raise ValueError(
                f"gradient_stderr: shape {sigma.shape} does not match gradient shape {g.shape}"
            )
        if sigma.min() < 0:
            raise ValueError(
                "gradient_stderr: standard errors must be >= 0, got "
                f"{sigma[sigma < 0][:3].tolist()}"
            )
    magnitude = np.abs(g)
    # |g|/0 is inf, 0/0 is NaN; np.divide with `where` avoids np.errstate's cost per step.
    snr = np.full_like(magnitude, np.nan)
    np.divide(magnitude, sigma, out=snr, where=sigma > 0)
    snr[(sigma == 0) & (magnitude > 0)] = np.inf
    return g, sigma, snr


def _median(values: np.ndarray) -> float | None:
    kept = np.sort(values[~np.isnan(values)])  # np.median's generic path is ~10x slower here
    n = kept.size
    if n == 0:
        return None
    return float(kept[n // 2]) if n % 2 else float((kept[n // 2 - 1] + kept[n // 2]) / 2)


def gradient_stats(samples=None, *, gradient=None, stderr=None) -> GradientStats:
    """Everything a training step reports about its gradient.

    Accepts ``samples`` ``(k, P)``, or ``gradient`` with optional ``stderr``
    (without it only norm and variance are known). Raises ValueError like
    :func:`shot_snr`.
    """
    if samples is None and stderr is None:
        g = _as_float_array(gradient, "gradient", 1)
        sigma = snr = None
        k = 1
    else:
        g, sigma, snr = shot_snr(samples, gradient=gradient, stderr=stderr)
        k = 1 if samples is None else int(np.shape(samples)[0])
    return GradientStats(
        gradient=g,
        sigma=sigma,
        snr=snr,
        snr_median=None if snr is None else _median(snr),
        norm=math.sqrt(float(g @ g)),
        variance=_variance(g),
        samples=k,
    )


def _variance(g: np.ndarray) -> float:
    centred = g - g.sum() / g.size  # two-pass, cheaper than np.var's generic path
    return float(centred @ centred) / g.size


def landscape_variance(gradients) -> np.ndarray:
    """Variance of each gradient component over random parameter settings.

    Args:
        gradients: ``(n, P)`` array, row ``i`` the gradient at the ``i``-th random
            initialisation (n ≥ 2). Exact (statevector) gradients measure the
            landscape alone; shot-noisy ones add σ² to every entry.

    Returns:
        ``(P,)`` per-component variance (``ddof=1``). Its mean is the number
        McClean et al. plot against qubit count.
    """
    arr = _as_float_array(gradients, "gradients", 2)
    if arr.shape[0] < 2:
        raise ValueError(f"gradients: need >= 2 initialisations, got shape {arr.shape}")
    return arr.var(axis=0, ddof=1)


def suggest_shots(
    shots: int, snr_median: float, *, target_snr: float = 2.0, max_shots: int | None = None
) -> int:
    """Shots per circuit for the median parameter to reach ``target_snr``.

    Shot noise σ scales as 1/√N, so SNR scales as √N and the needed count is
    ``N · (target / snr)²``. A landscape-variance plateau is not fixed this way:
    the required count grows exponentially with qubits, which is the point of
    McClean et al.

    Raises:
        ValueError: for non-positive ``shots``/``target_snr`` or ``snr_median`` ≤ 0.
    """
    if shots <= 0:
        raise ValueError(f"shots: must be > 0, got {shots}")
    if target_snr <= 0:
        raise ValueError(f"target_snr: must be > 0, got {target_snr}")
    if not snr_median > 0:
        raise ValueError(
            f"snr_median: must be > 0 to extrapolate, got {snr_median}; "
            "a zero gradient cannot be resolved by more shots"
        )
    if math.isinf(snr_median):
        return int(shots)
    needed = math.ceil(shots * (target_snr / snr_median) ** 2)
    return needed if max_shots is None else min(needed, int(max_shots))
