"""on_attempt / on_retry / on_fallback hooks on real local simulators with injected faults,
and the OpenTelemetry telemetry that is their default."""

from __future__ import annotations

import dataclasses
import itertools
import logging

import pytest

from qobserve import semconv
from qobserve.chaos import ChaosBackend, Faults
from qobserve.executor import (
    AttemptDetails,
    ClassicalTarget,
    FallbackDetails,
    ResilientExecutor,
    RetryDetails,
    RetryPolicy,
)

_RETRIES = semconv.METRICS["quantum_job_retries_total"].otel_name
_FALLBACKS = semconv.METRICS["quantum_job_fallbacks_total"].otel_name


class Recorder(list):
    """Every details object a hook got, in call order, tagged with the hook's name."""

    def hook(self, name: str):
        return lambda details: self.append((name, details))


class Sleeps(list):
    """Records requested backoff sleeps instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _throttled_then_cirq(otel=None, **kwargs) -> ResilientExecutor:
    """Aer always throttled (3 attempts, 2 retries), then Cirq answers: every hook fires."""
    return ResilientExecutor(
        [
            ChaosBackend("qiskit:aer", Faults(throttle_rate=1.0, retry_after=0.002)),
            "cirq:simulator",
        ],
        retry=RetryPolicy(max_attempts=3, initial="1ms", maximum="1ms"),
        **(otel.providers if otel is not None else {}),
        **kwargs,
    )


def test_each_hook_fires_with_its_details_in_order(bell):
    """Attempts, retries and the fallback arrive in the order they happened, with what happened."""
    seen, sleeps = Recorder(), Sleeps()
    ex = _throttled_then_cirq(
        on_attempt=seen.hook("attempt"),
        on_retry=seen.hook("retry"),
        on_fallback=seen.hook("fallback"),
        sleep=sleeps,
    )
    result = ex.run(bell, shots=20, client_id="order-7")
    assert [name for name, _ in seen] == [
        "attempt",
        "retry",
        "attempt",
        "retry",
        "attempt",
        "fallback",
        "attempt",
    ]
    attempts = [d for name, d in seen if name == "attempt"]
    retries = [d for name, d in seen if name == "retry"]
    (fallback,) = [d for name, d in seen if name == "fallback"]
    assert all(isinstance(d, AttemptDetails) for d in attempts)
    assert [d.number for d in attempts] == [1, 2, 3, 4]
    assert {d.client_id for d in attempts} == {"order-7"} and {d.shots for d in attempts} == {20}
    for d in attempts[:3]:
        assert (d.backend, d.provider, d.outcome) == ("aer_simulator", "qiskit", "error")
        assert d.error_type == "ThrottlingException" and d.error_kind == "transient"
        assert type(d.error).__name__ == "ThrottlingException" and not d.succeeded
    last = attempts[3]
    assert (last.backend, last.provider, last.outcome) == ("cirq_simulator", "cirq", "completed")
    assert last.succeeded and last.error is None and last.job_id and last.cost_usd == 0.0
    assert last.started <= last.ended and last.seconds == last.ended - last.started
    assert all(isinstance(d, RetryDetails) for d in retries)
    assert [(d.backend, d.attempt, d.error_type) for d in retries] == [
        ("aer_simulator", 1, "ThrottlingException"),
        ("aer_simulator", 2, "ThrottlingException"),
    ]
    # The delay a hook sees is the sleep that follows: Retry-After (2 ms) over the 1 ms backoff.
    assert [d.delay for d in retries] == sleeps and all(s >= 0.002 for s in sleeps)
    assert isinstance(fallback, FallbackDetails)
    assert (fallback.from_backend, fallback.to_backend) == ("aer_simulator", "cirq_simulator")
    assert fallback.reason == "ThrottlingException (3 attempts failed)" and not fallback.classical
    assert result.provenance.retries == 2 and result.provenance.fallbacks == 1


def test_details_are_frozen(bell):
    """A hook cannot change what the next hook (or the executor) sees."""
    seen = Recorder()
    ResilientExecutor(["cirq:simulator"], on_attempt=seen.hook("attempt")).run(bell, shots=5)
    (_, details) = seen[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        details.backend = "elsewhere"  # type: ignore[misc]


def test_hooks_of_one_event_run_in_order_after_the_default(bell, otel):
    """A list of hooks runs in its order, after the OpenTelemetry hook has counted the retry."""
    calls = []

    def first(d: RetryDetails) -> None:
        counted = otel.value(_RETRIES, **{"quantum.backend": "aer_simulator"})
        calls.append(("first", d.attempt, counted))

    def second(d: RetryDetails) -> None:
        calls.append(("second", d.attempt, None))

    _throttled_then_cirq(otel, on_retry=[first, second], sleep=Sleeps()).run(bell, shots=5)
    assert calls == [("first", 1, 1), ("second", 1, None), ("first", 2, 2), ("second", 2, None)]


def test_a_raising_hook_is_logged_and_never_breaks_the_job(bell, otel, caplog):
    """Every hook raises on every event: the job still succeeds, later hooks still run,
    the default telemetry still counts, and each failure is logged naming the hook."""
    later = Recorder()

    def broken(details) -> None:
        raise RuntimeError("hook bug")

    caplog.set_level(logging.ERROR, logger="qobserve.executor")
    ex = _throttled_then_cirq(
        otel,
        on_attempt=[broken, later.hook("attempt")],
        on_retry=[broken, later.hook("retry")],
        on_fallback=(broken, later.hook("fallback")),
        sleep=Sleeps(),
    )
    result = ex.run(bell, shots=30)
    assert result.provenance.backend == "cirq_simulator" and sum(result.counts.values()) == 30
    assert [name for name, _ in later].count("attempt") == 4 and len(later) == 7
    failures = [r for r in caplog.records if r.name == "qobserve.executor"]
    assert len(failures) == 7 and all("broken" in r.getMessage() for r in failures)
    assert all(r.exc_info and r.exc_info[0] is RuntimeError for r in failures)
    assert otel.value(_RETRIES, **{"quantum.backend": "aer_simulator"}) == 2


def test_default_telemetry_records_the_same_metrics_and_spans(bell, otel):
    """Retries by error type, the fallback by backend pair, one job span with a child per attempt."""
    _throttled_then_cirq(otel, sleep=Sleeps()).run(bell, shots=10)
    assert (
        otel.value(
            _RETRIES,
            **{
                "quantum.provider": "qiskit",
                "quantum.backend": "aer_simulator",
                "error.type": "ThrottlingException",
            },
        )
        == 2
    )
    assert otel.value(_FALLBACKS, from_backend="aer_simulator", to_backend="cirq_simulator") == 1
    spans = otel.spans()
    (job,) = [s for s in spans if s.name == "qobserve executor job"]
    children = [
        s for s in spans if s.parent is not None and s.parent.span_id == job.context.span_id
    ]
    assert [s.attributes["qobserve.attempt"] for s in children] == [1, 2, 3, 4]
    assert [s.name for s in children] == ["qiskit aer_simulator attempt"] * 3 + [
        "cirq cirq_simulator attempt"
    ]
    assert [s.status.is_ok for s in children] == [False, False, False, True]
    assert children[0].attributes["error.type"] == "ThrottlingException"
    assert all(a.start_time <= a.end_time <= b.start_time for a, b in itertools.pairwise(children))
    assert job.start_time <= children[0].start_time and children[-1].end_time <= job.end_time
    assert job.attributes["quantum.backend"] == "cirq_simulator"


def test_a_job_answered_at_once_has_one_span(bell, otel):
    """No fault: the job span alone carries the attempt's backend and job id."""
    result = ResilientExecutor(["qiskit:aer"], **otel.providers).run(bell, shots=10)
    (job,) = otel.spans()
    assert job.name == "qobserve executor job"
    assert job.attributes["quantum.backend"] == "aer_simulator"
    assert job.attributes["quantum.job.id"] == result.provenance.attempts[0].job_id
    assert job.attributes["quantum.circuit.qubits"] == 2


