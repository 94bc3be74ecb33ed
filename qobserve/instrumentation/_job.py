"""One job recorder shared by every SDK's instrumentation.

An instrumentor translates its SDK's job object into calls on :class:`JobRecord`:
``start`` at submission, ``event`` on each observed state change, ``finish``
at the first observed terminal state. The recorder owns the span, the state
events, the metrics and the lifecycle log lines, so every provider produces the
same names and label sets and one dashboard serves all of them.

A job whose terminal state nobody observes (a cloud job whose result is never
fetched) would keep its span open forever. Open records are kept in a bounded
registry: past ``max_job_lifetime`` seconds (``QOBSERVE_JOB_MAX_LIFETIME``,
default 7 days), or when more than ``max_open_jobs`` (``QOBSERVE_MAX_OPEN_JOBS``,
default 10,000) are open, the oldest span is ended with ``quantum.job.status =
unobserved`` and an ``unobserved`` event, and no job metric is counted for it;
if its end is observed later, the metrics still count it. Expiry is checked
whenever a job starts and at every metric collection.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.trace import SpanKind, Status, StatusCode

from qobserve import semconv
from qobserve.errors import ErrorInfo, classify
from qobserve.instrumentation._hooks import (
    Hooks,
    JobRequest,
    JobResponse,
    RequestHook,
    ResponseHook,
)
from qobserve.semconv import (
    QUANTUM_BACKEND_CALIBRATION_TIMESTAMP_SECONDS,
    QUANTUM_BUDGET_LIMIT_USD,
    QUANTUM_BUDGET_SPENT_USD,
    QUANTUM_JOB_COST_USD_TOTAL,
    QUANTUM_JOB_DURATION_SECONDS,
    QUANTUM_JOB_EXECUTION_DURATION_SECONDS,
    QUANTUM_JOB_QUEUE_DURATION_SECONDS,
    QUANTUM_JOB_SHOTS_TOTAL,
    QUANTUM_JOBS_TOTAL,
    Attr,
    Instrument,
    JobStatus,
)

if TYPE_CHECKING:
    from qobserve.fidelity import FidelityRecorder

__all__ = [
    "DEFAULT_MAX_JOB_LIFETIME",
    "DEFAULT_MAX_OPEN_JOBS",
    "JobRecord",
    "JobTelemetry",
    "add_job_listener",
    "job_telemetry",
    "remove_job_listener",
]

#: Seconds a job span may stay open without an observed terminal state.
DEFAULT_MAX_JOB_LIFETIME = 7 * 86400.0
#: Open job spans kept at most; beyond it the oldest end as unobserved.
DEFAULT_MAX_OPEN_JOBS = 10_000

log = logging.getLogger("qobserve.jobs")

_SCOPE = "qobserve"

# Attribute keys as plain strings: Enum member .value lookups on every job add up.
_PROVIDER, _BACKEND, _OPERATION = Attr.PROVIDER.value, Attr.BACKEND.value, Attr.JOB_OPERATION.value
_SHOTS, _CIRCUITS, _QUBITS = (
    Attr.JOB_SHOTS.value,
    Attr.CIRCUIT_COUNT.value,
    Attr.CIRCUIT_QUBITS.value,
)
_DEPTH, _JOB_ID, _STATUS = Attr.CIRCUIT_DEPTH.value, Attr.JOB_ID.value, Attr.JOB_STATUS.value
_ERROR_TYPE, _COST = Attr.ERROR_TYPE.value, Attr.JOB_COST_USD.value
_MAX_LIFETIME = Attr.JOB_MAX_LIFETIME.value
#: Entries kept at most in each per-backend cache (label sets are bounded anyway).
_MAX_CACHED = 4096


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    from qobserve._validation import parse_duration

    value: float | str
    try:
        value = float(raw)
    except ValueError:
        value = raw  # a duration such as 7d or 12h
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


class _OpenJobs:
    """Job records not yet finished, oldest first, bounded in age and number."""

    def __init__(self, max_lifetime: float, max_open: int) -> None:
        self.max_lifetime = max_lifetime
        self.max_open = max_open
        self._records: OrderedDict[int, JobRecord] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._records)

    def add(self, record: JobRecord) -> None:
        records = self._records
        with self._lock:
            records[id(record)] = record
            oldest = next(iter(records.values()))
            overdue = len(records) > self.max_open or record.t0 - oldest.t0 > self.max_lifetime
        if overdue:  # checked under the same lock: the common case takes it once
            self.expire()

    def remove(self, record: JobRecord) -> None:
        with self._lock:
            self._records.pop(id(record), None)

    def expire(self, now: float | None = None) -> int:
        """End the spans of records too old or too many; returns how many."""
        now = time.time() if now is None else now
        expired = []
        with self._lock:
            while self._records:
                key, record = next(iter(self._records.items()))
                if now - record.t0 <= self.max_lifetime and len(self._records) <= self.max_open:
                    break
                del self._records[key]
                expired.append(record)
        for record in expired:
            record._expire(self.max_lifetime)
        return len(expired)


#: ``fn(record, status, result)`` callables told of every finished job (see add_job_listener).
_listeners: list = []


def add_job_listener(fn) -> None:
    """Call ``fn(record, status, result)`` after each job's span ends, in the finishing thread.

    ``result`` is the SDK's result object where the instrumentation has it
    (Qiskit local jobs), else None. ``fn`` must be quick; an exception only logs.
    """
    _listeners.append(fn)


def remove_job_listener(fn) -> None:
    """Stop calling ``fn``; a listener not added is ignored."""
    try:
        _listeners.remove(fn)
    except ValueError:
        pass


def _version() -> str:
    from qobserve import __version__

    return __version__


#: Gauges read at collection time from the budgets' stores (observable gauges),
#: so a new budget period shows its own spend without any job running.
_BUDGET_LIMIT, _BUDGET_SPENT = QUANTUM_BUDGET_LIMIT_USD, QUANTUM_BUDGET_SPENT_USD


class JobTelemetry:
    """Instruments built once from :mod:`qobserve.semconv` for one provider pair."""

    def __init__(
        self,
        tracer_provider=None,
        meter_provider=None,
        *,
        max_job_lifetime: float | None = None,
        max_open_jobs: int | None = None,
    ) -> None:
        self.tracer = trace.get_tracer(_SCOPE, _version(), tracer_provider)
        self.open_jobs = _OpenJobs(
            max_job_lifetime
            if max_job_lifetime is not None
            else _env_number("QOBSERVE_JOB_MAX_LIFETIME", DEFAULT_MAX_JOB_LIFETIME),
            max_open_jobs
            if max_open_jobs is not None
            else int(_env_number("QOBSERVE_MAX_OPEN_JOBS", DEFAULT_MAX_OPEN_JOBS)),
        )
        #: The instrumentor's user hooks (see :meth:`with_hooks`), None without any.
        self.hooks: Hooks | None = None
        # Per-job dictionaries built once per backend / outcome, not on every job.
        self._backends: dict[tuple, tuple[str, dict, dict]] = {}
        self._outcomes: dict[tuple, tuple[dict, dict]] = {}
        meter = metrics.get_meter(_SCOPE, _version(), meter_provider)
        # Counters, histograms and gauges: the per-job ones are used by name below.
        self.instruments: dict[str, Any] = {}
        self._budgets: dict[str, weakref.ref] = {}
        self._budgets_lock = threading.Lock()
        for m in semconv.METRICS.values():
            inst: Any
            if m.prom_name in (_BUDGET_LIMIT, _BUDGET_SPENT):
                inst = meter.create_observable_gauge(
                    m.otel_name,
                    callbacks=[self._budget_callback(m.prom_name)],
                    unit=m.unit,
                    description=m.description,
                )
            elif m.kind is Instrument.COUNTER:
                inst = meter.create_counter(m.otel_name, unit=m.unit, description=m.description)
            elif m.kind is Instrument.HISTOGRAM:
                inst = meter.create_histogram(
                    m.otel_name,
                    unit=m.unit,
                    description=m.description,
                    explicit_bucket_boundaries_advisory=list(m.buckets or ()),
                )
            else:
                inst = meter.create_gauge(m.otel_name, unit=m.unit, description=m.description)
            self.instruments[m.prom_name] = inst
        # The per-job instruments, bound once: finish() runs on every job.
        self._shots = self.instruments[QUANTUM_JOB_SHOTS_TOTAL]
        self._jobs = self.instruments[QUANTUM_JOBS_TOTAL]
        self._cost = self.instruments[QUANTUM_JOB_COST_USD_TOTAL]
        self._duration = self.instruments[QUANTUM_JOB_DURATION_SECONDS]
        self._queue = self.instruments[QUANTUM_JOB_QUEUE_DURATION_SECONDS]
        self._execution = self.instruments[QUANTUM_JOB_EXECUTION_DURATION_SECONDS]

    def __getitem__(self, prom_name: str):
        return self.instruments[prom_name]

    def with_hooks(
        self, request_hook: RequestHook | None = None, response_hook: ResponseHook | None = None
    ) -> JobTelemetry:
        """This telemetry calling an instrumentor's hooks on each job (self when there are none).

        The copy shares the instruments and the open-job registry, so hooks of
        one instrumentor never run for another's jobs.

        Raises:
            TypeError: a hook that is not callable.
        """
        if request_hook is None and response_hook is None:
            return self
        hooked = copy.copy(self)
        hooked.hooks = Hooks(request_hook, response_hook)
        return hooked

    def watch_budget(self, budget) -> None:
        """Export ``budget``'s limit and current-period spend at every collection
        (the latest Budget of a name wins; a garbage-collected one disappears)."""
        with self._budgets_lock:
            self._budgets[budget.name] = weakref.ref(budget)

    def _budget_callback(self, prom_name: str):
        def observe(options: CallbackOptions):
            if prom_name == _BUDGET_LIMIT:  # once per collection: end overdue job spans
                self.open_jobs.expire()
            with self._budgets_lock:
                budgets = [(name, ref()) for name, ref in self._budgets.items()]
            for name, budget in budgets:
                if budget is None:
                    continue
                try:
                    value = budget.limit_usd if prom_name == _BUDGET_LIMIT else budget.spent()
                except Exception as exc:  # a store outage must not break the whole scrape
                    log.warning(
                        "budget %r: cannot read spend for %s (%s)",
                        name,
                        prom_name,
                        type(exc).__name__,
                    )
                    continue
                yield Observation(float(value), {Attr.BUDGET.value: name})

        return observe

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
        submitted: Sequence = (),
    ) -> JobRecord:
        """Open the span of one submitted job and count its shots.

        ``submitted``: the SDK circuit objects, for the request hook only.
        """
        try:
            name, labels, base = self._backends[provider, backend, operation]
        except KeyError:
            name, labels, base = self._backend(provider, backend, operation)
        attrs = base.copy()
        if shots is not None:
            attrs[_SHOTS] = shots
        if circuits is not None:
            attrs[_CIRCUITS] = circuits
        if qubits is not None:
            attrs[_QUBITS] = qubits
        if depth is not None:
            attrs[_DEPTH] = depth
        if job_id is not None:
            attrs[_JOB_ID] = job_id
        if attributes:
            attrs.update(attributes)
        t0 = time.time() if start_time is None else start_time
        span = self.tracer.start_span(
            name,
            kind=SpanKind.CLIENT,
            attributes=attrs,
            start_time=int(t0 * 1e9),
        )
        if shots:
            self._shots.add(shots * (circuits or 1), labels)
        hooks = self.hooks
        if hooks is not None:
            hooks.on_request(span, JobRequest(provider, backend, operation, shots, submitted))
        record = JobRecord(self, span, labels, t0, job_id)
        self.open_jobs.add(record)
        return record

    def _backend(self, provider: str, backend: str, operation: str) -> tuple[str, dict, dict]:
        """Span name, metric labels and base span attributes, built once per backend and operation."""
        labels = {_PROVIDER: provider, _BACKEND: backend}
        entry = (
            f"{provider} {backend} {operation}",
            labels,
            {**labels, _OPERATION: operation},
        )
        if len(self._backends) >= _MAX_CACHED:
            self._backends.clear()
        self._backends[provider, backend, operation] = entry
        return entry

    def outcome_labels(self, labels: dict, status: str, error_type: str) -> tuple[dict, dict]:
        """Labels of the job counter and of the duration histogram for one outcome, built once."""
        key = (labels[_PROVIDER], labels[_BACKEND], status, error_type)
        try:
            return self._outcomes[key]
        except KeyError:
            pass
        done = {**labels, _STATUS: status}
        entry = ({**done, _ERROR_TYPE: error_type}, done)
        if len(self._outcomes) >= _MAX_CACHED:
            self._outcomes.clear()
        self._outcomes[key] = entry
        return entry

    def record_calibration(self, provider: str, backend: str, timestamp: float) -> None:
        """Export the Unix time of a backend's last calibration."""
        self[QUANTUM_BACKEND_CALIBRATION_TIMESTAMP_SECONDS].set(
            timestamp, {Attr.PROVIDER.value: provider, Attr.BACKEND.value: backend}
        )


