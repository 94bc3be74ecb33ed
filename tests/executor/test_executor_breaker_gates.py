"""Circuit breaker, calibration/status/queue gates and the budget gate on local simulators."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qobserve.chaos import ChaosBackend, Faults, Ledger
from qobserve.executor import BreakerPolicy, Price, ResilientExecutor, RetryPolicy, Target
from qobserve.executor._breaker import Breaker, BreakerState


class Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_breaker_opens_on_consecutive_failures_and_probes_once():
    """N failures open it; after the cool-down exactly one probe passes; success closes it."""
    clock, seen = Clock(), []
    b = Breaker(BreakerPolicy(failure_threshold=3, cooldown=10), on_change=seen.append, clock=clock)
    for _ in range(3):
        assert b.allow()
        b.failure()
    assert b.state is BreakerState.OPEN and not b.allow()
    clock.t += 10
    assert b.state is BreakerState.HALF_OPEN
    assert b.allow() and not b.allow()  # one probe at a time
    b.success()
    assert b.state is BreakerState.CLOSED and b.allow()
    assert seen == [BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED]


def test_breaker_opens_on_failure_ratio_and_reopens_after_failed_probe():
    """Half of the last 10 calls failing opens it even without a streak; a failed probe re-opens."""
    clock = Clock()
    b = Breaker(
        BreakerPolicy(
            failure_threshold=100, failure_ratio=0.5, window=10, min_calls=10, cooldown=1
        ),
        clock=clock,
    )
    for i in range(10):
        b.failure() if i % 2 else b.success()  # the 10th call fails: 5 of 10
    assert b.state is BreakerState.OPEN
    clock.t += 1
    assert b.allow()
    b.failure()
    assert b.state is BreakerState.OPEN and b.opened == 2


def test_breaker_on_simulator_skips_failing_backend_and_exports_state(bell, otel):
    """A backend that always fails opens its breaker; later jobs skip it; the gauge reads 2."""
    ledger = Ledger()
    flaky = ChaosBackend("qiskit:aer", Faults(transient_error_rate=1.0), ledger=ledger)
    healthy = ChaosBackend("cirq:simulator", ledger=ledger)
    ex = ResilientExecutor(
        [flaky, healthy],
        retry=RetryPolicy(max_attempts=2, initial="1ms"),
        breaker=BreakerPolicy(failure_threshold=4, cooldown=60),
        **otel.providers,
    )
    results = [ex.run(bell, shots=20) for _ in range(6)]
    assert all(r.provenance.backend == "cirq_simulator" for r in results)
    assert ex.breaker_state("aer_simulator") is BreakerState.OPEN
    assert [r.provenance.skipped[0].reason for r in results[2:]] == ["breaker open"] * 4
    assert sum(1 for e in ledger.events if e[0] == "aer_simulator") == 4
    assert otel.value("quantum.executor.breaker.state", **{"quantum.backend": "aer_simulator"}) == 2
    assert (
        otel.value("quantum.executor.breaker.state", **{"quantum.backend": "cirq_simulator"}) == 0
    )


@pytest.mark.parametrize(
    ("faults", "gates", "reason"),
    [
        ({"calibration_age": "48h"}, {"max_calibration_age": "24h"}, "calibration 172800s old"),
        ({"calibration_missing": True}, {"require_calibration": True}, "calibration unknown"),
        ({"outage": {"after_jobs": 0, "for_jobs": 10}}, {}, "not operational"),
        ({"pending_jobs": 900}, {"max_pending_jobs": 100}, "queue 900 > 100 jobs"),
    ],
)
def test_gates_skip_unfit_backend(bell, faults, gates, reason):
    """A stale, uncalibrated, offline or over-queued backend is skipped without a submission."""
    ledger = Ledger()
    ex = ResilientExecutor(
        [
            ChaosBackend("qiskit:aer", Faults(**faults), ledger=ledger),
            ChaosBackend("cirq:simulator", Faults(calibration_age="1h"), ledger=ledger),
        ],
        gates=gates,
    )
    ledger.begin("job-1")
    result = ex.run(bell, shots=20, client_id="job-1")
    assert result.provenance.backend == "cirq_simulator"
    assert result.provenance.skipped[0].backend == "aer_simulator"
    assert result.provenance.skipped[0].reason.startswith(reason)
    assert [e[0] for e in ledger.events] == ["cirq_simulator"]


def test_fresh_calibration_passes_the_gate(bell):
    """A backend calibrated within max_calibration_age runs the job."""
    ex = ResilientExecutor(
        [ChaosBackend("qiskit:aer", Faults(calibration_age="2h"))],
        gates={"max_calibration_age": "24h"},
    )
    assert ex.run(bell, shots=20).provenance.backend == "aer_simulator"


def test_budget_gate_reserves_before_submitting(bell, tmp_path):
    """Jobs run while the estimate fits; then BudgetExceededError, nothing submitted, spend ≤ limit."""
    from qobserve.cost import Budget, BudgetExceededError, SqliteBudgetStore

    budget = Budget(
        "exec-test", "1.00", period="day", store=SqliteBudgetStore(tmp_path / "b.sqlite")
    )
    ledger = Ledger()
    price = Price(per_task_usd="0.30", per_shot_usd="0.001")  # $0.32 per 20-shot job
    ex = ResilientExecutor(
        [Target(ChaosBackend("qiskit:aer", ledger=ledger), price=price)], budget=budget
    )
    for _ in range(3):
        assert ex.run(bell, shots=20).provenance.cost_usd == Decimal("0.32")
    with pytest.raises(BudgetExceededError) as err:
        ex.run(bell, shots=20)
    assert err.value.provenance.reason == "aer_simulator: budget exceeded"
    assert sum(ledger.executions.values()) == 3
    assert budget.spent() == Decimal("0.96") <= budget.limit_usd


def test_budget_gate_releases_reservation_of_failed_attempts(bell, tmp_path):
    """Failed submissions are not charged: their reservations go back to the budget."""
    from qobserve.cost import Budget, SqliteBudgetStore

    budget = Budget(
        "exec-release", "10", period="day", store=SqliteBudgetStore(tmp_path / "b.sqlite")
    )
    ex = ResilientExecutor(
        [
            Target(
                ChaosBackend("qiskit:aer", Faults(permanent_error_rate=1.0)),
                price=Price(per_task_usd=1),
            ),
            Target("cirq:simulator", price=Price(per_task_usd=2)),
        ],
        budget=budget,
    )
    result = ex.run(bell, shots=10)
    assert result.provenance.backend == "cirq_simulator"
    assert budget.spent() == Decimal(2)


def test_calibration_gate_reads_real_device_calibration(bell):
    """Qiskit's fake_manila carries a years-old bundled calibration: the gate skips it."""
    ex = ResilientExecutor(
        ["qiskit:fake_manila", "cirq:simulator"], gates={"max_calibration_age": "30d"}
    )
    result = ex.run(bell, shots=20)
    assert result.provenance.backend == "cirq_simulator"
    skip = result.provenance.skipped[0]
    assert skip.backend == "fake_manila" and skip.reason.startswith("calibration ")
    assert not result.provenance.attempts[:-1]
