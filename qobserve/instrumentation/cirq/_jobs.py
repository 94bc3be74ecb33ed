"""The span of one logical Cirq call, and the Engine jobs seen inside it.

A call is opened by the outermost instrumented entry point: a sampler method
(``_sampler``) or, when user code talks to a processor directly, the
processor's ``run_sweep_async``. A context variable marks the open call so
nested entry points pass through. Engine jobs (``EngineJob``, the virtual
engine's ``SimulatedLocalJob``) created inside a call attach to it; a job
created by a direct processor call is tracked until ``results()`` or an
``execution_status()`` read shows it terminal (READY → queued, RUNNING →
running, SUCCESS / FAILURE / CANCELLED finish it, FAILURE with its
``failure()`` code as ``error.type``).
"""

from __future__ import annotations

import contextvars
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from qobserve.errors import ErrorInfo, ErrorKind
from qobserve.instrumentation._cost import job_cost_usd
from qobserve.instrumentation._job import JobRecord, JobTelemetry
from qobserve.instrumentation.cirq import _workload as wl
from qobserve.instrumentation.cirq.errors import FAILURE_KINDS, classify_failure_code
from qobserve.semconv import QUANTUM_JOB_SHOTS_TOTAL, Attr, JobStatus, Provider

__all__ = ["Call", "JobWatch", "current", "finish_call", "start_call"]

_PROVIDER = Provider.CIRQ.value
_STATE_EVENTS = {"READY": "queued", "RUNNING": "running"}
_TERMINAL = ("SUCCESS", "FAILURE", "CANCELLED")


@dataclass
class Call:
    """One logical call: its record, the Engine jobs it made, and what it ran."""

    record: JobRecord
    jobs: list = field(default_factory=list)
    local: bool = True
    shots: int = 0


current: contextvars.ContextVar[Call | None] = contextvars.ContextVar(
    "qobserve_cirq_call", default=None
)


def start_call(
    telemetry: JobTelemetry, operation: str, backend: str, processor: Any, args: tuple, kwargs: dict
) -> Call:
    """Open the span of a call to ``operation`` with these arguments."""
    circuits, reps, facts, programs = wl.workload(operation, args, kwargs)
    uniform = len(set(reps)) <= 1
    record = telemetry.start(
        _PROVIDER,
        backend,
        operation.removesuffix("_async"),
        shots=reps[0] if uniform and reps else None,
        circuits=circuits,
        submitted=programs,
        **facts,
    )
    if not uniform:  # per-circuit repetitions: count their sum
        telemetry[QUANTUM_JOB_SHOTS_TOTAL].add(sum(reps), record.labels)
    record.event("queued", record.t0)
    calibrated = wl.calibration_timestamp(processor)
    if calibrated is not None:
        record.set_attribute(Attr.CALIBRATION_TIMESTAMP.value, calibrated)
        telemetry.record_calibration(_PROVIDER, backend, calibrated)
    return Call(record, local=wl.is_virtual(processor), shots=sum(reps))


def job_state(job: Any) -> tuple[str, str | None]:
    """(state name, failure code name or None) of an Engine job; ("", None) if unreadable."""
    try:
        state = job.execution_status().name
        failure = job.failure() if state == "FAILURE" else None
    except Exception:  # a status read must not turn a result into an error
        return "", None
    code = failure[0] if failure else None
    return state, (str(code) if code else None)


def _outcome(call: Call, exc: BaseException | None) -> tuple[JobStatus, Any]:
    error: BaseException | ErrorInfo | None
    status, error = JobStatus.COMPLETED, exc
    for job in call.jobs:
        state, failure = job_state(job)
        if state == "CANCELLED":
            status, error = JobStatus.CANCELLED, None
        elif state == "FAILURE":
            status = JobStatus.FAILED
            # An Engine code says more than the RuntimeError wrapping it; the
            # virtual engine's '500' says less than the exception it re-raises.
            if failure and (failure in FAILURE_KINDS or error is None):
                error = classify_failure_code(failure)
    if exc is not None and status is JobStatus.COMPLETED:
        status = JobStatus.FAILED
    if status is JobStatus.FAILED and error is None:
        error = ErrorInfo(ErrorKind.UNKNOWN, "FAILURE")
    return status, error


def finish_call(call: Call, exc: BaseException | None, result: Any = None) -> None:
    """Finish the call's span from its jobs' terminal states and the exception, if any
    (``result``: what the call returned, for job listeners)."""
    record = call.record
    status, error = _outcome(call, exc)
    now = time.time()
    record.event("running", record.t0)
    backend = record.labels[Attr.BACKEND.value]
    # A virtual engine reports the real processor's name, which the price table may
    # leave unpriced (a warning); it runs here and costs nothing.
    cost = (
        0.0
        if call.local
        else job_cost_usd(_PROVIDER, backend, call.shots, max(len(call.jobs), 1), status)
    )
    # Neither simulators nor the Engine API report a queue time: none is recorded,
    # and the execution time is known only where the job ran in this process.
    record.finish(
        status,
        error=error,
        end_time=now,
        cost_usd=cost,
        execution_seconds=now - record.t0 if call.local else None,
        result=result,
    )


def _attach(call: Call, job: Any) -> None:
    call.jobs.append(job)
    job_id = str(job.id())
    call.record.set_job_id(job_id if len(call.jobs) == 1 else f"{call.record.job_id},{job_id}")
    state, _ = job_state(job)
    if state in _STATE_EVENTS:
        call.record.event(_STATE_EVENTS[state])


class JobWatch:
    """Wrappers for processors and Engine jobs; tracks jobs of direct processor calls."""

    def __init__(self, telemetry: JobTelemetry) -> None:
        self._telemetry = telemetry
        self._open: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def wrap_processor_run(self, wrapped, instance, args, kwargs):
        """``processor.run_sweep_async``: attach the job to the open call, or open one."""

        async def run_async():
            call = current.get()
            own = call is None and is_instrumentation_enabled()
            if own:
                call = start_call(
                    self._telemetry,
                    "run_sweep",
                    str(getattr(instance, "processor_id", "engine")),
                    instance,
                    args,
                    kwargs,
                )
            try:
                job = await wrapped(*args, **kwargs)
            except BaseException as exc:
                if own and call is not None:
                    finish_call(call, exc)
                raise
            if call is not None:
                _attach(call, job)
            if own:
                with self._lock:
                    self._open[job] = call
            return job

        return run_async()

    def _settle(self, job: Any, exc: BaseException | None) -> None:
        with self._lock:
            call = self._open.pop(job, None)
        if call is not None:
            finish_call(call, exc)

    def wrap_results(self, wrapped, instance, args, kwargs):
        """``job.results_async`` / ``batched_results_async``: the job is done when they return."""

        async def run_async():
            with self._lock:
                call = self._open.get(instance)
            # The virtual engine simulates inside results(): its sampler call is this job.
            token = current.set(call) if call is not None else None
            try:
                result = await wrapped(*args, **kwargs)
            except BaseException as exc:
                self._settle(instance, exc)
                raise
            finally:
                if token is not None:
                    current.reset(token)
            self._settle(instance, None)
            return result

        return run_async()

    def wrap_status(self, wrapped, instance, args, kwargs):
        """``job.execution_status``: state events, and finish at a terminal state."""
        state = wrapped(*args, **kwargs)
        with self._lock:
            call = self._open.get(instance)
        if call is not None:
            name = getattr(state, "name", str(state))
            if name in _STATE_EVENTS:
                call.record.event(_STATE_EVENTS[name])
            elif name in _TERMINAL:
                self._settle(instance, None)
        return state