@dataclass
class _Finished:
    status: JobStatus
    error: ErrorInfo | None


class JobRecord:
    """The telemetry of one job; ``finish`` is idempotent and thread-safe."""

    __slots__ = ("_events", "_lock", "_t", "expired", "finished", "job_id", "labels", "span", "t0")

    def __init__(self, t: JobTelemetry, span, labels: dict, t0: float, job_id: str | None) -> None:
        self._t = t
        self.span = span
        self.labels = labels
        self.t0 = t0
        self.job_id = job_id
        self._lock = threading.Lock()
        self.finished: _Finished | None = None
        self._events: set[str] | None = None  # states seen; most local jobs see none
        self.expired = False

    def _expire(self, max_lifetime: float) -> None:
        """End the span as unobserved (no metrics: the job's end is unknown)."""
        with self._lock:
            if self.finished is not None or self.expired:
                return
            self.expired = True
        ending = {_STATUS: semconv.JOB_UNOBSERVED, _MAX_LIFETIME: float(max_lifetime)}
        if self.job_id is not None:
            ending[_JOB_ID] = self.job_id
        self.span.set_attributes(ending)
        self.span.add_event(semconv.SpanEvent.UNOBSERVED.value)
        self.span.end()

    def set_job_id(self, job_id: str) -> None:
        """Name the job; the id goes on the span with the other end-of-job
        attributes (one span call instead of two: spans are exported when they end)."""
        self.job_id = job_id

    def set_attribute(self, key: str, value) -> None:
        self.span.set_attribute(key, value)

    def event(self, state: str, timestamp: float | None = None) -> None:
        """Add a state-change event once per state (polls repeat states)."""
        if self.finished is not None:
            return
        if self._events is None:
            self._events = {state}
        elif state in self._events:
            return
        else:
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
        result=None,
    ) -> bool:
        """Record the terminal state; only the first call counts.

        Args:
            status: terminal status.
            error: the exception, its classification, or a provider error code.
            end_time: Unix time the job reached the terminal state (default now).
            queue_seconds / execution_seconds: provider-reported split, if known.
            cost_usd: actual cost, recorded on the span and the cost counter.
            result: the SDK's result object, passed on to the response hook and job listeners.

        Returns:
            True when this call recorded the job, False when it was already done.
        """
        with self._lock:
            if self.finished is not None:
                return False
            info = None if error is None else _error_info(error)
            self.finished = _Finished(status, info)
            expired = self.expired
        if not expired:
            self._t.open_jobs.remove(self)
        t1 = time.time() if end_time is None else end_time
        span, labels, t = self.span, self.labels, self._t
        status_value = status._value_  # the plain str: Enum.value is a descriptor call per job
        error_type = info.error_type if info else ""
        end_ns = int(t1 * 1e9)
        if not expired:  # an expired span has ended: only the metrics still count
            ending: dict = {_STATUS: status_value}  # one call, one lock on the span
            if self.job_id is not None:
                ending[_JOB_ID] = self.job_id
            if error_type:
                ending[_ERROR_TYPE] = error_type
            if cost_usd is not None:
                ending[_COST] = float(cost_usd)
            span.set_attributes(ending)
            span.add_event(status_value, timestamp=end_ns)
            if status is JobStatus.FAILED:
                span.set_status(Status(StatusCode.ERROR, error_type or "failed"))
        if cost_usd:
            t._cost.add(float(cost_usd), labels)
        counted, done = t.outcome_labels(labels, status_value, error_type)
        t._jobs.add(1, counted)
        t._duration.record(max(t1 - self.t0, 0.0), done)
        if queue_seconds is not None:
            t._queue.record(max(queue_seconds, 0.0), labels)
        if execution_seconds is not None:
            t._execution.record(max(execution_seconds, 0.0), labels)
        if log.isEnabledFor(logging.INFO):  # formatting ids costs more than the check
            ctx = span.get_span_context()
            backend = labels[_BACKEND]
            log.info(
                "job %s %s on %s",
                self.job_id,
                status_value,
                backend,
                extra={
                    "job_id": self.job_id,
                    "backend": backend,
                    "provider": labels[_PROVIDER],
                    "status": status_value,
                    "error_type": error_type,
                    "trace_id": f"{ctx.trace_id:032x}",
                    "span_id": f"{ctx.span_id:016x}",
                },
            )
        hooks = t.hooks
        if hooks is not None:
            hooks.on_response(
                span,
                JobResponse(
                    labels[_PROVIDER],
                    labels[_BACKEND],
                    self.job_id,
                    status_value,
                    error_type,
                    result,
                ),
            )
        if not expired:
            span.end(end_time=end_ns)
        for listener in tuple(_listeners):
            try:
                listener(self, status, result)
            except Exception:  # a listener must never break the job's caller
                log.debug("qobserve: job listener %r failed", listener, exc_info=True)
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


def instrumentor_setup(options: dict[str, Any]) -> tuple[JobTelemetry, FidelityRecorder]:
    """What every instrumentor's ``_instrument(**options)`` builds first: the job
    telemetry with the user's hooks, and the output-fidelity recorder."""
    from qobserve.fidelity import FidelityRecorder

    telemetry = job_telemetry(
        options.get("tracer_provider"), options.get("meter_provider")
    ).with_hooks(options.get("request_hook"), options.get("response_hook"))
    fidelity = FidelityRecorder(
        telemetry,
        rate=options.get("output_fidelity"),
        max_qubits=options.get("output_fidelity_max_qubits"),
    )
    return telemetry, fidelity
