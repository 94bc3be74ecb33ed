"""Observation choke points: state events, and the job's end at its first terminal state.

``RuntimeJobV2.status`` (which ``result()`` and ``wait_for_final_state()`` poll)
and ``cancel``; ``PrimitiveJob``/``AerJob`` ``status`` and ``result``. Jobs
without a ``_qobserve`` tag pass through after one dict lookup.
"""

from __future__ import annotations

import time
from concurrent.futures import CancelledError
from datetime import datetime
from typing import Any

from qobserve.errors import ErrorInfo, ErrorKind
from qobserve.instrumentation._cost import job_cost_usd
from qobserve.instrumentation._job import JobRecord
from qobserve.instrumentation.qiskit._counts import counts_of
from qobserve.instrumentation.qiskit._state import QISKIT, State, Tracked, log
from qobserve.instrumentation.qiskit.errors import reason_code_info
from qobserve.semconv import JobStatus

__all__ = ["cancel_cloud", "observe_cloud", "observe_local"]

_CLOUD_EVENTS = {
    "INITIALIZING": "queued",
    "QUEUED": "queued",
    "VALIDATING": "queued",
    "RUNNING": "running",
}
_CLOUD_TERMINAL = {
    "DONE": JobStatus.COMPLETED,
    "ERROR": JobStatus.FAILED,
    "CANCELLED": JobStatus.CANCELLED,
}
_UNSUCCESSFUL = ErrorInfo(ErrorKind.PERMANENT, "unsuccessful_result")


def _settle_local(state: State, job: Any, tracked: Tracked, observed: Any) -> None:
    """Local (future-backed) job seen by ``status()`` or a raising ``result()``:
    a state event while it runs, its end once the future is done."""
    future = getattr(job, "_future", None)
    record = tracked.record
    if future is None or not future.done():
        name = getattr(observed, "name", None)
        if name == "RUNNING":
            record.event("running")
        elif name in ("INITIALIZING", "QUEUED", "VALIDATING"):
            record.event("queued")
        return
    try:
        error = future.exception(0)
    except CancelledError:
        _finish_local(state, tracked, JobStatus.CANCELLED, None, None)
        return
    if error is not None:
        _finish_local(state, tracked, JobStatus.FAILED, error, None)
    else:
        result = future.result(0)
        _finish_local(state, tracked, *_outcome(result), result)


def _outcome(result: Any) -> tuple[JobStatus, ErrorInfo | None]:
    if getattr(result, "success", True) is False:  # Aer: failure in the result
        return JobStatus.FAILED, _UNSUCCESSFUL
    return JobStatus.COMPLETED, None


def _finish_local(
    state: State, tracked: Tracked, status: JobStatus, error: Any, result: Any
) -> None:
    record = tracked.record
    end = time.time()
    # Local jobs have no queue and report identical timestamps: the whole
    # client-side duration is execution.
    record.finish(
        status,
        error=error,
        end_time=end,
        execution_seconds=max(end - record.t0, 0.0),
        cost_usd=job_cost_usd(QISKIT, tracked.backend, tracked.shots or 0, 1, status),
        result=result,
    )
    if status is JobStatus.COMPLETED and _sampled(tracked):
        _queue_fidelity(state, tracked, lambda: result)


def _sampled(tracked: Tracked) -> bool:
    return tracked.fidelity is not None or tracked.expectations is not None


def _queue_fidelity(state: State, tracked: Tracked, result) -> None:
    """Hand a completed sampled job to the output-fidelity worker (never blocks)."""
    if tracked.fidelity is not None:
        circuits, tracked.fidelity = tracked.fidelity, None
        n = len(circuits)
        state.fidelity.submit(
            QISKIT, tracked.backend, tracked.record, circuits, lambda: counts_of(result(), n)
        )
    elif tracked.expectations is not None:
        pubs, tracked.expectations = tracked.expectations, None
        state.fidelity.submit_expectations(
            QISKIT, tracked.backend, tracked.record, pubs, lambda: [r.data.evs for r in result()]
        )