def test_default_hooks_false_leaves_only_yours(bell, otel):
    """Without the default hooks nothing is counted and no attempt span is written;
    your hooks, the job span and the breaker gauge remain."""
    seen = Recorder()
    ex = _throttled_then_cirq(
        otel, on_retry=seen.hook("retry"), default_hooks=False, sleep=Sleeps()
    )
    ex.run(bell, shots=10)
    assert [name for name, _ in seen] == ["retry", "retry"]
    assert otel.points(_RETRIES) == [] and otel.points(_FALLBACKS) == []
    assert [s.name for s in otel.spans()] == ["qobserve executor job"]
    breaker = semconv.METRICS["quantum_executor_breaker_state"].otel_name
    assert len(otel.points(breaker)) == 2


def test_fallback_to_the_classical_target_is_a_fallback_hook(bell):
    """Every QPU down: on_fallback says the classical model answers, with the quantum reasons."""
    seen = Recorder()
    ex = ResilientExecutor(
        [
            ChaosBackend("qiskit:aer", Faults(outage={"after_jobs": 0, "for_jobs": 10})),
            ClassicalTarget("classical", lambda circuit, shots: {"00": shots}),
        ],
        gates={"require_operational": False},
        retry={"max_attempts": 1},
        on_attempt=seen.hook("attempt"),
        on_fallback=seen.hook("fallback"),
    )
    result = ex.run(bell, shots=8)
    assert [name for name, _ in seen] == ["attempt", "fallback", "attempt"]
    fallback, answer = seen[1][1], seen[2][1]
    assert fallback.classical and fallback.to_backend == "classical"
    assert fallback.reason == result.provenance.classical_reason
    assert (answer.number, answer.provider, answer.outcome) == (2, "classical", "completed")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"on_retry": [print, 3]}, "on_retry[1]: expected a callable"),
        ({"on_attempt": "log"}, "on_attempt: expected a callable or a list of callables"),
    ],
)
def test_a_hook_that_is_not_callable_is_refused(kwargs, message):
    """A typo in the hooks fails at construction, naming the argument and position."""
    with pytest.raises(TypeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        ResilientExecutor(["cirq:simulator"], **kwargs)
