"""Classify Cirq / Cirq-Google errors: Quantum Engine failure codes and RPC errors.

A failed Engine job surfaces as a ``RuntimeError`` from ``EngineJob.results()``
("Job … on processor … failed. SYSTEM_ERROR: …") while ``job.failure()``
returns ``(code name, message)``; both map through :data:`FAILURE_KINDS`
(codes of ``quantum.ExecutionStatus.Failure.Code``). RPC errors arrive as
``google.api_core`` exceptions, possibly wrapped in ``EngineException``.
"""

from __future__ import annotations

import re

from qobserve.errors import ErrorInfo, ErrorKind, register_classifier

__all__ = ["FAILURE_KINDS", "classify_cirq", "classify_failure_code"]

#: Engine failure code name → how to react.
FAILURE_KINDS: dict[str, ErrorKind] = {
    "SYSTEM_ERROR": ErrorKind.TRANSIENT,
    "SCHEDULING_EXPIRED": ErrorKind.TRANSIENT,
    "READ_PROGRAM_UNKNOWN_ERROR": ErrorKind.TRANSIENT,
    "READ_RUN_CONTEXT_UNKNOWN_ERROR": ErrorKind.TRANSIENT,
    "FAILED_PRECONDITION": ErrorKind.REROUTE,  # processor not in a state to run it
    "INVALID_PROGRAM": ErrorKind.PERMANENT,
    "INVALID_RUN_CONTEXT": ErrorKind.PERMANENT,
    "READ_PROGRAM_NOT_FOUND_IN_GCS": ErrorKind.PERMANENT,
    "READ_PROGRAM_PERMISSION_DENIED": ErrorKind.PERMANENT,
    "READ_RUN_CONTEXT_NOT_FOUND_IN_GCS": ErrorKind.PERMANENT,
    "READ_RUN_CONTEXT_PERMISSION_DENIED": ErrorKind.PERMANENT,
    "WRITE_RESULT_ALREADY_EXISTS_IN_GCS": ErrorKind.PERMANENT,
    "WRITE_RESULT_GCS_PERMISSION_DENIED": ErrorKind.PERMANENT,
}

# google.api_core exception class → kind (names, so google-api-core stays optional).
_RPC_KINDS: dict[str, ErrorKind] = {
    "TooManyRequests": ErrorKind.TRANSIENT,
    "ResourceExhausted": ErrorKind.TRANSIENT,
    "ServiceUnavailable": ErrorKind.TRANSIENT,
    "DeadlineExceeded": ErrorKind.TRANSIENT,
    "InternalServerError": ErrorKind.TRANSIENT,
    "Aborted": ErrorKind.TRANSIENT,
    "InvalidArgument": ErrorKind.PERMANENT,
    "PermissionDenied": ErrorKind.PERMANENT,
    "Unauthenticated": ErrorKind.PERMANENT,
    "NotFound": ErrorKind.PERMANENT,
    "FailedPrecondition": ErrorKind.REROUTE,
}

_JOB_FAILED = re.compile(r"^Job \S+ on processor \S+ failed\. ([A-Z0-9_]+): ")
_JOB_TERMINAL = re.compile(r"^Job \S+ failed in state ([A-Z_]+)\.")
_JOB_TIMEOUT = "Timed out waiting for results. Job "


def classify_failure_code(code: str) -> ErrorInfo:
    """ErrorInfo for an Engine failure code name (``job.failure()[0]``).

    The simulated engine reports ``'500'`` for an exception in its sampler,
    which is the simulator's own error: unknown, labelled as given.
    """
    return ErrorInfo(FAILURE_KINDS.get(code, ErrorKind.UNKNOWN), code or "FAILURE")


def _rpc(exc: BaseException) -> ErrorInfo | None:
    for err in (exc, exc.__cause__):
        name = type(err).__name__ if err is not None else ""
        module = type(err).__module__ if err is not None else ""
        if name in _RPC_KINDS and module.startswith("google.api_core"):
            return ErrorInfo(_RPC_KINDS[name], name)
    return None


@register_classifier
def classify_cirq(exc: BaseException) -> ErrorInfo | None:
    """Classify Engine job failures and RPC errors; None for anything else."""
    if isinstance(exc, RuntimeError):
        text = str(exc)
        if m := _JOB_FAILED.match(text):
            return classify_failure_code(m.group(1))
        if m := _JOB_TERMINAL.match(text):
            return ErrorInfo(ErrorKind.PERMANENT, m.group(1))
        if text.startswith(_JOB_TIMEOUT):
            return ErrorInfo(ErrorKind.TRANSIENT, "timeout")
    return _rpc(exc)
