"""Property-based game days: random fault mixes never lose, duplicate or overspend."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qobserve.gameday import Scenario, run_gameday

_RATES = {
    "transient_error_rate": [0.0, 0.1, 0.3, 0.5],
    "permanent_error_rate": [0.0, 0.05, 0.2],
    "timeout_rate": [0.0, 0.1, 0.2],
    "throttle_rate": [0.0, 0.1, 0.2],
    "late_rate": [0.0, 0.1],
    "cancel_failure_rate": [0.0, 0.5],
}

_faults = st.fixed_dictionaries(
    {k: st.sampled_from(v) for k, v in _RATES.items()},
    optional={
        "outage": st.fixed_dictionaries(
            {"after_jobs": st.integers(0, 6), "for_jobs": st.integers(1, 6)}
        )
    },
).filter(
    lambda f: (
        sum(v for k, v in f.items() if k.endswith("_rate") and k != "cancel_failure_rate") <= 1
    )
)

_backend = st.fixed_dictionaries(
    {
        "backend": st.sampled_from(["qiskit:aer", "cirq:simulator"]),
        "price": st.fixed_dictionaries(
            {
                "per_task_usd": st.sampled_from(["0", "0.1", "0.25"]),
                "per_shot_usd": st.sampled_from(["0", "0.001"]),
            }
        ),
        "faults": _faults,
    }
)

_scenario = st.fixed_dictionaries(
    {
        "jobs": st.integers(3, 10),
        "shots": st.just(10),
        "seed": st.integers(0, 1000),
        "budget_usd": st.sampled_from([None, "0.5", "1.5"]),
        "executor": st.fixed_dictionaries(
            {
                "max_attempts": st.integers(1, 4),
                "retry_budget": st.sampled_from([10, 30, 500]),
                "concurrency": st.integers(1, 3),
                "attempt_timeout": st.just(0.01),
                "deadline": st.just(0.25),
                "breaker_cooldown": st.just(0.02),
            }
        ),
        "backends": st.lists(_backend, min_size=1, max_size=3),
    }
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(_scenario)
def test_random_fault_mix_keeps_every_invariant(data):
    """Under any fault mix every job ends succeeded or failed-with-reason, once, within budget."""
    for i, b in enumerate(data["backends"]):
        b["name"] = f"b{i}"
    report = run_gameday(Scenario.model_validate(data))

    assert report.lost == 0
    assert report.succeeded + report.failed == report.jobs
    assert all(f["reason"] for f in report.failures)
    assert report.duplicate_executions == 0
    # Only a job whose cancellation could not be confirmed may be left running.
    assert report.hanging <= sum("cancellation unconfirmed" in f["reason"] for f in report.failures)
    if report.budget_usd is not None:
        assert Decimal(str(report.spent_usd)) <= Decimal(data["budget_usd"])
    assert report.resubmitted_after_permanent == 0
    rb = report.retry_budget
    # Conservation of tokens: what retries took minus refunds is what left the bucket.
    assert (
        5 * rb["granted"] + 10 * rb["granted_timeouts"] - rb["refunded"]
        == rb["capacity"] - rb["left"]
    )
    assert 0 <= rb["left"] <= rb["capacity"]
    assert report.retries == rb["granted"] + rb["granted_timeouts"]
