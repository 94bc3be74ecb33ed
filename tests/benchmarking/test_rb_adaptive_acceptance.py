"""Adaptive RB against the default design and the truth, over 20 fixed seeds per case.

For ``depolarizing:λ`` after every Clifford the true EPC is λ(d − 1)/d = λ/2 (one
qubit). For each λ the default design (10 lengths × 30 sequences × 1,024 shots,
307,200 shots) is run once on the same backend and its relative 95 % half-width
becomes the adaptive run's target. Over 20 seeds the adaptive run must reach it
in every seed with a median of at most half the default's shots (a single seed
can overshoot: its precision estimate from 10-20 sequences is itself noisy), keep
every EPC within ±35 % of the truth (the estimates' 1σ spread is 1-3 %), and
cover the truth in ≥ 17 of 20 intervals (P = 98.4 % at 95 % coverage, binomial).

Marked ``statistical``: stim takes seconds, Aer (one qubit, single-threaded)
about a minute in all.
"""

from __future__ import annotations

import statistics

import pytest

from qobserve.benchmarking import run_rb

DEFAULT_SHOTS = 10 * 30 * 1024


@pytest.mark.statistical
@pytest.mark.parametrize("backend", ["stim", "qiskit:aer"])
@pytest.mark.parametrize("lam", [0.002, 0.01, 0.03])
def test_adaptive_reaches_the_default_precision_with_half_the_shots(backend, lam, monkeypatch):
    """Target met in every seed, median shots ≤ half the default's, EPC ±35 %, coverage ≥ 17/20."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    noise, truth = f"depolarizing:{lam}", lam / 2
    default = run_rb(backend, (0,), noise=noise, seed=0)
    target = default.precision
    results = [
        run_rb(backend, (0,), noise=noise, seed=100 + seed, target_precision=target)
        for seed in range(20)
    ]
    assert all(r.adaptive.reached for r in results), [r.precision for r in results]
    shots = [r.total_shots / DEFAULT_SHOTS for r in results]
    assert statistics.median(shots) <= 0.5, shots
    errors = [r.fit.epc / truth - 1 for r in results]
    assert max(map(abs, errors)) <= 0.35, errors
    covered = sum(r.fit.epc_ci[0] <= truth <= r.fit.epc_ci[1] for r in results)
    assert covered >= 17, (covered, errors)


@pytest.mark.statistical
@pytest.mark.parametrize("lam", [0.002, 0.01, 0.03])
def test_adaptive_interleaved_rb_targets_the_gate_error(lam):
    """Interleaving x on stim: the default design's gate-error precision with a median ≤ half
    its shots, gate error ±40 % of λ/2 (the interleaved-RB tolerance), coverage ≥ 17/20."""
    noise, truth = f"depolarizing:{lam}", lam / 2
    target = run_rb("stim", (0,), noise=noise, seed=0, interleave="x").precision
    results = [
        run_rb("stim", (0,), noise=noise, seed=100 + s, interleave="x", target_precision=target)
        for s in range(20)
    ]
    assert all(r.adaptive.reached for r in results), [r.precision for r in results]
    assert statistics.median(r.total_shots / (2 * DEFAULT_SHOTS) for r in results) <= 0.5
    errors = [r.interleaved.gate_error / truth - 1 for r in results]
    assert max(map(abs, errors)) <= 0.40, errors
    low_high = [r.interleaved.gate_error_ci for r in results]
    assert sum(lo <= truth <= hi for lo, hi in low_high) >= 17, errors
