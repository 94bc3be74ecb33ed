"""Late jobs are never blindly resubmitted; client ids, telemetry and the asyncio API."""

from __future__ import annotations

import asyncio
import time

from qobserve.chaos import ChaosBackend, Faults, Ledger
from qobserve.executor import ExecutionResult, IdempotencyPolicy, ResilientExecutor, RetryPolicy

_FAST = RetryPolicy(max_attempts=1, initial="1ms", attempt_timeout=0.01)


def _late(ledger: Ledger, **extra) -> ChaosBackend:
    return ChaosBackend(
        "qiskit:aer", Faults(late_rate=1.0, late_latency=0.3, **extra), ledger=ledger
    )


def test_late_job_is_cancelled_before_fallback(bell):
    """A job late on the first backend is cancelled, then runs once on the second."""
    ledger = Ledger()
    ex = ResilientExecutor(
        [_late(ledger), ChaosBackend("cirq:simulator", ledger=ledger)], retry=_FAST
    )
    result = ex.run(bell, shots=10)
    assert [a.outcome for a in result.provenance.attempts] == ["cancelled", "completed"]
    time.sleep(0.31)  # past the late job's finish time: a cancelled job must not run
    assert ledger.settle() == 0
    assert ledger.executions[result.provenance.client_id] == 1


def test_late_job_with_unconfirmed_cancel_is_adopted(bell):
    """When cancellation cannot be confirmed the executor keeps polling and adopts the result."""
    ledger = Ledger()
    ex = ResilientExecutor(
        [_late(ledger, cancel_failure_rate=1.0), ChaosBackend("cirq:simulator", ledger=ledger)],
        retry=_FAST,
        deadline=1.0,
    )
    result = ex.run(bell, shots=10)
    assert result.provenance.backend == "aer_simulator"
    assert [a.outcome for a in result.provenance.attempts] == ["adopted"]
    ledger.settle()
    assert ledger.duplicates() == 0 and ledger.executions[result.provenance.client_id] == 1


def test_allowing_duplicates_does_resubmit(bell):
    """The opposite policy resubmits at once, and the ledger sees the job run twice."""
    ledger = Ledger()
    ex = ResilientExecutor(
        [_late(ledger, cancel_failure_rate=1.0), ChaosBackend("cirq:simulator", ledger=ledger)],
        retry=_FAST,
        deadline=1.0,
        idempotency=IdempotencyPolicy(allow_duplicates=True),
    )
    result = ex.run(bell, shots=10)
    assert result.provenance.backend == "cirq_simulator"
    ledger.settle()
    assert ledger.duplicates() == 1


def test_hung_job_with_unconfirmed_cancel_fails_without_resubmission(bell):
    """A hung job that cannot be cancelled fails at the deadline; no other backend gets it."""
    ledger = Ledger()
    ex = ResilientExecutor(
        [
            ChaosBackend(
                "qiskit:aer", Faults(timeout_rate=1.0, cancel_failure_rate=1.0), ledger=ledger
            ),
            ChaosBackend("cirq:simulator", ledger=ledger),
        ],
        retry=_FAST,
        deadline=0.1,
    )
    out = ex.run_many([bell], shots=10)[0]
    assert "cancellation unconfirmed, not resubmitted" in out.reason
    assert [e[0] for e in ledger.events] == ["aer_simulator"]


def test_client_id_is_stable_across_attempts_and_backends(bell):
    """Every submission of a logical job carries its one client id, also in Qiskit metadata."""
    ledger = Ledger()
    ex = ResilientExecutor(
        [
            ChaosBackend("qiskit:aer", Faults(transient_error_rate=1.0), ledger=ledger),
            ChaosBackend("cirq:simulator", ledger=ledger),
        ],
        retry=RetryPolicy(max_attempts=3, initial="1ms"),
    )
    result = ex.run(bell, shots=10, client_id="order-42")
    assert {e[1] for e in ledger.events} == {"order-42"} and len(ledger.events) == 4
    aer = ex.backends[0].inner
    job = aer.submit(aer.prepare(bell), 1, client_id="order-43").job
    assert job.circuits()[0].metadata["qobserve.client_job_id"] == "order-43"
    assert result.provenance.client_id == "order-42"


def test_job_span_has_one_child_per_attempt_and_retry_metric(bell, otel):
    """One job span, a child span per attempt, and retries counted by error type."""
    ex = ResilientExecutor(
        [
            ChaosBackend("qiskit:aer", Faults(throttle_rate=1.0, retry_after=0.001)),
            "cirq:simulator",
        ],
        retry=RetryPolicy(max_attempts=3, initial="1ms"),
        record_jobs=True,
        **otel.providers,
    )
    ex.run(bell, shots=10)
    spans = otel.spans()
    job = [s for s in spans if s.name == "qobserve executor job"]
    attempts = [
        s for s in spans if s.parent is not None and s.parent.span_id == job[0].context.span_id
    ]
    assert len(job) == 1 and len(attempts) == 4
    assert [s.attributes["qobserve.attempt"] for s in attempts] == [1, 2, 3, 4]
    assert (
        otel.value(
            "quantum.job.retries",
            **{"error.type": "ThrottlingException", "quantum.backend": "aer_simulator"},
        )
        == 2
    )
    assert otel.value("quantum.jobs", **{"quantum.job.status": "completed"}) == 1
    assert otel.value("quantum.jobs", **{"quantum.job.status": "failed"}) == 3


def _max_overlap(spans) -> int:
    edges = sorted([(s.start_time, 1) for s in spans] + [(s.end_time, -1) for s in spans])
    level = peak = 0
    for _, step in edges:
        level += step
        peak = max(peak, level)
    return peak


def test_asyncio_api_runs_many_jobs_with_a_concurrency_limit(bell, otel):
    """arun_many runs at most ``concurrency`` jobs at once; arun works inside a running loop."""
    slow = ChaosBackend("qiskit:aer", Faults(latency=0.03))
    ex = ResilientExecutor([slow], concurrency=3, **otel.providers)

    async def main():
        many = await ex.arun_many([bell] * 9, shots=10)
        one = await ex.arun(bell, shots=10)
        return many, one

    with ex:
        many, one = asyncio.run(main())
    assert len(many) == 9 and all(isinstance(r, ExecutionResult) for r in [*many, one])
    assert len({r.provenance.client_id for r in many}) == 9
    jobs = [s for s in otel.spans() if s.name == "qobserve executor job"]
    assert len(jobs) == 10 and 2 <= _max_overlap(jobs) <= 3
