"""The executor's OpenTelemetry telemetry: the job span, the breaker gauge, and the
default hooks (attempt spans, ``quantum_job_retries_total``,
``quantum_job_fallbacks_total``, the classical-fallback event).

Attempt spans are written when an attempt has ended, from its details, with
its real start and end times, as children of the job span. A job whose only
attempt succeeded gets no child: the job span carries the answering attempt's
backend, job id and cost anyway (the executor sets them): a second span on every
healthy job would take most of the executor's overhead budget
(``benchmarks/executor_overhead.py``). With ``record_jobs`` each attempt is
already a live job record, so no attempt span is added.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

from qobserve.executor._convert import qubit_count
from qobserve.executor._hooks import AttemptDetails, FallbackDetails, RetryDetails
from qobserve.instrumentation._job import JobTelemetry, job_telemetry
from qobserve.semconv import (
    QUANTUM_EXECUTOR_BREAKER_STATE,
    QUANTUM_JOB_FALLBACKS_TOTAL,
    QUANTUM_JOB_RETRIES_TOTAL,
    Attr,
    SpanEvent,
)

__all__ = ["JOB_SPAN", "ExecutorTelemetry"]

#: Name of the span of one logical job.
JOB_SPAN = "qobserve executor job"

# Attribute keys as plain strings: the per-job path avoids enum lookups.
_PROVIDER, _BACKEND = Attr.PROVIDER.value, Attr.BACKEND.value
_CLIENT_ID, _ATTEMPT, _SHOTS = Attr.CLIENT_JOB_ID.value, Attr.ATTEMPT.value, Attr.JOB_SHOTS.value
_JOB_ID, _COST, _ERROR_TYPE = Attr.JOB_ID.value, Attr.JOB_COST_USD.value, Attr.ERROR_TYPE.value
_QUBITS, _WHY = Attr.CIRCUIT_QUBITS.value, Attr.FALLBACK_REASON.value
_FROM, _TO = Attr.FROM_BACKEND.value, Attr.TO_BACKEND.value
_CLASSICAL = SpanEvent.CLASSICAL_FALLBACK.value


def _ns(unix_seconds: float) -> int:
    return int(unix_seconds * 1e9)


class ExecutorTelemetry:
    """OpenTelemetry for one executor; its ``on_*`` methods are the default hooks.

    Label dictionaries are built once per backend (or backend pair) and reused:
    the OTel SDK only reads them.
    """

    def __init__(self, tracer_provider=None, meter_provider=None, *, record_jobs: bool) -> None:
        self.jobs: JobTelemetry = job_telemetry(tracer_provider, meter_provider)
        self.tracer = self.jobs.tracer
        self.record_jobs = record_jobs
        self._retries = self.jobs[QUANTUM_JOB_RETRIES_TOTAL]
        self._fallbacks = self.jobs[QUANTUM_JOB_FALLBACKS_TOTAL]
        self._breaker = self.jobs[QUANTUM_EXECUTOR_BREAKER_STATE]
        self._labels: dict[tuple[str, str], dict[str, str]] = {}
        self._pairs: dict[tuple[str, str], dict[str, str]] = {}

    def labels(self, provider: str, backend: str) -> dict[str, str]:
        """``{quantum.provider, quantum.backend}`` for one backend, built once."""
        key = (provider, backend)
        found = self._labels.get(key)
        if found is None:
            found = self._labels[key] = {_PROVIDER: provider, _BACKEND: backend}
        return found

    def breaker_gauge(self, provider: str, backend: str):
        """A ``Breaker`` ``on_change`` callback exporting the state; sets it closed now."""
        labels, gauge = self.labels(provider, backend), self._breaker
        gauge.set(0, labels)
        return lambda state: gauge.set(int(state), labels)

    def start_job(self, client_id: str, shots: int, circuit: Any) -> Span:
        """The span of one logical job (not yet current; non-recording without an SDK).

        Every attribute known at the start goes in at once: each later
        ``set_attribute`` takes the span's lock again."""
        attrs: dict[str, Any] = {_CLIENT_ID: client_id, _SHOTS: shots}
        qubits = qubit_count(circuit)
        if qubits is not None:
            attrs[_QUBITS] = qubits
        return self.tracer.start_span(JOB_SPAN, attributes=attrs)

    # -- the default hooks ------------------------------------------------------------

    def on_attempt(self, d: AttemptDetails) -> None:
        """An attempt span, unless it was the job's only attempt (the job span says it all)."""
        if (d.number == 1 and d.error is None) or self.record_jobs:
            return
        if not trace.get_current_span().is_recording():
            return
        attrs: dict[str, Any] = {
            **self.labels(d.provider, d.backend),
            _CLIENT_ID: d.client_id,
            _ATTEMPT: d.number,
            _SHOTS: d.shots,
        }
        if d.job_id is not None:
            attrs[_JOB_ID] = d.job_id
        if d.cost_usd is not None:
            attrs[_COST] = d.cost_usd
        if d.error_type is not None:
            attrs[_ERROR_TYPE] = d.error_type
        span = self.tracer.start_span(
            f"{d.provider} {d.backend} attempt", attributes=attrs, start_time=_ns(d.started)
        )
        if d.error is not None:
            why = d.error_type or "error"
            if d.outcome not in ("error", ""):
                why = f"{why} ({d.outcome})"
            span.set_status(Status(StatusCode.ERROR, why))
        span.end(end_time=_ns(d.ended))

    def on_retry(self, d: RetryDetails) -> None:
        """``quantum_job_retries_total{provider, backend, error_type}`` += 1."""
        self._retries.add(1, {**self.labels(d.provider, d.backend), _ERROR_TYPE: d.error_type})

    def on_fallback(self, d: FallbackDetails) -> None:
        """``quantum_job_fallbacks_total{from_backend, to_backend}`` += 1; a move to the
        classical target is also an event and an attribute of the job span."""
        key = (d.from_backend, d.to_backend)
        labels = self._pairs.get(key)
        if labels is None:
            labels = self._pairs[key] = {_FROM: d.from_backend, _TO: d.to_backend}
        self._fallbacks.add(1, labels)
        if d.classical:
            job = trace.get_current_span()
            job.add_event(_CLASSICAL, {_BACKEND: d.to_backend, _WHY: d.reason})
            job.set_attribute(_WHY, d.reason)
