"""Thin adapters: each SDK's expectation-value API as an :data:`ExpectationFn`.

Each returns a callable mapping an ``(m, P)`` array of parameter sets to
:class:`~qobserve.training.gradients.Expectations`, for
:func:`~qobserve.training.gradients.parameter_shift` and
:func:`~qobserve.training.gradients.spsa`. SDKs are imported by the objects you
pass in, never here, so this module costs nothing to import.

Standard errors come from the SDK where it reports them (Qiskit ``stds``), or
from the single-shot variance where it does not (Braket ``variance`` result
type; Cirq Pauli terms, for which Var = c² − ⟨cP⟩²).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qobserve.training.gradients import ExpectationFn, Expectations

__all__ = ["braket_expectation", "cirq_expectation", "qiskit_expectation"]


def _check_width(batch: np.ndarray, width: int, names) -> np.ndarray:
    batch = np.atleast_2d(np.asarray(batch, dtype=float))
    if batch.shape[1] != width:
        raise ValueError(
            f"params: circuit has {width} parameters {list(names)[:6]}, "
            f"got parameter sets of width {batch.shape[1]}"
        )
    return batch


def qiskit_expectation(
    estimator, circuit, observable, *, precision: float | None = None
) -> ExpectationFn:
    """Qiskit ``BaseEstimatorV2`` (StatevectorEstimator, Aer, Runtime local mode).

    All parameter sets go in one PUB, so one call is one job. Columns follow
    ``circuit.parameters`` (sorted by name). ``stds`` is the estimator's
    standard error. ``StatevectorEstimator`` and Aer's ``EstimatorV2`` model
    precision p as Gaussian noise of std p on the exact value (N ≈ 1/p² shots),
    not as sampled ±1 outcomes, and ``StatevectorEstimator`` (qiskit 2.x)
    reports ``stds = 0`` even then: when every ``std`` is zero they fall back to
    the result's ``target_precision``. ``qiskit_ibm_runtime.EstimatorV2`` in
    local mode samples ⌈1/p²⌉ shots and reports binomial standard errors.
    """
    names = [p.name for p in circuit.parameters]

    def expectation(batch: np.ndarray) -> Expectations:
        batch = _check_width(batch, len(names), names)
        pub = estimator.run([(circuit, observable, batch)], precision=precision).result()[0]
        stds = np.asarray(pub.data.stds, float).reshape(-1)
        floor = float(pub.metadata.get("target_precision") or 0.0)
        return Expectations(
            np.asarray(pub.data.evs, float).reshape(-1),
            stds if np.any(stds > 0) else np.full_like(stds, floor),
        )

    return expectation


def braket_expectation(
    device,
    circuit,
    observable,
    target: Sequence[int] | None = None,
    *,
    shots: int,
    parameter_names: Sequence[str] | None = None,
) -> ExpectationFn:
    """Braket device (``LocalSimulator`` or AWS) with FreeParameter inputs, one task per set.

    Adds ``expectation`` and ``variance`` result types for ``observable`` on
    ``target``; the sampled variance / shots gives the standard error (0 for
    ``shots=0``, exact simulation). Columns follow ``parameter_names``
    (default: the circuit's FreeParameter names, sorted).
    """
    names = list(parameter_names or sorted(p.name for p in circuit.parameters))
    program = circuit.copy()
    program.expectation(observable, target=target)
    program.variance(observable, target=target)

    def expectation(batch: np.ndarray) -> Expectations:
        batch = _check_width(batch, len(names), names)
        values, var = np.empty(len(batch)), np.empty(len(batch))
        for i, row in enumerate(batch):
            result = device.run(
                program, shots=shots, inputs=dict(zip(names, map(float, row), strict=False))
            ).result()
            values[i], var[i] = result.values[-2], result.values[-1]
        stderr = np.sqrt(np.clip(var, 0, None) / shots) if shots else np.zeros_like(values)
        return Expectations(values, stderr)

    return expectation


def cirq_expectation(
    sampler, circuit, observable, symbols: Sequence, *, repetitions: int
) -> ExpectationFn:
    """Cirq ``Sampler.sample_expectation_values`` over a sweep, one call per batch.

    ``observable`` is a ``PauliString`` or ``PauliSum``; each term's single-shot
    variance is c² − ⟨cP⟩², summed over terms (covariances between terms
    measured together are ignored). Columns follow ``symbols``.
    """
    terms = list(observable) if not hasattr(observable, "coefficient") else [observable]
    names = [getattr(s, "name", str(s)) for s in symbols]
    coeff2 = np.array([abs(complex(t.coefficient)) ** 2 for t in terms])

    def expectation(batch: np.ndarray) -> Expectations:
        batch = _check_width(batch, len(names), names)
        params = [dict(zip(names, map(float, row), strict=False)) for row in batch]
        out = sampler.sample_expectation_values(
            circuit, terms, num_samples=repetitions, params=params
        )
        per_term = np.real(np.asarray(out, dtype=complex))  # (m, terms)
        var = np.clip(coeff2[None, :] - per_term**2, 0, None).sum(axis=1)
        return Expectations(per_term.sum(axis=1), np.sqrt(var / repetitions))

    return expectation
