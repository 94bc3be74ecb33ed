"""One job recorder shared by every SDK's instrumentation.

An instrumentor translates its SDK's job object into calls on :class:`JobRecord`:
``start`` at submission, ``event`` on each observed state change, ``finish``
at the first observed terminal state. The recorder owns the span, the state
events, the metrics and the lifecycle log lines, so every provider produces the
same names and label sets and one dashboard serves all of them.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from qobserve import semconv
from qobserve.errors import ErrorInfo, classify
from qobserve.semconv import Attr, Instrument, JobStatus

__all__ = ["JobRecord", "JobTelemetry", "job_telemetry"]

log = logging.getLogger("qobserve.jobs")

_SCOPE = "qobserve"


def _version() -> str:
    from qobserve import __version__

    return __version__


class JobTelemetry:
    """Instruments built once from :mod:`qobserve.semconv` for one provider pair."""

    def __init__(self, tracer_provider=None, meter_provider=None) -> None:
        self.tracer = trace.get_tracer(_SCOPE, _version(), tracer_provider)
        meter = metrics.get_meter(_SCOPE, _version(), meter_provider)
        self.instruments: dict[str, object] = {}
        for m in semconv.METRICS.values():
            if m.kind is Instrument.COUNTER:
                inst = meter.create_counter(m.otel_name, unit=m.unit, description=m.description)
            elif m.kind is Instrument.HISTOGRAM:
                inst = meter.create_histogram(
                    m.otel_name, unit=m.unit, description=m.description,
                    explicit_bucket_boundaries_advisory=list(m.buckets or ()))
            else:
                inst = meter.create_gauge(m.otel_name, unit=m.unit, description=m.description)
            self.instruments[m.prom_name] = inst

    def __getitem__(self, prom_name: str):
        return self.instruments[prom_name]

    def start(
        self,
        provider: str,
        backend: str,
        operation: str,
        *,
        shots: int | None = None,
        circuits: int | None = None,
        qubits: int | None = None,
        depth: int | None = None,
        job_id: str | None = None,
        start_time: float | None = None,
        attributes: dict | None = None,
    ) -> JobRecord:
        """Open the span of one submitted job and count its shots."""
        labels = {Attr.PROVIDER.value: provider, Attr.BACKEND.value: backend}
        attrs = dict(labels)
        attrs[Attr.JOB_OPERATION.value] = operation
        for key, value in ((Attr.JOB_SHOTS, shots), (Attr.CIRCUIT_COUNT, circuits),
                           (Attr.CIRCUIT_QUBITS, qubits), (Attr.CIRCUIT_DEPTH, depth),
                           (Attr.JOB_ID, job_id)):
            if value is not None:
                attrs[key.value] = value
        if attributes:
            attrs.update(attributes)
        t0 = time.time() if start_time is None else start_time
        span = self.tracer.start_span(
            f"{provider} {backend} {operation}", kind=SpanKind.CLIENT,
            attributes=attrs, start_time=int(t0 * 1e9))
        if shots:
            self["quantum_job_shots_total"].add(shots * (circuits or 1), labels)
        return JobRecord(self, span, labels, t0, job_id)

    def record_calibration(self, provider: str, backend: str, timestamp: float) -> None:
        """Export the Unix time of a backend's last calibration."""
        self["quantum_backend_calibration_timestamp_seconds"].set(
            timestamp, {Attr.PROVIDER.value: provider, Attr.BACKEND.value: backend})


@dataclass
class _Finished:
    status: JobStatus
    error: ErrorInfo | None


