"""User hooks on every instrumented job, the opentelemetry-python-contrib way.

Every instrumentor's ``instrument()`` accepts ``request_hook`` and
``response_hook`` (as botocore's and requests' instrumentors do), called with
the job's span and a frozen detail object:

* ``request_hook(span, request: JobRequest)`` once the span is open, before the
  SDK submits the job, so attributes set here are on the span from the start;
* ``response_hook(span, response: JobResponse)`` at the first observed terminal
  state, before the span ends (for a job already ended as ``unobserved`` the
  span is no longer recording, and the hook is still told the outcome).

A hook runs in the thread that submits or observes the job, so it must be
quick. A hook that raises is logged (a warning with the traceback the first
time, debug lines after) and never reaches the user's job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Hooks", "JobRequest", "JobResponse", "RequestHook", "ResponseHook"]

log = logging.getLogger("qobserve.jobs")


@dataclass(frozen=True, slots=True)
class JobRequest:
    """A job about to be submitted.

    Attributes:
        provider / backend / operation: the span's ``quantum.*`` values.
        shots: total shots the job asks for, where known.
        circuits: the SDK circuit objects as submitted (Qiskit circuits,
            Braket task specifications, Cirq programs); empty where the
            instrumentation sees only a serialized task (Braket on AWS).
    """

    provider: str
    backend: str
    operation: str
    shots: int | None
    circuits: Sequence[Any]


@dataclass(frozen=True, slots=True)
class JobResponse:
    """A job whose terminal state was observed.

    Attributes:
        provider / backend / job_id: as on the span.
        status: ``completed``, ``failed`` or ``cancelled``.
        error_type: the ``error.type`` recorded for a failed job, else ``""``.
        result: the SDK's result where the instrumentation holds it, else None:
            a Qiskit local job's result, the list of a Braket local call's task
            results, what a Cirq sampler call returned.
    """

    provider: str
    backend: str
    job_id: str | None
    status: str
    error_type: str
    result: Any


RequestHook = Callable[[Any, JobRequest], None]
ResponseHook = Callable[[Any, JobResponse], None]


class Hooks:
    """An instrumentor's two hooks, each call guarded."""

    __slots__ = ("_failed", "request", "response")

    def __init__(
        self, request: RequestHook | None = None, response: ResponseHook | None = None
    ) -> None:
        for name, hook in (("request_hook", request), ("response_hook", response)):
            if hook is not None and not callable(hook):
                raise TypeError(f"{name}: must be a callable (span, detail), got {hook!r}")
        self.request = request
        self.response = response
        self._failed: set[str] = set()

    def on_request(self, span: Any, request: JobRequest) -> None:
        if self.request is not None:
            self._call("request_hook", self.request, span, request)

    def on_response(self, span: Any, response: JobResponse) -> None:
        if self.response is not None:
            self._call("response_hook", self.response, span, response)

    def _call(self, name: str, hook: Callable, span: Any, detail: Any) -> None:
        try:
            hook(span, detail)
        except Exception:  # a user's hook must never break the user's job
            if name in self._failed:
                log.debug("qobserve: %s %r raised again", name, hook, exc_info=True)
            else:
                self._failed.add(name)
                log.warning(
                    "qobserve: %s %r raised; the job is unaffected (later failures are "
                    "logged at debug level)",
                    name,
                    hook,
                    exc_info=True,
                )
