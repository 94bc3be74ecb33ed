"""Retry policy on real local simulators wrapped in fault injection."""

from __future__ import annotations

import statistics
import time

import pytest

from qobserve.chaos import ChaosBackend, Faults, Ledger
from qobserve.executor import JobFailedError, ResilientExecutor, RetryBudget, RetryPolicy


class Sleeps(list):
    """Records requested backoff sleeps instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _chaos(spec: str, ledger: Ledger, **faults) -> ChaosBackend:
    return ChaosBackend(spec, Faults(**faults), ledger=ledger, seed=1)


def test_retry_budget_takes_costs_and_refunds():
    """A retry takes 5 tokens, a timeout retry 10, a success refunds 1 up to capacity."""
    b = RetryBudget(capacity=20)
    assert b.acquire() and b.tokens == 15
    assert b.acquire(timeout=True) and b.tokens == 5
    assert not b.acquire(timeout=True) and b.tokens == 5 and b.refused == 1
    b.refund()
    assert b.tokens == 6
    for _ in range(30):
        b.refund()
    assert b.tokens == 20


def test_backoff_is_capped_full_jitter(bell):
    """Sleeps fall in U(0, min(maximum, initial·2ⁿ⁻¹)) and spread over that range."""
    ledger, sleeps = Ledger(), Sleeps()
    policy = RetryPolicy(max_attempts=5, initial=0.1, maximum=0.3)
    ex = ResilientExecutor(
        [_chaos("qiskit:aer", ledger, transient_error_rate=1.0)],
        retry=policy,
        sleep=sleeps,
        breaker={"enabled": False},
        retry_budget=RetryBudget(capacity=10_000),
    )
    for _ in range(40):
        with pytest.raises(JobFailedError, match="5 attempts failed"):
            ex.run(bell, shots=10)
    caps = [min(0.3, 0.1 * 2 ** (n % 4)) for n in range(len(sleeps))]
    assert len(sleeps) == 40 * 4
    assert all(0 <= s <= c for s, c in zip(sleeps, caps, strict=False))
    # U(0, 1) has mean 1/2 and sd 0.289: over 160 draws the mean's sd is 0.023, ±0.15 is > 6σ.
    assert abs(statistics.mean(s / c for s, c in zip(sleeps, caps, strict=False)) - 0.5) < 0.15


def test_retry_after_hint_is_honoured(bell):
    """A throttled submission is retried no sooner than the provider's Retry-After."""
    ledger, sleeps = Ledger(), Sleeps()
    ex = ResilientExecutor(
        [_chaos("cirq:simulator", ledger, throttle_rate=1.0, retry_after=0.7)],
        retry=RetryPolicy(max_attempts=3, initial=0.001, maximum=0.01),
        sleep=sleeps,
    )
    with pytest.raises(JobFailedError, match="ThrottlingException"):
        ex.run(bell, shots=10)
    assert sleeps and all(s >= 0.7 for s in sleeps)


def test_retry_budget_stops_a_retry_storm(bell):
    """With 20 tokens only 4 retries happen in total, however many jobs fail."""
    ledger = Ledger()
    budget = RetryBudget(capacity=20)
    ex = ResilientExecutor(
        [_chaos("qiskit:aer", ledger, transient_error_rate=1.0)],
        retry=RetryPolicy(max_attempts=10, initial="1ms", maximum="1ms"),
        retry_budget=budget,
        breaker={"enabled": False},
    )
    results = ex.run_many([bell] * 6, shots=10)
    assert all(isinstance(r, JobFailedError) for r in results)
    assert sum(r.provenance.retries for r in results) == 4 == budget.granted
    assert sum("retry budget exhausted" in r.reason for r in results) >= 5
    assert len(ledger.events) == 6 + 4


def test_permanent_error_is_tried_once_then_falls_back(bell):
    """A permanent rejection is never retried on that backend; the next backend runs the job."""
    ledger = Ledger()
    ex = ResilientExecutor(
        [_chaos("qiskit:aer", ledger, permanent_error_rate=1.0), _chaos("cirq:simulator", ledger)],
        retry=RetryPolicy(max_attempts=5, initial="1ms"),
    )
    result = ex.run(bell, shots=50)
    assert result.provenance.backend == "cirq_simulator"
    assert [(e[0], e[3]) for e in ledger.events] == [
        ("aer_simulator", "permanent"),
        ("cirq_simulator", "ok"),
    ]
    assert result.provenance.retries == 0 and result.provenance.fallbacks == 1


def test_reroute_error_moves_on_without_retry(bell):
    """An offline backend gets one submission and the job goes straight to the next target."""
    ledger = Ledger()
    ex = ResilientExecutor(
        [
            _chaos("qiskit:aer", ledger, outage={"after_jobs": 0, "for_jobs": 99}),
            _chaos("cirq:simulator", ledger),
        ],
        retry=RetryPolicy(max_attempts=5, initial="1ms"),
        gates={"require_operational": False},
    )
    result = ex.run(bell, shots=50)
    assert [(e[0], e[3]) for e in ledger.events] == [
        ("aer_simulator", "outage"),
        ("cirq_simulator", "ok"),
    ]
    assert result.provenance.attempts[0].error_kind == "reroute"


def test_deadline_includes_waiting_and_cancels_hung_jobs(bell):
    """Hung jobs are cancelled and the job fails once its deadline (queue time included) passes."""
    ledger = Ledger()
    ex = ResilientExecutor(
        [_chaos("qiskit:aer", ledger, timeout_rate=1.0)],
        deadline=0.15,
        retry=RetryPolicy(max_attempts=100, initial="1ms", maximum="2ms", attempt_timeout=0.03),
        breaker={"enabled": False},
        retry_budget=RetryBudget(capacity=10**6),
    )
    t0 = time.monotonic()
    with pytest.raises(JobFailedError, match="deadline exceeded") as err:
        ex.run(bell, shots=10)
    # Without the deadline 100 attempts x 30 ms would take ≥ 3 s; 1 s of slack absorbs
    # scheduling delays on a busy machine.
    assert time.monotonic() - t0 < 0.15 + 1.0
    assert all(a.outcome == "cancelled" for a in err.value.provenance.attempts)
    assert ledger.settle() == 0 and not ledger.executions
