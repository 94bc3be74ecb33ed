"""Job spans for Amazon Braket quantum tasks, observed at ``AwsSession``.

Every AWS task is created by ``AwsSession.create_quantum_task`` and every
status read goes through ``AwsSession.get_quantum_task`` (``state()``,
``metadata()``, ``result()`` polling), so wrapping those two public methods
sees a task's whole life whichever task API the user calls:

* the span opens before ``CreateQuantumTask``; a create that raises (throttled,
  device offline, validation) is a failed job with the ClientError's code;
* each ``GetQuantumTask`` response adds its state as a span event. Braket has no
  ``startedAt``: the QUEUED → RUNNING moment is the first poll that sees RUNNING,
  so the queue time is known only when a poll caught the task running;
* the first terminal status finishes the job, with ``createdAt``/``endedAt``
  from the response. ``AwsQuantumTask.result()`` returns None for FAILED and
  CANCELLED tasks (and on poll timeout), so nothing here waits for an exception.
* Amazon's managed simulators (SV1, DM1, TN1) bill the simulation time the
  result reports (``additionalMetadata.simulatorMetadata.executionDuration``,
  in ms, at least 3 s per task): a COMPLETED state seen while ``result()``
  downloads the result is finished after the download, with that duration.
  A completion seen only through ``state()`` is priced at the table's
  estimate (the duration is only in the result file).

The Braket SDK also broadcasts task events to trackers registered in
``braket.tracking.tracking_context``; those events carry neither the failure
reason nor the provider timestamps, a failed create never reaches them, and
their classes are private, so the public session methods are used instead.
No span is made per poll: ``opentelemetry-instrumentation-botocore`` already
makes one per API call, and they nest under the job span because the wrapped
calls run with the job span current.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from qobserve.errors import ErrorInfo, ErrorKind
from qobserve.instrumentation._cost import job_cost_usd
from qobserve.instrumentation._job import JobRecord, JobTelemetry
from qobserve.instrumentation.braket.errors import QUANTUM_TASK_FAILED
from qobserve.semconv import Attr, JobStatus, Provider

__all__ = ["AwsTasks", "aws_backend_name"]

_PROVIDER = Provider.BRAKET.value
_TERMINAL = {
    "COMPLETED": JobStatus.COMPLETED,
    "FAILED": JobStatus.FAILED,
    "CANCELLED": JobStatus.CANCELLED,
}
_MAX_REASON = 256
_MANAGED_SIMULATOR = "/quantum-simulator/amazon/"
# The task whose result() this thread is inside (its COMPLETED waits for the result).
_in_result = threading.local()


def aws_backend_name(device_arn: str) -> str:
    """The ``quantum_backend`` label of a device ARN, as ``qobserve.backends`` names it."""
    from qobserve.backends import parse_backend

    try:
        return parse_backend(f"braket:{device_arn}").name
    except ValueError:
        return str(device_arn).rsplit("/", 1)[-1] or "unknown"


def _unix(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


@dataclass
class _Task:
    record: JobRecord
    backend: str
    shots: int
    running_at: float | None = None
    simulator: bool = False
    completed: tuple[dict, float] | None = None  # a simulator's COMPLETED, awaiting its result


def billed_seconds(result: Any) -> float | None:
    """Execution seconds a managed-simulator result reports (the minimum is the price
    rule's), or None when the result has none (QPUs, local results)."""
    try:
        ms = result.additional_metadata.simulatorMetadata.executionDuration
    except AttributeError:
        return None
    return None if ms is None else float(ms) / 1000.0


class AwsTasks:
    """Open AWS task spans keyed by task ARN, and the wrappers that feed them.

    An entry lives from a successful create to the first observed terminal
    state, or until the job recorder ends its span as unobserved (maximum
    lifetime, see :mod:`qobserve.instrumentation._job`): entries whose record
    has ended are dropped as new tasks are created, so memory stays bounded.
    """

    def __init__(self, telemetry: JobTelemetry) -> None:
        self._telemetry = telemetry
        self._open: OrderedDict[str, _Task] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._open)

    def wrap_create(self, wrapped, instance, args, kwargs):
        """wrapt wrapper for ``AwsSession.create_quantum_task(**boto3_kwargs)``."""
        if not is_instrumentation_enabled():
            return wrapped(*args, **kwargs)
        backend = aws_backend_name(kwargs.get("deviceArn", ""))
        shots = int(kwargs.get("shots") or 0)
        record = self._telemetry.start(_PROVIDER, backend, "run", shots=shots, circuits=1)
        try:
            with trace.use_span(record.span, end_on_exit=False):
                arn = wrapped(*args, **kwargs)
        except BaseException as exc:
            record.finish(JobStatus.FAILED, error=exc)
            raise
        record.set_job_id(arn)
        simulator = _MANAGED_SIMULATOR in str(kwargs.get("deviceArn", ""))
        with self._lock:
            self._open[arn] = _Task(record, backend, shots, simulator=simulator)
            # Oldest first: drop the entries whose span the recorder ended as unobserved.
            while self._open:
                first = next(iter(self._open.values()))
                if not first.record.expired:
                    break
                self._open.popitem(last=False)
        return arn

    def wrap_get(self, wrapped, instance, args, kwargs):
        """wrapt wrapper for ``AwsSession.get_quantum_task(arn)``: observe each status."""
        arn = args[0] if args else kwargs.get("arn")
        with self._lock:
            task = self._open.get(arn)
        if task is None:
            return wrapped(*args, **kwargs)
        with trace.use_span(task.record.span, end_on_exit=False):
            response = wrapped(*args, **kwargs)
        self._observe(arn, task, response)
        return response

    def wrap_result(self, wrapped, instance, args, kwargs):
        """wrapt wrapper for ``AwsQuantumTask.result``: price a simulator task from the
        result's billed duration; mark a poll timeout on the span."""
        arn = getattr(instance, "id", None)
        outer = getattr(_in_result, "arn", None)
        _in_result.arn = arn
        result = None
        try:
            result = wrapped(*args, **kwargs)
        finally:
            _in_result.arn = outer
            with self._lock:
                task = self._open.get(arn) if arn is not None else None
                done = task is not None and task.completed is not None
                if done and arn is not None:
                    self._open.pop(arn, None)
            if done:
                assert task is not None and task.completed is not None  # done says so
                response, now = task.completed
                self._finish(task, JobStatus.COMPLETED, response, now, billed_seconds(result))
        if result is None and task is not None and not done:  # still not terminal: gave up polling
            task.record.span.add_event("poll_timeout")
        return result

    def _observe(self, arn: str, task: _Task, response: dict) -> None:
        state = str(response.get("status", ""))
        now = time.time()
        if state in ("CREATED", "QUEUED"):
            task.record.event("queued")
        elif state == "RUNNING":
            if task.running_at is None:
                task.running_at = now
            task.record.event("running", task.running_at)
        elif state in _TERMINAL:
            if state == "COMPLETED" and task.simulator and getattr(_in_result, "arn", None) == arn:
                # result() is downloading: its billed duration prices the task (wrap_result).
                task.completed = task.completed or (response, now)
                return
            with self._lock:
                if self._open.pop(arn, None) is None:
                    return
            self._finish(task, _TERMINAL[state], response, now)

    def _finish(
        self,
        task: _Task,
        status: JobStatus,
        response: dict,
        now: float,
        billed: float | None = None,
    ) -> None:
        record = task.record
        created, ended = _unix(response.get("createdAt")), _unix(response.get("endedAt"))
        end = max(ended if ended is not None else now, record.t0)
        queue = None
        if task.running_at is not None and created is not None:
            queue = task.running_at - created
        execution = None if task.running_at is None else end - task.running_at
        error = None
        if status is JobStatus.FAILED:
            reason = str(response.get("failureReason") or "")
            if reason:
                record.set_attribute(Attr.JOB_FAILURE_REASON.value, reason[:_MAX_REASON])
            error = ErrorInfo(ErrorKind.UNKNOWN, QUANTUM_TASK_FAILED)
        cost = job_cost_usd(_PROVIDER, task.backend, task.shots, 1, status, billed)
        record.finish(
            status,
            error=error,
            end_time=end,
            queue_seconds=queue,
            execution_seconds=execution,
            cost_usd=cost,
        )