def observe_local(state: State, *, result: bool = False):
    """Wrapper for ``status`` (``result=False``) or ``result`` of ``PrimitiveJob`` and ``AerJob``.

    What ``result()`` returns is the job's result: the job ends from it without
    asking the future again.
    """

    def wrapper(wrapped, instance, args, kwargs):
        tracked = instance.__dict__.get("_qobserve")
        if tracked is None or tracked.record.finished is not None:
            return wrapped(*args, **kwargs)
        try:
            out = wrapped(*args, **kwargs)
        except BaseException:
            _safely(_settle_local, state, instance, tracked, None)
            raise
        try:
            if result:
                _finish_local(state, tracked, *_outcome(out), out)
            else:
                _settle_local(state, instance, tracked, out)
        except Exception:  # telemetry must never change what the user's call returns
            log.debug("qobserve: recording a Qiskit job failed", exc_info=True)
        return out

    return wrapper


def _safely(fn, *args) -> None:
    try:
        fn(*args)
    except Exception:  # telemetry must never change what the user's call returns
        log.debug("qobserve: recording a Qiskit job failed", exc_info=True)


def _timestamp(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _split(metrics: dict, record: JobRecord, end: float) -> tuple[float | None, float | None]:
    """Queue and execution seconds from the service's ``created/running/finished`` stamps."""
    stamps = metrics.get("timestamps") or {}
    created, running, finished = (
        _timestamp(stamps.get(k)) for k in ("created", "running", "finished")
    )
    if running is not None and record.t0 <= running <= end:  # a skewed clock would misplace it
        record.event("running", running)  # no-op if a poll already saw it
    if created is None or running is None or finished is None or created == finished:
        return None, None
    return running - created, finished - running


def _billed_seconds(metrics: dict) -> float | None:
    usage = metrics.get("usage") or {}
    for key in ("qpu_charge_time_seconds", "quantum_seconds", "seconds"):
        if usage.get(key) is not None:
            return float(usage[key])
    return None


def _settle_cloud(state: State, job: Any, tracked: Tracked, raw: str) -> None:
    """RuntimeJobV2 reached ``raw`` (DONE/ERROR/CANCELLED): finish with the service's metrics."""
    status = _CLOUD_TERMINAL[raw]
    record = tracked.record
    end = time.time()
    try:
        metrics = job.metrics() or {}
    except Exception:  # metrics are a bonus; the terminal state is what counts
        metrics = {}
    queue, execution = _split(metrics, record, end)
    error = (
        reason_code_info(getattr(job, "_reason_code", None)) if status is JobStatus.FAILED else None
    )
    record.finish(
        status,
        error=error,
        end_time=end,
        queue_seconds=queue,
        execution_seconds=execution,
        cost_usd=job_cost_usd(
            QISKIT, tracked.backend, tracked.shots or 0, 1, status, _billed_seconds(metrics)
        ),
    )
    if status is JobStatus.COMPLETED and _sampled(tracked):
        _queue_fidelity(state, tracked, job.result)  # fetched by the worker, off the user's call


def _on_cloud_status(state: State, job: Any, tracked: Tracked, out: Any) -> None:
    raw = str(getattr(out, "name", out)).upper()
    if raw in _CLOUD_TERMINAL:
        _settle_cloud(state, job, tracked, raw)
    elif (event := _CLOUD_EVENTS.get(raw)) is not None:
        tracked.record.event(event)


def observe_cloud(state: State):
    """Wrapper for ``RuntimeJobV2.status`` (result() and wait_for_final_state() poll it)."""

    def wrapper(wrapped, instance, args, kwargs):
        tracked = instance.__dict__.get("_qobserve")
        out = wrapped(*args, **kwargs)
        if tracked is not None and tracked.record.finished is None:
            _safely(_on_cloud_status, state, instance, tracked, out)
        return out

    return wrapper


def cancel_cloud(state: State):
    """Wrapper for ``RuntimeJobV2.cancel``: a successful cancel is a terminal state."""

    def wrapper(wrapped, instance, args, kwargs):
        out = wrapped(*args, **kwargs)
        tracked = instance.__dict__.get("_qobserve")
        if tracked is not None and tracked.record.finished is None:
            _safely(_settle_cloud, state, instance, tracked, "CANCELLED")
        return out

    return wrapper