class JobRecord:
    """The telemetry of one job; ``finish`` is idempotent and thread-safe."""

    __slots__ = ("_t", "span", "labels", "t0", "job_id", "_lock", "finished", "_events")

    def __init__(self, t: JobTelemetry, span, labels: dict, t0: float, job_id: str | None) -> None:
        self._t = t
        self.span = span
        self.labels = labels
        self.t0 = t0
        self.job_id = job_id
        self._lock = threading.Lock()
        self.finished: _Finished | None = None
        self._events: set[str] = set()

    def set_job_id(self, job_id: str) -> None:
        self.job_id = job_id
        self.span.set_attribute(Attr.JOB_ID.value, job_id)

    def set_attribute(self, key: str, value) -> None:
        self.span.set_attribute(key, value)

    def event(self, state: str, timestamp: float | None = None) -> None:
        """Add a state-change event once per state (polls repeat states)."""
        if state in self._events or self.finished is not None:
            return
        self._events.add(state)
        self.span.add_event(state, timestamp=None if timestamp is None else int(timestamp * 1e9))

    def finish(
        self,
        status: JobStatus,
        *,
        error: BaseException | ErrorInfo | str | None = None,
        end_time: float | None = None,
        queue_seconds: float | None = None,
        execution_seconds: float | None = None,
        cost_usd: float | None = None,
    ) -> bool:
        """Record the terminal state; only the first call counts.

        Args:
            status: terminal status.
            error: the exception, its classification, or a provider error code.
            end_time: Unix time the job reached the terminal state (default now).
            queue_seconds / execution_seconds: provider-reported split, if known.
            cost_usd: actual cost, recorded on the span and the cost counter.

        Returns:
            True when this call recorded the job, False when it was already done.
        """
        with self._lock:
            if self.finished is not None:
                return False
            info = _error_info(error)
            self.finished = _Finished(status, info)
        t1 = time.time() if end_time is None else end_time
        span, labels, inst = self.span, self.labels, self._t.instruments
        error_type = info.error_type if info else ""
        if error_type:
            span.set_attribute(Attr.ERROR_TYPE.value, error_type)
        span.set_attribute(Attr.JOB_STATUS.value, status.value)
        span.add_event(status.value, timestamp=int(t1 * 1e9))
        if status is JobStatus.FAILED:
            span.set_status(Status(StatusCode.ERROR, error_type or "failed"))
        if cost_usd is not None:
            span.set_attribute(Attr.JOB_COST_USD.value, float(cost_usd))
            if cost_usd:
                inst["quantum_job_cost_usd_total"].add(float(cost_usd), labels)
        inst["quantum_jobs_total"].add(1, {**labels, Attr.JOB_STATUS.value: status.value,
                                           Attr.ERROR_TYPE.value: error_type})
        inst["quantum_job_duration_seconds"].record(
            max(t1 - self.t0, 0.0), {**labels, Attr.JOB_STATUS.value: status.value})
        if queue_seconds is not None:
            inst["quantum_job_queue_duration_seconds"].record(max(queue_seconds, 0.0), labels)
        if execution_seconds is not None:
            inst["quantum_job_execution_duration_seconds"].record(max(execution_seconds, 0.0), labels)
        ctx = span.get_span_context()
        log.info(
            "job %s %s on %s", self.job_id, status.value, labels[Attr.BACKEND.value],
            extra={"job_id": self.job_id, "backend": labels[Attr.BACKEND.value],
                   "provider": labels[Attr.PROVIDER.value], "status": status.value,
                   "error_type": error_type, "trace_id": f"{ctx.trace_id:032x}",
                   "span_id": f"{ctx.span_id:016x}"})
        span.end(end_time=int(t1 * 1e9))
        return True


def _error_info(error: BaseException | ErrorInfo | str | None) -> ErrorInfo | None:
    if error is None or isinstance(error, ErrorInfo):
        return error
    if isinstance(error, BaseException):
        return classify(error)
    from qobserve.errors import ErrorKind

    return ErrorInfo(ErrorKind.UNKNOWN, error)


_default: JobTelemetry | None = None
_default_lock = threading.Lock()


def job_telemetry(tracer_provider=None, meter_provider=None) -> JobTelemetry:
    """Instruments for the given providers; the global ones are cached."""
    global _default
    if tracer_provider is not None or meter_provider is not None:
        return JobTelemetry(tracer_provider, meter_provider)
    with _default_lock:
        if _default is None:
            _default = JobTelemetry()
        return _default
